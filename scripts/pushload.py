#!/usr/bin/env python3
"""Bounded loopback load on the server's push channel: many clients waiting on
GET /last_block?wait=HASH at once.

Measures the server's CPU while they all wait and the tip does not change (alone, then
beside one idle keep-alive connection), then, for
each of a few rounds, how long after a block is forged (POST /mine sent) every waiter
has the new last block. Checks: every waiter gets the new block, nobody is answered
early, ordinary requests are answered while they wait. The times include this script's
own reading of the answers (one Python thread on the same machine), so they are upper
bounds of what the server takes.
Usage: scripts/pushload.py BINARY [--waiters 1000] [--rounds 5] [--idle-seconds 5]
"""
import argparse
import json
import os
import resource
import select
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chainclient  # noqa: E402


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def wait_request(block_hash):
    return f'GET /last_block?wait={block_hash} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.encode()


class Waiter:
    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.sock.setblocking(False)
        self.buffer = b''

    def send(self, data):
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def answer(self):
        """The body of a complete answer, or None while it is incomplete."""
        end = self.buffer.find(b'\r\n\r\n')
        if end < 0:
            return None
        head = self.buffer[:end].decode('latin-1')
        length = 0
        for line in head.split('\r\n')[1:]:
            name, _, value = line.partition(':')
            if name.strip().lower() == 'content-length':
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return None
        body = self.buffer[end + 4:end + 4 + length]
        self.buffer = self.buffer[end + 4 + length:]
        return head.split(' ')[1], body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('binary')
    parser.add_argument('--waiters', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--idle-seconds', type=float, default=5)
    parser.add_argument('--difficulty', type=int, default=3)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.waiters + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want), hard))

    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        port = chainclient.free_port()
        server = chainclient.start_server(args.binary, port, os.path.join(tmp, 'chain.db'),
                                          args.difficulty)
        try:
            client = chainclient.Client(port)
            tip = client.request('GET', '/last_block')[1]['last_block']
            waiters = [Waiter(port) for _ in range(args.waiters)]
            poller = select.epoll()
            by_fd = {}
            for waiter in waiters:
                poller.register(waiter.sock.fileno(), select.EPOLLIN)
                by_fd[waiter.sock.fileno()] = waiter
                waiter.send(wait_request(chainclient.block_hash(tip)))
            time.sleep(1.0)
            early = sum(1 for fd, _ in poller.poll(0))
            if early:
                failures.append(f'{early} waiters were answered before any new block')

            # Idle: everyone waits, the tip does not move. First nothing else is open,
            # then also one idle keep-alive connection (which has a timeout to watch).
            client.close()
            cpu_before = cpu_seconds(server.pid)
            time.sleep(args.idle_seconds)
            idle_cpu = cpu_seconds(server.pid) - cpu_before
            client.request('GET', '/last_block')
            cpu_before = cpu_seconds(server.pid)
            time.sleep(args.idle_seconds)
            idle_cpu_other = cpu_seconds(server.pid) - cpu_before
            ordinary = []
            for _ in range(20):
                start = time.perf_counter()
                status, _ = client.request('GET', '/last_block')
                ordinary.append(time.perf_counter() - start)
                if status != 200:
                    failures.append(f'GET /last_block while waiting: HTTP {status}')

            rounds = []
            for round_index in range(args.rounds):
                proof = chainclient.search(tip, args.difficulty)
                body = json.dumps({'proof': proof, 'id': 'pushload'}).encode()
                miner = socket.create_connection(('127.0.0.1', port))
                request = (b'POST /mine HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: '
                           b'application/json\r\nContent-Length: ' + str(len(body)).encode()
                           + b'\r\nConnection: close\r\n\r\n' + body)
                pending = set(by_fd)
                times = []
                bodies = []
                start = time.perf_counter()
                miner.sendall(request)
                deadline = start + 10
                while pending and time.perf_counter() < deadline:
                    for fd, _ in poller.poll(0.5, maxevents=len(pending) or 1):
                        waiter = by_fd[fd]
                        chunk = waiter.sock.recv(65536)
                        if not chunk:
                            failures.append('a waiter was disconnected')
                            pending.discard(fd)
                            poller.unregister(fd)
                            continue
                        waiter.buffer += chunk
                        got = waiter.answer()
                        if got is not None and fd in pending:
                            times.append(time.perf_counter() - start)
                            bodies.append(got)
                            pending.discard(fd)
                miner.settimeout(5)
                mined = b''
                while True:
                    data = miner.recv(65536)
                    if not data:
                        break
                    mined += data
                miner.close()
                if not mined.startswith(b'HTTP/1.1 200'):
                    failures.append(f'round {round_index}: POST /mine: {mined[:80]!r}')
                if pending:
                    failures.append(f'round {round_index}: {len(pending)} waiters not told')
                new_tip = json.loads(bodies[0][1])['last_block'] if bodies else tip
                wrong = sum(1 for status, text in bodies
                            if status != '200' or json.loads(text)['last_block'] != new_tip)
                if wrong or new_tip['index'] != tip['index'] + 1:
                    failures.append(f'round {round_index}: {wrong} waiters got another block')
                rounds.append(sorted(times))
                tip = new_tip
                for waiter in waiters:
                    waiter.send(wait_request(chainclient.block_hash(tip)))
                time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(10)

    print(f'{args.waiters} waiters on GET /last_block?wait=HASH, loopback, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}')
    print(f'idle: server CPU {idle_cpu * 1000:.0f} ms over {args.idle_seconds:.0f} s '
          f'({idle_cpu / args.idle_seconds * 100:.2f}% of one core); with one idle '
          f'keep-alive connection besides: {idle_cpu_other * 1000:.0f} ms '
          f'({idle_cpu_other / args.idle_seconds * 100:.2f}%) (clock ticks of 10 ms)')
    print(f'ordinary GET /last_block while they wait: median '
          f'{statistics.median(ordinary) * 1000:.2f} ms, max {max(ordinary) * 1000:.2f} ms')
    for index, times in enumerate(rounds):
        if times:
            print(f'round {index + 1}: all {len(times)} told in {times[-1] * 1000:.1f} ms '
                  f'(first {times[0] * 1000:.1f} ms, median '
                  f'{statistics.median(times) * 1000:.1f} ms) after POST /mine was sent')
    worst = [times[-1] for times in rounds if times]
    if worst:
        print(f'summary: waiters={args.waiters} idle_cpu_ms={idle_cpu * 1000:.0f} '
              f'idle_cpu_ms_with_keepalive={idle_cpu_other * 1000:.0f} '
              f'all_told_ms_median={statistics.median(worst) * 1000:.1f} '
              f'all_told_ms_max={max(worst) * 1000:.1f}')
    for failure in failures:
        print('FAIL:', failure)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
