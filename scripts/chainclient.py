"""Small standard-library client of the classic chain protocol, shared by the
durability and load scripts: keep-alive HTTP, proof search, chain verification."""
import hashlib
import http.client
import json
import os
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def block_string(block):
    return json.dumps(block, sort_keys=True)


def block_hash(block):
    return hashlib.sha256(block_string(block).encode()).hexdigest()


def valid_proof(text, proof, difficulty):
    return hashlib.sha256(f'{text}{proof}'.encode()).hexdigest().startswith('0' * difficulty)


def search(block, difficulty, start=0):
    text = block_string(block)
    proof = start
    while not valid_proof(text, proof, difficulty):
        proof += 1
    return proof


def verify_chain(chain, difficulty):
    """Returns None when every link and proof holds, else what is wrong."""
    for previous, block in zip(chain, chain[1:]):
        if block['index'] != previous['index'] + 1:
            return f"block {block['index']} follows {previous['index']}"
        if block['previous_hash'] != block_hash(previous):
            return f"block {block['index']} has a broken previous_hash"
        if not valid_proof(block_string(previous), block['proof'], difficulty):
            return f"block {block['index']} has an invalid proof"
    return None


class Client:
    """One keep-alive connection; reconnects after an error."""

    def __init__(self, port, timeout=5.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=self.timeout)
        try:
            headers = {'Content-Type': 'application/json'} if body is not None else {}
            data = json.dumps(body).encode() if body is not None else None
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def start_server(binary, port, db, difficulty, extra=()):
    """Starts `blockforge --server` and waits until it answers; returns the Popen."""
    args = [binary, '--server', '--port', str(port), '--db', db,
            '--difficulty', str(difficulty), *extra]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, 'QT_LOGGING_RULES': 'blockforge.*.info=false'})
    deadline = time.monotonic() + 15
    client = Client(port, timeout=1)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'server exited with {process.returncode}: '
                               f'{process.stderr.read().decode(errors="replace")}')
        try:
            if client.request('GET', '/last_block')[0] == 200:
                client.close()
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError('server did not answer within 15 s')


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0
