#!/usr/bin/env python3
"""Crash durability of the chain server: clients forge blocks continuously while the
server is killed with SIGKILL at random moments; after each restart every block that
got a 200 must still be in the chain, unchanged, and the chain must verify.

Usage: scripts/durability.py BINARY [--kills 25] [--clients 4] [--difficulty 2] [--seed N]
Exit 0 when no acknowledged block was lost, 1 otherwise. Loopback only, bounded.
"""
import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chainclient  # noqa: E402


def miner(port, name, difficulty, acked, lock, stop):
    client = chainclient.Client(port, timeout=2)
    rng = random.Random(name)
    while not stop.is_set():
        try:
            status, answer = client.request('GET', '/last_block')
            last = answer['last_block']
            proof = chainclient.search(last, difficulty, rng.randrange(1 << 20))
            status, answer = client.request('POST', '/mine', {'proof': proof, 'id': name})
            if status == 200:
                with lock:
                    acked.append({k: answer[k] for k in ('index', 'proof', 'previous_hash', 'transactions')})
        except Exception:
            time.sleep(0.01)   # the server is down: try again until told to stop


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('binary')
    parser.add_argument('--kills', type=int, default=25)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--difficulty', type=int, default=2)
    parser.add_argument('--seed', type=int, default=int(time.time()))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    acked, lock = [], threading.Lock()
    lost = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, 'chain.db')
        for round_ in range(args.kills + 1):
            port = chainclient.free_port()
            server = chainclient.start_server(args.binary, port, db, args.difficulty)
            # After a restart: every acknowledged block is there, unchanged.
            status, answer = chainclient.Client(port).request('GET', '/chain')
            chain = answer['chain']
            problem = chainclient.verify_chain(chain, args.difficulty)
            if status != 200 or problem:
                print(f'round {round_}: chain does not verify: {problem}')
                lost += 1
            by_index = {block['index']: block for block in chain}
            with lock:
                for block in acked:
                    stored = by_index.get(block['index'])
                    if stored is None or any(stored[k] != block[k] for k in block):
                        lost += 1
                        print(f"round {round_}: acknowledged block {block['index']} lost or changed")
                acked_now = len(acked)
            print(f'round {round_}: chain length {len(chain)}, acknowledged so far {acked_now}',
                  flush=True)
            if round_ == args.kills:
                server.send_signal(signal.SIGTERM)
                server.wait(10)
                break
            stop = threading.Event()
            threads = [threading.Thread(target=miner, args=(port, f'miner-{round_}-{i}', args.difficulty,
                                                          acked, lock, stop))
                       for i in range(args.clients)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.2, 1.5))
            server.send_signal(signal.SIGKILL)   # at a random moment, mid-write or not
            server.wait()
            stop.set()
            for thread in threads:
                thread.join()
    print(f'summary: kills={args.kills} acknowledged={len(acked)} lost={lost} seed={args.seed}')
    return 0 if lost == 0 and acked else 1


if __name__ == '__main__':
    sys.exit(main())
