"""The machine's speed, printed beside a benchmark's figures: machines here differ by two to three times in
what the same code takes (the same code's 10^7 draw, benchmarks/bench_draw.py: 24.5–31.8 s on one, 51.1 s on
another), so a figure needs its machine's reference to be compared with another machine's."""

from __future__ import annotations

import hashlib
import os
import timeit


def speed() -> str:
    """Best of five: sum(range(10**6)) (the interpreter) and SHA-256 of 64 bytes (a call into OpenSSL)."""
    interpreter = min(timeit.repeat("sum(range(10**6))", number=5, repeat=5)) / 5
    data = os.urandom(64)
    digest = min(timeit.repeat(lambda: hashlib.sha256(data).digest(), number=100_000, repeat=5)) / 100_000
    return f"sum(range(10**6)) {interpreter * 1000:.1f} ms, SHA-256 of 64 bytes {digest * 1e6:.2f} µs"
