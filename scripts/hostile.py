#!/usr/bin/env python3
"""Hostile-client probes against `blockforge --server`, loopback only, each bounded in
count and time. Every probe starts its own server (temporary database unless --db),
attacks it, prints figures and stops it. Run them against two builds to compare.

Usage: scripts/hostile.py BINARY PROBE [options]
  pool       pending-pool stall: many large transactions, then the next block's size,
             the time to forge it, a classic miner's cost per attempt, RSS
  cpu        server CPU per invalid POST /mine, and a tiny GET /chain page's latency
             while invalid proofs flood in (use --db with a chain whose tip is large)
  readers    RSS with clients that send GET /chain and never read (use --db)
  bigchain   builds a chain of large blocks into --db (with an unpatched server)
  halfclose  requests followed at once by shutdown(SHUT_WR): answers out of --tries
  lockout    idle connections under a low descriptor limit, then a fresh GET
  slowloris  more connections than the cap, each in the middle of a request head
  loginject  control, C1 and bidi characters in the path and the miner id: raw in the log?
  upgrade    "Upgrade: websocket" with a request pipelined after it
  rechunk    the same pipelines (LF and CRLF mixed) sent whole, one by one and re-chunked
"""
import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chainclient  # noqa: E402

HOST = '127.0.0.1'


class Server:
    """`blockforge --server` on a free loopback port, its log kept in a file."""

    def __init__(self, binary, db, difficulty, nofile=None, log=False):
        self.port = chainclient.free_port()
        self.log_path = db + '.log'
        self.log = open(self.log_path, 'wb')
        env = dict(os.environ)
        env['QT_LOGGING_RULES'] = '' if log else 'blockforge.*.info=false'

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.process = subprocess.Popen(
            [binary, '--server', '--port', str(self.port), '--db', db,
             '--difficulty', str(difficulty)],
            stdout=self.log, stderr=self.log, env=env, preexec_fn=limit)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'server exited with {self.process.returncode}: '
                                   + open(self.log_path, errors='replace').read())
            try:
                status, _ = request('GET', '/last_block', port=self.port, timeout=30)
                if status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError('server did not answer within 30 s')

    def rss_mib(self):
        return chainclient.rss_kib(self.process.pid) / 1024

    def cpu_seconds(self):
        with open(f'/proc/{self.process.pid}/stat') as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def log_bytes(self):
        self.log.flush()
        with open(self.log_path, 'rb') as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def connect(port, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def raw(method, path, body=None, extra=b'', eol=b'\r\n'):
    data = json.dumps(body).encode() if body is not None else b''
    head = f'{method} {path} HTTP/1.1'.encode() + eol + b'Host: x' + eol + extra
    if body is not None:
        head += b'Content-Type: application/json' + eol
        head += f'Content-Length: {len(data)}'.encode() + eol
    return head + eol + data


def read_answers(sock, count=None, quiet=1.0, limit=30.0):
    """Reads answers until count are complete, EOF, or quiet seconds without a byte."""
    data = bytearray()
    deadline = time.monotonic() + limit
    sock.settimeout(quiet)
    closed = False
    complete, end = 0, 0   # answers complete so far, and where the next one starts
    while time.monotonic() < deadline and (count is None or complete < count):
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            break
        except OSError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        while True:
            size = answer_size(data, end)
            if size is None:
                break
            end += size
            complete += 1
    answers, _ = split_answers(bytes(data))
    return answers, closed, bytes(data)


def answer_size(data, start):
    """The size of the complete answer at data[start:], or None."""
    end = data.find(b'\r\n\r\n', start)
    if end < 0:
        return None
    length = 0
    for line in bytes(data[start:end]).split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            length = int(value.strip())
    return end + 4 + length - start if len(data) >= end + 4 + length else None


def split_answers(data):
    """[(status, head, body)] of the complete answers in data, and the rest."""
    answers = []
    start = 0
    while True:
        size = answer_size(data, start)
        if size is None:
            return answers, data[start:]
        end = data.find(b'\r\n\r\n', start)
        head = data[start:end]
        status = int(head.split(b' ')[1]) if head.startswith(b'HTTP/') else 0
        answers.append((status, head, data[end + 4:start + size]))
        start += size


def request(method, path, body=None, port=None, timeout=30):
    with connect(port, timeout) as s:
        s.sendall(raw(method, path, body))
        answers, _, _ = read_answers(s, 1, quiet=timeout, limit=timeout)
    if not answers:
        raise OSError('no answer')
    status, _, payload = answers[0]
    return status, json.loads(payload) if payload else None


def last_block(port):
    _, answer = request('GET', '/last_block', port=port)
    return answer['last_block'], answer.get('difficulty', 6)


def python_attempt_us(block, tries=200):
    text = chainclient.block_string(block)
    start = time.perf_counter()
    for proof in range(tries):
        chainclient.valid_proof(text, proof, 6)
    return (time.perf_counter() - start) / tries * 1e6


def forge(port, who='prober'):
    block, difficulty = last_block(port)
    proof = chainclient.search(block, difficulty, random.randrange(1 << 40))
    start = time.perf_counter()
    status, answer = request('POST', '/mine', {'proof': proof, 'id': who}, port=port,
                             timeout=120)
    return status, answer, time.perf_counter() - start


def post_transactions(port, count, size, text, connections=8):
    """POSTs count transactions with a recipient of size characters; returns statuses."""
    statuses = {}
    lock = threading.Lock()
    letter = {'ascii': 'x', 'latin': '\u00e9', 'astral': '\U0001f680'}[text]
    body = {'sender': 'mallory', 'recipient': letter * size, 'amount': 1}
    data = raw('POST', '/transactions/new', body)

    def worker(n):
        with connect(port) as s:
            for _ in range(n):
                s.sendall(data)
                answers, closed, _ = read_answers(s, 1, quiet=30)
                status = answers[0][0] if answers else 0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                if closed or not answers or b'Connection: close' in answers[0][1]:
                    return
    threads = [threading.Thread(target=worker, args=(count // connections
                                                     + (i < count % connections),))
               for i in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, time.perf_counter() - start


def invalid_proof(block, difficulty, window=64):
    """A proof invalid for block (a stale answer is possible for earlier blocks)."""
    text = chainclient.block_string(block)
    proof = random.randrange(1 << 40)
    while chainclient.valid_proof(text, proof, difficulty):
        proof += 1
    return proof


# --- probes -------------------------------------------------------------------------

def probe_pool(args, db):
    server = Server(args.binary, db, args.difficulty)
    try:
        rss0 = server.rss_mib()
        statuses, seconds = post_transactions(server.port, args.posts, args.size, args.text)
        print(f'pool: {args.posts} posts of a {args.size}-character {args.text} recipient in '
              f'{seconds:.2f} s: statuses {dict(sorted(statuses.items()))}')
        cpu0 = server.cpu_seconds()
        status, answer, seconds = forge(server.port)
        cpu = server.cpu_seconds() - cpu0
        block, _ = last_block(server.port)
        size = len(chainclient.block_string(block).encode())
        print(f'pool: forging took {seconds * 1000:.0f} ms (server CPU {cpu * 1000:.0f} ms), '
              f'status {status}; block {block["index"]}: {len(block["transactions"])} '
              f'transactions, block string {size} bytes ({size / 2**20:.2f} MiB; '
              f'miner answer cap 4 MiB: {"over" if size > 4 << 20 else "under"})')
        us = python_attempt_us(block, tries=max(3, min(300, int(5e7 / max(size, 1)))))
        print(f'pool: classic Python miner: {us:.1f} us per attempt on it '
              f'(difficulty 6: {us * 16**6 / 3.6e9:.2f} h per block on one core)')
        print(f'pool: RSS {rss0:.1f} -> {server.rss_mib():.1f} MiB')
        # A second round and a restart: does the stall come back?
        post_transactions(server.port, args.posts, args.size, args.text)
    finally:
        server.stop()
    server = Server(args.binary, db, args.difficulty)
    try:
        status, answer, seconds = forge(server.port)
        block, _ = last_block(server.port)
        size = len(chainclient.block_string(block).encode())
        print(f'pool: after a restart the next block has {len(block["transactions"])} '
              f'transactions, block string {size} bytes')
    finally:
        server.stop()


def probe_bigchain(args, db):
    server = Server(args.binary, db, args.difficulty)
    try:
        for _ in range(args.blocks):
            post_transactions(server.port, args.posts, args.size, args.text)
            status, _, seconds = forge(server.port)
            block, _ = last_block(server.port)
            print(f'bigchain: block {block["index"]} forged ({status}) in {seconds:.2f} s, '
                  f'{len(chainclient.block_string(block))} bytes')
    finally:
        server.stop()


def probe_cpu(args, db):
    server = Server(args.binary, db, args.difficulty)
    try:
        block, difficulty = last_block(server.port)
        size = len(chainclient.block_string(block))
        proof = invalid_proof(block, difficulty)
        body = raw('POST', '/mine', {'proof': proof, 'id': 'mallory'})
        statuses = {}
        with connect(server.port) as s:
            cpu0 = server.cpu_seconds()
            start = time.perf_counter()
            for _ in range(args.requests):
                s.sendall(body)
                answers, _, _ = read_answers(s, 1, quiet=30)
                statuses[answers[0][0]] = statuses.get(answers[0][0], 0) + 1
            wall = time.perf_counter() - start
            cpu = server.cpu_seconds() - cpu0
        print(f'cpu: tip of {size} bytes; {args.requests} invalid POST /mine '
              f'{dict(statuses)}: server CPU {cpu / args.requests * 1000:.3f} ms per request, '
              f'{wall / args.requests * 1000:.3f} ms wall per request')
        # A tiny page's latency while 4 clients flood invalid proofs.
        stop = threading.Event()

        def flood():
            with connect(server.port) as f:
                while not stop.is_set():
                    f.sendall(body)
                    if not read_answers(f, 1, quiet=30)[0]:
                        return
        floods = [threading.Thread(target=flood) for _ in range(4)]
        for t in floods:
            t.start()
        latencies = []
        deadline = time.monotonic() + args.seconds
        with connect(server.port) as s:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                s.sendall(raw('GET', '/chain?start=1&limit=1'))
                read_answers(s, 1, quiet=30)
                latencies.append(time.perf_counter() - start)
        stop.set()
        for t in floods:
            t.join()
        print(f'cpu: GET /chain?start=1&limit=1 under the flood: median '
              f'{statistics.median(latencies) * 1000:.1f} ms over {len(latencies)} requests')
    finally:
        server.stop()


def probe_readers(args, db):
    server = Server(args.binary, db, args.difficulty)
    try:
        _, answer = request('GET', '/chain?start=1&limit=1', port=server.port)
        length = answer['length']
        rss0 = server.rss_mib()
        sockets = []
        for _ in range(args.readers):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(10)
            s.connect((HOST, server.port))
            s.sendall(raw('GET', '/chain'))
            sockets.append(s)
        time.sleep(args.seconds)
        rss1 = server.rss_mib()
        # A reader that does read still gets the whole chain.
        start = time.perf_counter()
        with connect(server.port, timeout=60) as s:
            s.sendall(raw('GET', '/chain'))
            answers, _, _ = read_answers(s, 1, quiet=30, limit=120)
        whole = len(answers[0][2]) if answers else 0
        print(f'readers: chain of {length} blocks ({whole / 2**20:.1f} MiB answer, read in '
              f'{time.perf_counter() - start:.2f} s by a reading client); RSS {rss0:.1f} MiB, '
              f'with {args.readers} idle GET /chain readers {rss1:.1f} MiB '
              f'(+{(rss1 - rss0) / max(args.readers, 1):.1f} MiB each)')
        closed = 0
        time.sleep(args.stall)
        for s in sockets:
            try:
                s.setblocking(False)
                while True:
                    if not s.recv(1 << 20):
                        closed += 1
                        break
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
            s.close()
        print(f'readers: after {args.seconds + args.stall:.0f} s, {closed} of {args.readers} '
              f'idle readers were disconnected; RSS {server.rss_mib():.1f} MiB')
    finally:
        server.stop()


def probe_halfclose(args, db):
    server = Server(args.binary, db, args.difficulty)
    try:
        kinds = {'GET /last_block': lambda: raw('GET', '/last_block'),
                 'POST /mine (invalid)': None, 'POST /mine (valid)': None}
        for kind in kinds:
            answered = 0
            forged_unanswered = 0
            for _ in range(args.tries):
                if kind == 'GET /last_block':
                    data = raw('GET', '/last_block')
                else:
                    block, difficulty = last_block(server.port)
                    proof = (chainclient.search(block, difficulty, random.randrange(1 << 40))
                             if kind.endswith('(valid)') else invalid_proof(block, difficulty))
                    data = raw('POST', '/mine', {'proof': proof, 'id': 'halfcloser'})
                with connect(server.port) as s:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                    answers, _, _ = read_answers(s, 1, quiet=5)
                if answers:
                    answered += 1
                elif kind.endswith('(valid)'):
                    block, _ = last_block(server.port)
                    forged_unanswered += block['transactions'][-1]['recipient'] == 'halfcloser'
            extra = (f', {forged_unanswered} of the unanswered ones forged a block'
                     if kind.endswith('(valid)') else '')
            print(f'halfclose: {kind}: {answered} of {args.tries} answered{extra}')
    finally:
        server.stop()


def probe_lockout(args, db):
    server = Server(args.binary, db, args.difficulty, nofile=args.nofile, log=True)
    try:
        idle = []
        for _ in range(args.idle):
            try:
                idle.append(socket.create_connection((HOST, server.port), timeout=5))
            except OSError:
                break
        time.sleep(1)
        results = []
        for _ in range(args.fresh):
            start = time.perf_counter()
            try:
                status, _ = request('GET', '/last_block', port=server.port, timeout=5)
            except OSError as error:
                status = f'no answer ({error.__class__.__name__})'
            results.append((status, time.perf_counter() - start))
        statuses = {}
        for status, _ in results:
            statuses[status] = statuses.get(status, 0) + 1
        print(f'lockout: ulimit -n {args.nofile}, {len(idle)} idle connections open; '
              f'{args.fresh} fresh GET /last_block: {statuses}, median '
              f'{statistics.median(t for _, t in results) * 1000:.1f} ms')
        for s in idle:
            s.close()
    finally:
        server.stop()


def probe_slowloris(args, db):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server = Server(args.binary, db, args.difficulty, log=True)
    try:
        slow = []
        for _ in range(args.slow):
            try:
                s = socket.create_connection((HOST, server.port), timeout=5)
                s.sendall(b'GET /last_block HTTP/1.1\r\nHost: x\r\nX-Slow: ')
                slow.append(s)
            except OSError:
                break
        time.sleep(1)

        def fresh():
            try:
                return request('GET', '/last_block', port=server.port, timeout=5)[0]
            except OSError as error:
                return f'no answer ({error.__class__.__name__})'
        first = fresh()
        time.sleep(args.seconds)
        answers = {}
        for s in slow:
            got, _, _ = read_answers(s, 1, quiet=0.01, limit=1)
            status = got[0][0] if got else 'none'
            answers[status] = answers.get(status, 0) + 1
            s.close()
        print(f'slowloris: {len(slow)} connections in the middle of a head; a fresh GET: '
              f'{first}; after {args.seconds:.0f} s the slow ones got {answers} and a fresh '
              f'GET: {fresh()}; server RSS {server.rss_mib():.1f} MiB')
    finally:
        server.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def probe_loginject(args, db):
    server = Server(args.binary, db, 1, log=True)
    try:
        request('GET', '/x%0A12:00:00.000%20blockforge.server%20info:%20Forged%20block%2099'
                '%20for%20mallory', port=server.port)
        request('GET', '/%1B[31mred%1B[0m%C2%9B31m%E2%80%AEtxt', port=server.port)
        block, difficulty = last_block(server.port)
        proof = chainclient.search(block, difficulty)
        request('POST', '/mine', {'proof': proof,
                                  'id': 'eve\nForged block 98 for mallory \u202e\u009b31m'},
                port=server.port)
        time.sleep(0.5)
        log = server.log_bytes()
        forged = [line for line in log.split(b'\n') if line.startswith(b'Forged block 9')
                  or b'info: Forged block 99' in line.split(b' /x')[0]]
        esc, csi, rlo = (log.count(b'\x1b'), log.count('\u009b'.encode()),
                         log.count('\u202e'.encode()))
        print(f'loginject: lines starting a forged log entry: {len(forged)}; raw ESC bytes: '
              f'{esc}; raw C1 CSI (U+009B): {csi}; raw U+202E: {rlo}')
        for line in log.split(b'\n'):
            if b'GET /' in line or b'Forged' in line:
                print('   ', repr(line)[:160])
    finally:
        server.stop()


def probe_upgrade(args, db):
    server = Server(args.binary, db, args.difficulty)
    try:
        with connect(server.port) as s:
            s.sendall(raw('GET', '/last_block',
                          extra=b'Connection: Upgrade\r\nUpgrade: websocket\r\n'
                                b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
                                b'Sec-WebSocket-Version: 13\r\n')
                      + raw('GET', '/chain?start=1&limit=1'))
            answers, closed, _ = read_answers(s, None, quiet=2)
        print(f'upgrade: 2 pipelined requests (the first with Upgrade: websocket): '
              f'{len(answers)} answers {[a[0] for a in answers]}, connection '
              f'{"closed" if closed else "open"}')
    finally:
        server.stop()


def rechunk_requests(rng):
    """A pipeline of 2-6 requests that change nothing, each with LF or CRLF lines."""
    pipeline = []
    for _ in range(rng.randint(2, 6)):
        eol = rng.choice([b'\r\n', b'\n'])
        kind = rng.randrange(4)
        if kind == 0:
            pipeline.append(raw('GET', '/last_block', eol=eol))
        elif kind == 1:
            pipeline.append(raw('GET', '/chain?start=1&limit=1', eol=eol))
        elif kind == 2:
            pipeline.append(raw('GET', '/nope', eol=eol))
        else:
            pipeline.append(raw('POST', '/mine', {'proof': 'x', 'id': 'a'}, eol=eol))
    return pipeline


def exchange(port, chunks, expected):
    with connect(port) as s:
        for chunk in chunks:
            s.sendall(chunk)
            time.sleep(0.002)
        answers, _, _ = read_answers(s, expected, quiet=1.0)
    return [(status, body) for status, _, body in answers]


def probe_rechunk(args, db):
    server = Server(args.binary, db, args.difficulty)
    rng = random.Random(args.seed)
    try:
        differ = 0
        for _ in range(args.pipelines):
            pipeline = rechunk_requests(rng)
            whole = b''.join(pipeline)
            one_by_one = []
            for request_bytes in pipeline:
                one_by_one += exchange(server.port, [request_bytes], 1)
            cuts = sorted(rng.sample(range(1, len(whole)), min(len(whole) - 1,
                                                                rng.randint(1, 8))))
            chunks = [whole[a:b] for a, b in zip([0] + cuts, cuts + [len(whole)])]
            answers = [exchange(server.port, [whole], len(pipeline)),
                       exchange(server.port, chunks, len(pipeline))]
            differ += any(a != one_by_one for a in answers)
        print(f'rechunk: {differ} of {args.pipelines} pipelines (LF and CRLF mixed) were '
              f'answered differently whole or re-chunked than one by one')
        # The two cases of the issue.
        lf = b'GET /last_block HTTP/1.1\nHost: x\n\n'
        crlf = raw('GET', '/last_block')
        got = exchange(server.port, [crlf + lf + crlf], 3)
        print(f'rechunk: CRLF + LF-only + CRLF in one write: statuses {[a[0] for a in got]}')
        with connect(server.port) as s:
            s.sendall(b'GET /last_block HTTP/1.1\nHost: x\n\r\n')
            answers, closed, _ = read_answers(s, None, quiet=args.quiet, limit=args.quiet + 2)
        print(f'rechunk: a head ending in \\n\\r\\n, then {args.quiet:.0f} s of silence: '
              f'statuses {[a[0] for a in answers]}, connection {"closed" if closed else "open"}')
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('binary')
    parser.add_argument('probe', choices=['pool', 'cpu', 'readers', 'bigchain', 'halfclose',
                                          'lockout', 'slowloris', 'loginject', 'upgrade',
                                          'rechunk'])
    parser.add_argument('--db', help='database to use (copied first, except for bigchain)')
    parser.add_argument('--difficulty', type=int, default=1)
    parser.add_argument('--posts', type=int, default=96)
    parser.add_argument('--size', type=int, default=60000)
    parser.add_argument('--text', choices=['ascii', 'latin', 'astral'], default='ascii')
    parser.add_argument('--blocks', type=int, default=12)
    parser.add_argument('--requests', type=int, default=200)
    parser.add_argument('--seconds', type=float, default=3)
    parser.add_argument('--readers', type=int, default=20)
    parser.add_argument('--stall', type=float, default=12)
    parser.add_argument('--tries', type=int, default=50)
    parser.add_argument('--nofile', type=int, default=256)
    parser.add_argument('--idle', type=int, default=400)
    parser.add_argument('--fresh', type=int, default=5)
    parser.add_argument('--slow', type=int, default=2100)
    parser.add_argument('--pipelines', type=int, default=200)
    parser.add_argument('--seed', type=int, default=13)
    parser.add_argument('--quiet', type=float, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, 'chain.db')
        if args.db and args.probe == 'bigchain':
            db = args.db
        elif args.db:
            shutil.copy(args.db, db)
        globals()['probe_' + args.probe](args, db)


if __name__ == '__main__':
    main()
