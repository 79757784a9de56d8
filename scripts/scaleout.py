#!/usr/bin/env python3
"""Several chain servers on one PostgreSQL chain under classic Python miners, with faults.

Starts a throw-away PostgreSQL (tests/python/pgcluster.py) unless --db-url is given,
SERVERS `blockforge --server` processes on it, and MINERS miner processes written as the
classic Python miner is (urllib, proof search from 0 with classic_miner.proof_of_work,
so every miner finds the same proof and they all race for each block), spread over the
servers. Optionally SIGKILLs and restarts one server (--kills) and restarts PostgreSQL
(--pg-restarts) while they mine.

Checks: exactly one 200 per block across all servers, every 200 is in the final chain
(same index, proof and winner: no acknowledged block lost), the chain verifies, every
server ends with the same chain, and no answer other than 200/409 (503 only while
PostgreSQL is down, connection errors only from a killed server).
Usage: scripts/scaleout.py BINARY [--servers 3] [--miners 8] [--seconds 60] [--difficulty 4]
                           [--kills 0] [--pg-restarts 0] [--db-url URL]
"""
import argparse
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from urllib import error, request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'python'))
import chainclient  # noqa: E402
import pgcluster  # noqa: E402
from classic_miner import proof_of_work  # noqa: E402
from verify_chain import valid_proof  # noqa: E402


def call(url, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    req = request.Request(url, data=data, headers={'Content-Type': 'application/json'})
    try:
        with request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except error.HTTPError as e:
        return e.code, json.loads(e.read())


def miner(node, name, deadline, results):
    wins, stale, unavailable, down, other = [], 0, 0, 0, []
    while time.time() < deadline:
        try:
            _, data = call(node + '/last_block')
            last, difficulty = data['last_block'], data['difficulty']
            proof = proof_of_work(last, difficulty)
            status, answer = call(node + '/mine', {'proof': proof, 'id': name})
        except (OSError, ValueError) as ex:   # a killed server: refused, reset
            down += 1
            time.sleep(0.05)
            continue
        if status == 200:
            wins.append((answer['index'], proof, name))
        elif status == 409:
            stale += 1
        elif status == 503:
            unavailable += 1
            time.sleep(0.05)
        else:
            other.append(f'HTTP {status}: {answer}')
    results.put((name, wins, stale, unavailable, down, other))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('binary')
    parser.add_argument('--servers', type=int, default=3)
    parser.add_argument('--miners', type=int, default=8)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--difficulty', type=int, default=4)
    parser.add_argument('--kills', type=int, default=0)
    parser.add_argument('--pg-restarts', type=int, default=0)
    parser.add_argument('--db-url')
    args = parser.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        cluster = os.path.join(tmp, 'pg')
        url = args.db_url or pgcluster.start(cluster)
        if args.pg_restarts and args.db_url:
            raise SystemExit('--pg-restarts needs the script\'s own cluster (no --db-url)')
        ports = [chainclient.free_port() for _ in range(args.servers)]
        servers = [chainclient.start_server(args.binary, port, url, args.difficulty)
                   for port in ports]
        deadline = time.time() + args.seconds
        results = multiprocessing.Queue()
        workers = [multiprocessing.Process(
            target=miner, args=(f'http://127.0.0.1:{ports[i % len(ports)]}', f'miner-{i}',
                                deadline, results)) for i in range(args.miners)]
        began = time.time()
        for worker in workers:
            worker.start()

        def faults():
            events = (['kill'] * args.kills) + (['pg'] * args.pg_restarts)
            for n, event in enumerate(events):
                time.sleep(args.seconds / (len(events) + 1))
                if event == 'kill':   # the last server: SIGKILL mid-burst, then restart
                    servers[-1].send_signal(signal.SIGKILL)
                    servers[-1].wait()
                    time.sleep(0.2)
                    servers[-1] = chainclient.start_server(args.binary, ports[-1], url,
                                                           args.difficulty)
                else:
                    pgcluster.stop(cluster)
                    time.sleep(1.0)
                    pgcluster.start(cluster)
        fault_thread = threading.Thread(target=faults)
        fault_thread.start()
        collected = [results.get(timeout=args.seconds + 120) for _ in workers]
        for worker in workers:
            worker.join()
        fault_thread.join()
        elapsed = time.time() - began

        # Every server must end on the same chain (give them a moment to follow).
        chains = []
        for port in ports:
            client = chainclient.Client(port, timeout=30)
            for _ in range(100):
                status, answer = client.request('GET', '/chain')
                chains.append(answer['chain'])
                if len(chains) == 1 or chains[-1] == chains[0]:
                    break
                chains.pop()
                time.sleep(0.05)
            else:
                failures.append(f'server on port {port} did not follow the chain')
        for server in servers:
            server.terminate()
            server.wait(10)
        if not args.db_url:
            pgcluster.stop(cluster)

    chain = chains[0]
    wins = [w for r in collected for w in r[1]]
    indexes = [w[0] for w in wins]
    if len(indexes) != len(set(indexes)):
        failures.append('some block got more than one 200')
    by_index = {b['index']: b for b in chain}
    for index, proof, name in wins:
        block = by_index.get(index)
        if block is None or block['proof'] != proof \
                or block['transactions'][-1]['recipient'] != name:
            failures.append(f'acknowledged block {index} ({name}, proof {proof}) is not in the chain')
    if len(wins) != len(chain) - 1:
        failures.append(f'{len(wins)} 200s but {len(chain) - 1} forged blocks')
    problem = chainclient.verify_chain(chain, args.difficulty)
    if problem:
        failures.append(problem)
    for previous, block in zip(chain, chain[1:]):
        if not valid_proof(json.dumps(previous, sort_keys=True), block['proof'], args.difficulty):
            failures.append(f'block {block["index"]} fails the classic check')
            break
    other = [x for r in collected for x in r[5]]
    if other:
        failures.append(f'{len(other)} unexpected answers, e.g. {other[:3]}')
    unavailable = sum(r[3] for r in collected)
    down = sum(r[4] for r in collected)
    if unavailable and not args.pg_restarts:
        failures.append(f'{unavailable} answers 503 with PostgreSQL up')
    if down and not args.kills:
        failures.append(f'{down} connection errors with no server killed')
    stale = sum(r[2] for r in collected)
    print(f'servers {args.servers}, miners {args.miners}, difficulty {args.difficulty}, '
          f'{elapsed:.1f} s, kills {args.kills}, PostgreSQL restarts {args.pg_restarts}')
    print(f'summary: blocks={len(wins)} blocks_per_s={len(wins) / elapsed:.1f} '
          f'stale_409={stale} unavailable_503={unavailable} connection_errors={down} '
          f'chain_length={len(chain)} failures={len(failures)}')
    for failure in failures:
        print('FAIL:', failure)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
