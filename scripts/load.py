#!/usr/bin/env python3
"""Bounded loopback load on the chain server: miner processes forging blocks at a low
difficulty plus readers hammering /chain and /last_block, for a fixed time.

Checks: exactly one 200 per forged block, no 5xx or connection errors, the chain
verifies, and the server's memory stays under a bound. Prints req/s, p50/p99 and RSS.
Usage: scripts/load.py BINARY [--miners 8] [--readers 4] [--seconds 30] [--difficulty 4]
"""
import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chainclient  # noqa: E402


def miner(port, name, difficulty, deadline, results):
    client = chainclient.Client(port)
    rng = random.Random(name)
    wins, stale, errors, requests, samples = [], 0, 0, 0, []
    while time.time() < deadline:
        try:
            _, answer = client.request('GET', '/last_block')
            proof = chainclient.search(answer['last_block'], difficulty, rng.randrange(1 << 30))
            status, answer = client.request('POST', '/mine', {'proof': proof, 'id': name})
            requests += 2
            if status == 200:
                wins.append(answer['index'])
            elif status == 409:
                stale += 1
            else:
                errors += 1
                samples.append(f'HTTP {status}: {answer}')
        except Exception as ex:
            errors += 1
            samples.append(repr(ex))
    results.put(('miner', name, wins, stale, errors, requests, samples[:3]))


def reader(port, path, deadline, results):
    client = chainclient.Client(port)
    latencies, errors = [], 0
    while time.time() < deadline:
        start = time.perf_counter()
        try:
            status, _ = client.request('GET', path)
            if status != 200:
                errors += 1
        except Exception:
            errors += 1
        latencies.append(time.perf_counter() - start)
    results.put(('reader', path, latencies, errors))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('binary')
    parser.add_argument('--miners', type=int, default=8)
    parser.add_argument('--readers', type=int, default=4)
    parser.add_argument('--seconds', type=float, default=30)
    parser.add_argument('--difficulty', type=int, default=4)
    parser.add_argument('--rss-bound-mib', type=float, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = chainclient.free_port()
        server = chainclient.start_server(args.binary, port, os.path.join(tmp, 'chain.db'),
                                          args.difficulty)
        rss_start = chainclient.rss_kib(server.pid)
        rss_peak = [rss_start]
        start_length = chainclient.Client(port).request('GET', '/chain')[1]['length']
        deadline = time.time() + args.seconds
        results = multiprocessing.Queue()
        workers = [multiprocessing.Process(target=miner, args=(port, f'load-{i}', args.difficulty,
                                                               deadline, results))
                   for i in range(args.miners)]
        workers += [multiprocessing.Process(target=reader, args=(port, ('/last_block', '/chain')[i % 2],
                                                                 deadline, results))
                    for i in range(args.readers)]
        began = time.time()
        for worker in workers:
            worker.start()

        def sample():
            while time.time() < deadline:
                rss_peak[0] = max(rss_peak[0], chainclient.rss_kib(server.pid))
                time.sleep(0.5)
        sampler = threading.Thread(target=sample)
        sampler.start()
        collected = [results.get(timeout=args.seconds + 60) for _ in workers]
        for worker in workers:
            worker.join()
        sampler.join()
        elapsed = time.time() - began
        status, answer = chainclient.Client(port, timeout=30).request('GET', '/chain')
        chain = answer['chain']
        server.terminate()
        server.wait(10)

    wins = [i for r in collected if r[0] == 'miner' for i in r[2]]
    miner_requests = sum(r[5] for r in collected if r[0] == 'miner')
    miner_errors = sum(r[4] for r in collected if r[0] == 'miner')
    stale = sum(r[3] for r in collected if r[0] == 'miner')
    failures = []
    if len(wins) != len(set(wins)):
        failures.append('some block had more than one winner')
    if len(wins) != len(chain) - start_length:
        failures.append(f'{len(wins)} wins but {len(chain) - start_length} new blocks')
    problem = chainclient.verify_chain(chain, args.difficulty)
    if problem:
        failures.append(problem)
    if miner_errors:
        samples = [x for r in collected if r[0] == 'miner' for x in r[6]]
        failures.append(f'{miner_errors} miner errors, e.g. {samples[:3]}')
    total_requests = miner_requests
    for r in collected:
        if r[0] != 'reader':
            continue
        lat = r[2]
        total_requests += len(lat)
        if r[3]:
            failures.append(f'{r[3]} errors on {r[1]}')
        print(f'{r[1]:12} {len(lat) / elapsed:9.0f} req/s  p50 {percentile(lat, 0.5) * 1e3:7.2f} ms'
              f'  p99 {percentile(lat, 0.99) * 1e3:7.2f} ms')
    rss_growth = (rss_peak[0] - rss_start) / 1024
    if rss_peak[0] / 1024 > args.rss_bound_mib:
        failures.append(f'RSS {rss_peak[0] / 1024:.1f} MiB over the {args.rss_bound_mib} MiB bound')
    print(f'blocks forged {len(wins)} (one winner each: {len(wins) == len(set(wins))}), '
          f'stale answers {stale}, chain length {len(chain)}')
    print(f'summary: seconds={elapsed:.1f} requests={total_requests} req_per_s={total_requests / elapsed:.0f} '
          f'blocks={len(wins)} rss_start_mib={rss_start / 1024:.1f} rss_peak_mib={rss_peak[0] / 1024:.1f} '
          f'rss_growth_mib={rss_growth:.1f} failures={len(failures)}')
    for failure in failures:
        print('FAIL:', failure)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
