"""A miner written the way the exercise's Python miner is: standard library only.

Usage: classic_miner.py <node url>    (reads the miner id from my_id.txt)

Fetches /last_block, searches a proof at the difficulty the server announces,
submits it with the id exactly as read from my_id.txt (trailing newline and
all), checks the answer, then checks that the same proof is now stale and
that /chain links with json.dumps(block, sort_keys=True) hashes.
Exit code 0 when everything matches the classic wire format.
"""
import hashlib
import json
import sys
from urllib import error, request

from verify_chain import valid_proof, verify


def proof_of_work(last_block, difficulty):
    block_string = json.dumps(last_block, sort_keys=True)
    proof = 0
    while valid_proof(block_string, proof, difficulty) is False:
        proof += 1
    return proof


def post(url, payload):
    req = request.Request(url, data=json.dumps(payload).encode(),
                          headers={"Content-Type": "application/json"})
    try:
        with request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except error.HTTPError as e:
        return e.code, json.loads(e.read())


def main():
    node = sys.argv[1]
    with open("my_id.txt", "r") as f:
        id = f.read()

    # Mine a block, then send the same proof again: it must be stale. One time in
    # 16^difficulty the proof is also valid for the block it just made (it would rightly
    # win that one too), so mine another block and try again.
    for _ in range(5):
        with request.urlopen(node + "/last_block", timeout=10) as r:
            data = json.loads(r.read())
        last_block = data["last_block"]
        difficulty = data.get("difficulty", 6)
        print(f"Searching block {last_block['index'] + 1} at difficulty {difficulty}")
        new_proof = proof_of_work(last_block, difficulty)

        status, data = post(node + "/mine", {"proof": new_proof, "id": id})
        print(status, data.get("message"))
        if status != 200 or data.get("message") != "New Block Forged":
            return 1
        reward = data["transactions"][-1]
        if reward != {"sender": "0", "recipient": id.strip(), "amount": 1}:
            print("unexpected reward", reward)
            return 1
        expected_hash = hashlib.sha256(json.dumps(last_block, sort_keys=True).encode()).hexdigest()
        if data["previous_hash"] != expected_hash:
            print("previous_hash", data["previous_hash"], "expected", expected_hash)
            return 1

        with request.urlopen(node + "/last_block", timeout=10) as r:
            forged = json.loads(r.read())["last_block"]
        if not valid_proof(json.dumps(forged, sort_keys=True), new_proof, difficulty):
            break
    else:
        return 1

    status, data = post(node + "/mine", {"proof": new_proof, "id": id})
    print(status, data.get("message"))
    if status != 409 or data.get("stale") is not True:
        return 1

    return 0 if verify(node, difficulty) else 1


if __name__ == "__main__":
    sys.exit(main())
