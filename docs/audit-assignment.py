"""Recomputes Tessera's campaign split from its definition (README, "Assignment"), to audit a
manifest without Tessera: `pip install blake3`, then
    python3 docs/audit-assignment.py SEED HOLDOUT NAME=WEIGHT [NAME=WEIGHT ...] < ids.txt
prints each customer id with its arm. The engine's test of fixed vectors holds it to the same.
"""
import math
import struct
import sys

import blake3

MASK = 0xFFFFFFFFFFFFFFFF


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK


def siphash24(k0, k1, data):
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(n):
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
            v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)

    whole = len(data) // 8 * 8
    for i in range(0, whole, 8):
        m = struct.unpack("<Q", data[i:i + 8])[0]
        v3 ^= m; rounds(2); v0 ^= m
    last = (len(data) << 56) & MASK
    for i, c in enumerate(data[whole:]):
        last |= c << (8 * i)
    v3 ^= last; rounds(2); v0 ^= last
    v2 ^= 0xFF; rounds(4)
    return (v0 ^ v1 ^ v2 ^ v3) & MASK


def main():
    seed, holdout, arms = sys.argv[1], float(sys.argv[2]), [a.split("=") for a in sys.argv[3:]]
    key = blake3.blake3(seed.encode(), derive_key_context="tessera campaign assignment v1").digest()
    k0, k1 = struct.unpack("<QQ", key[:16])

    def draw(label, customer):
        h = siphash24(k0, k1, label + struct.pack("<q", customer))
        return ((h >> 11) + 0.5) / 2**53

    for line in sys.stdin:
        customer = int(line)
        if holdout > 0 and draw(b"holdout", customer) < holdout:
            print(customer, "holdout")
            continue
        scores = [(-math.log(draw(b"arm:" + n.strip().encode(), customer)) / float(w), i)
                  for i, (n, w) in enumerate(arms)]
        print(customer, arms[min(scores)[1]][0])


if __name__ == "__main__":
    main()
