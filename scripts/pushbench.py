#!/usr/bin/env python3
"""End-to-end push benchmark: several `blockforge --mine` processes on one
`blockforge --server` over loopback, once with push (the default) and once with
`--no-push` (the 1 s poll), the same time each.

Prints per mode: blocks forged, stale proofs as a share of submissions, the sum of
the miners' own hash rates, and the effective rate (blocks x 16^difficulty / seconds)
with its ratio to that sum. The effective rate counts blocks, a Poisson count: its
relative noise is about 1/sqrt(blocks), printed beside it.
Usage: scripts/pushbench.py BINARY [--miners 4] [--threads 1] [--seconds 60] [--difficulty 6]
"""
import argparse
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chainclient  # noqa: E402

SUMMARY = re.compile(r'Stopped\. Blocks: (\d+) accepted, (\d+) stale, (\d+) rejected\. '
                     r'Coins: \d+\. Average ([0-9.]+) ([kMG]?)H/s over ([0-9.]+) s')
SCALE = {'': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9}


def run(binary, args, push, tmp):
    port = chainclient.free_port()
    db = os.path.join(tmp, f'chain-{"push" if push else "poll"}.db')
    server = chainclient.start_server(binary, port, db, args.difficulty)
    miners = []
    try:
        start_length = chainclient.Client(port).request('GET', '/chain')[1]['length']
        for index in range(args.miners):
            id_file = os.path.join(tmp, f'miner{index}.txt')
            with open(id_file, 'w') as f:
                f.write(f'miner{index}\n')
            command = [binary, '--mine', '--url', f'http://127.0.0.1:{port}',
                       '--threads', str(args.threads), '--id-file', id_file]
            if not push:
                command.append('--no-push')
            miners.append(subprocess.Popen(command, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, text=True))
        time.sleep(args.seconds)
        for miner in miners:
            miner.send_signal(signal.SIGINT)
        outputs = [miner.communicate(timeout=30)[0] for miner in miners]
        length = chainclient.Client(port).request('GET', '/chain')[1]['length']
    finally:
        for miner in miners:
            if miner.poll() is None:
                miner.kill()
        server.terminate()
        server.wait(10)

    accepted = stale = rejected = 0
    rate_sum = 0.0
    seconds = []
    modes = set()
    for output in outputs:
        match = SUMMARY.search(output)
        if not match:
            raise RuntimeError(f'no summary line in a miner\'s output: {output[-300:]}')
        accepted += int(match.group(1))
        stale += int(match.group(2))
        rejected += int(match.group(3))
        rate_sum += float(match.group(4)) * SCALE[match.group(5)]
        seconds.append(float(match.group(6)))
        modes.update(re.findall(r'New blocks: (pushed by the server|polling)', output))
    blocks = length - start_length
    elapsed = max(seconds)
    submitted = accepted + stale + rejected
    effective = blocks * 16 ** args.difficulty / elapsed
    return {
        'mode': 'push' if push else 'poll',
        'seen': ', '.join(sorted(modes)),
        'blocks': blocks, 'accepted': accepted, 'stale': stale, 'rejected': rejected,
        'stale_pct': 100.0 * stale / submitted if submitted else 0.0,
        'rate_sum': rate_sum, 'effective': effective,
        'ratio': effective / rate_sum if rate_sum else 0.0,
        'noise': 1 / math.sqrt(blocks) if blocks else 1.0,
        'seconds': elapsed,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('binary')
    parser.add_argument('--miners', type=int, default=4)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--difficulty', type=int, default=6)
    args = parser.parse_args()
    print(f'{args.miners} miners x {args.threads} thread(s) on one server at difficulty '
          f'{args.difficulty}, {args.seconds:.0f} s per mode, {os.cpu_count()} CPUs, '
          f'load average {os.getloadavg()[0]:.1f}', flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for push in (True, False):
            result = run(args.binary, args, push, tmp)
            results.append(result)
            r = result
            print(f"{r['mode']:4}: {r['blocks']} blocks, {r['stale']} stale of "
                  f"{r['accepted'] + r['stale'] + r['rejected']} proofs ({r['stale_pct']:.1f}%), "
                  f"miners' rates {r['rate_sum'] / 1e6:.1f} M/s, effective "
                  f"{r['effective'] / 1e6:.1f} M/s, ratio {r['ratio']:.3f} "
                  f"(+-{r['noise'] * r['ratio']:.3f}) [{r['seen']}]", flush=True)
    summary = ' '.join(f"{r['mode']}_stale_pct={r['stale_pct']:.2f} {r['mode']}_ratio={r['ratio']:.3f}"
                       for r in results)
    print(f'summary: {summary}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
