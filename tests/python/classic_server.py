#!/usr/bin/env python3
"""The classic Python "client mining" chain server, Flask-free (http.server only).

Plays the server of PROTOCOL.md as the classic Flask app does it: GET /last_block,
GET /chain, POST /mine. Like the classic app it answers a failed proof with 200 and
a message, and its forged answer carries no "reward" field.

    classic_server.py [difficulty] [lifetime_seconds] [--seed TRANSACTIONS]

Listens on 127.0.0.1, port 0, and prints the port it got on the first line of
stdout. Exits by itself after lifetime_seconds (default 120), so a test that dies
never leaves it running. --seed takes a JSON array of transactions and forges block 2
holding them (with a valid proof) before serving: values only Python's json takes as
they are, such as 10**20 or "\ud800", are then in the last block's string.
"""

import argparse
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from time import time


class Blockchain:
    def __init__(self, difficulty):
        self.chain = []
        self.current_transactions = []
        self.difficulty = difficulty
        self.new_block(previous_hash=1, proof=100)

    def new_block(self, proof, previous_hash=None):
        block = {
            'index': len(self.chain) + 1,
            'timestamp': time(),
            'transactions': self.current_transactions,
            'proof': proof,
            'previous_hash': previous_hash or self.hash(self.chain[-1]),
        }
        self.current_transactions = []
        self.chain.append(block)
        return block

    def new_transaction(self, sender, recipient, amount):
        self.current_transactions.append(
            {'sender': sender, 'recipient': recipient, 'amount': amount})
        return self.last_block['index'] + 1

    @staticmethod
    def hash(block):
        block_string = json.dumps(block, sort_keys=True).encode()
        return hashlib.sha256(block_string).hexdigest()

    @property
    def last_block(self):
        return self.chain[-1]

    def proof_of_work(self):
        block_string = json.dumps(self.last_block, sort_keys=True)
        proof = 0
        while not self.valid_proof(block_string, proof):
            proof += 1
        return proof

    def valid_proof(self, block_string, proof):
        guess = f'{block_string}{proof}'.encode()
        return hashlib.sha256(guess).hexdigest()[:self.difficulty] == '0' * self.difficulty


lock = threading.Lock()
blockchain = None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            if self.path == '/last_block':
                return self.reply(200, {'last_block': blockchain.last_block,
                                        'difficulty': blockchain.difficulty})
            if self.path == '/chain':
                return self.reply(200, {'chain': blockchain.chain,
                                        'length': len(blockchain.chain)})
        self.reply(404, {'message': 'Not found'})

    def do_POST(self):
        if self.path != '/mine':
            return self.reply(404, {'message': 'Not found'})
        length = int(self.headers.get('Content-Length') or 0)
        try:
            data = json.loads(self.rfile.read(length))
        except ValueError:
            return self.reply(400, {'message': 'Body is not JSON'})
        if not isinstance(data, dict) or 'proof' not in data or 'id' not in data:
            return self.reply(400, {'message': 'Missing values'})
        with lock:
            block_string = json.dumps(blockchain.last_block, sort_keys=True)
            if blockchain.valid_proof(block_string, data['proof']):
                blockchain.new_transaction(sender='0', recipient=data['id'].strip(), amount=1)
                previous_hash = blockchain.hash(blockchain.last_block)
                block = blockchain.new_block(data['proof'], previous_hash)
                return self.reply(200, {'message': 'New Block Forged',
                                        'index': block['index'],
                                        'transactions': block['transactions'],
                                        'proof': block['proof'],
                                        'previous_hash': block['previous_hash']})
        self.reply(200, {'message': 'Proof was invalid or already submitted'})


def main():
    global blockchain
    parser = argparse.ArgumentParser()
    parser.add_argument('difficulty', type=int, nargs='?', default=6)
    parser.add_argument('lifetime', type=float, nargs='?', default=120.0)
    parser.add_argument('--seed', help='JSON array of transactions for block 2')
    args = parser.parse_args()
    blockchain = Blockchain(args.difficulty)
    if args.seed:
        blockchain.current_transactions = json.loads(args.seed)
        blockchain.new_block(blockchain.proof_of_work(), blockchain.hash(blockchain.last_block))
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None   # a miner hanging up is fine
    print(server.server_address[1], flush=True)
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == '__main__':
    main()
