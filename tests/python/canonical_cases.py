#!/usr/bin/env python3
"""Random JSON texts and what Python's json.dumps(..., sort_keys=True) makes of them.

Prints one JSON array per line: [input_bytes_as_hex, expected_dumps]. The input is read
as a server reads a body, json.loads(bytes): raw UTF-8 may hold lone surrogates
("surrogatepass"). Values include integers of any size and lone surrogates, which
Python reads and writes back unchanged. Standard library only.
Usage: canonical_cases.py COUNT SEED
"""
import json
import random
import struct
import sys


def random_float(rng):
    kind = rng.random()
    if kind < 0.3:   # any finite double, from its bits
        while True:
            value = struct.unpack('<d', struct.pack('<Q', rng.getrandbits(64)))[0]
            if value == value and value not in (float('inf'), float('-inf')):
                return value
    if kind < 0.6:   # timestamps like time()
        return rng.uniform(1.5e9, 1.8e9)
    if kind < 0.8:   # around the fixed/exponent switch points
        return rng.choice([1, -1]) * rng.random() * 10 ** rng.randint(-8, 20)
    return float(rng.randint(-10**17, 10**17))


def random_string(rng):
    alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\x00', '\x1f', '\x7f',
                '\u00e9', '\u2028', '\u5f20', '\U0001f680', "'", '\b', '\f', '\r',
                '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude80', '\ue000']
    return ''.join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))


def random_value(rng, depth=0):
    kind = rng.randint(0, 7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        if rng.random() < 0.5:
            return rng.randint(-2**63, 2**64 - 1)
        return rng.choice([rng.randint(-2**200, 2**200), rng.randint(2**64, 2**70),
                           rng.choice([1, -1]) * 10 ** rng.randint(19, 60),
                           -2**63 - 1, 2**64])
    if kind == 2:
        return random_float(rng)
    if kind in (3, 4):
        return random_string(rng)
    if kind == 5:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_string(rng): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    for _ in range(count):
        value = random_value(rng)
        # The wire bytes: unsorted, sometimes raw UTF-8 (lone surrogates as their
        # three bytes) instead of escapes.
        wire = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode('utf-8', 'surrogatepass')
        print(json.dumps([wire.hex(), json.dumps(json.loads(wire), sort_keys=True)]))


if __name__ == '__main__':
    main()
