#!/usr/bin/env python3
"""Checks a node's chain as a classic Python client sees it: each block's previous_hash
is the SHA-256 of json.dumps(previous block, sort_keys=True), and each proof is valid for
that string. Standard library only.

Usage: verify_chain.py NODE_URL DIFFICULTY
Prints "Chain of N blocks verified" and exits 0, or names the first bad link and exits 1.
"""
import hashlib
import json
import sys
from urllib import request


def valid_proof(block_string, proof, difficulty):
    guess = f"{block_string}{proof}".encode()
    guess_hash = hashlib.sha256(guess).hexdigest()
    return guess_hash[:difficulty] == "0" * difficulty


def verify(node, difficulty):
    with request.urlopen(node + "/chain", timeout=10) as r:
        chain = json.loads(r.read())
    blocks = chain["chain"]
    if chain["length"] != len(blocks):
        print("length", chain["length"], "but", len(blocks), "blocks")
        return False
    for previous, block in zip(blocks, blocks[1:]):
        block_string = json.dumps(previous, sort_keys=True)
        if block["previous_hash"] != hashlib.sha256(block_string.encode()).hexdigest():
            print("broken link at block", block["index"])
            return False
        if not valid_proof(block_string, block["proof"], difficulty):
            print("bad proof at block", block["index"])
            return False
    print(f"Chain of {len(blocks)} blocks verified")
    return True


if __name__ == "__main__":
    sys.exit(0 if verify(sys.argv[1], int(sys.argv[2])) else 1)
