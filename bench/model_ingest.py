"""Model ingestion: MB/s of ``model ingest`` next to the raw rates of the same file, peak memory,
and the dedup of the four derived-model cases under each chunking.

For all-MiniLM-L6-v2 (from its wheel) and a generated BERT-base-shaped model (~440 MB,
safetensors, cached under ``<state>/bench/``), in the same run:

- reference 1, the practical limit of reading: read the file and BLAKE3 it (8 MiB blocks);
- reference 2, the store's write limit: COPY the file's bytes as 64 KiB rows into a table laid
  out like ``chunks`` (no hashing, no statistics, no weight rows);
- ``ingest``: :func:`hartonomous.models.ingest_model` into an empty store (everything: chunks,
  statistics, weight rows, vocabulary), in a child process whose peak RSS (which counts the
  mapped file's pages) and peak anonymous memory (the heap) are reported;
- ``ingest again``: the same file under a second name (every chunk found stored).

Dedup (point 3 of issue 5), MiniLM as the base: the same file under two names, a fine-tune with
layers 0-2 frozen, the embedding extended by 8 tokens, a layer subset (0, 2, 4), and 2 of 12 heads
pruned; in memory for each chunking (rows / fixed / tensor / cdc per tensor, and fixed 64 KiB over
the whole file) with its chunk+hash MB/s, then measured in the store (new chunk bytes written).

Runs in its own database (``hartonomous_bench_models``, recreated each run), so the pipeline's
database and its change capture never see it.

    .venv/bin/python bench/model_ingest.py [--skip-large]
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hartonomous.config import Settings  # noqa: E402
from hartonomous.formats import hash_file  # noqa: E402

BENCH_DB = "hartonomous_bench_models"
LARGE = {"vocab": 30522, "hidden": 768, "heads": 12, "layers": 12, "intermediate": 3072, "positions": 512}
STRATEGIES = ("rows", "fixed", "tensor", "cdc", "file-fixed")


def bench_settings(settings: Settings) -> Settings:
    """Settings on a freshly created benchmark database."""
    import psycopg

    from hartonomous.stack.postgres import resolve_pg_url
    from hartonomous.store import migrate

    base = resolve_pg_url(settings)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    out = settings.replace(pg_url=base.rsplit("/", 1)[0] + "/" + BENCH_DB)
    migrate(out)
    return out


def _anon_kb() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("RssAnon:"))


def _ingest_child(settings: Settings, path: str, name: str) -> dict[str, Any]:
    """Run one ingest in this (child) process; report its figures and peak memory."""
    from hartonomous.logging import configure_logging
    from hartonomous.models import IngestOptions, ingest_model, resolve_source
    from hartonomous.store import connect, queries

    configure_logging("WARNING")
    peak = [_anon_kb()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _anon_kb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with connect(settings) as conn:
        started = time.perf_counter()
        result = ingest_model(conn, queries(settings), resolve_source(path, (Path("/"),)), name=name,
                              options=IngestOptions.from_settings(settings))
        seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"seconds": seconds, "bytes": result.bytes, "new": result.new_chunk_bytes, "rows": result.weight_rows,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak_anon_mb": peak[0] / 1024}


def ingest(settings: Settings, path: Path, name: str) -> dict[str, Any]:
    """An ingest in a fresh child process (so its peak memory is its own)."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_ingest_child, settings, str(path), name).result()


def read_and_hash(path: Path) -> float:
    """Seconds to read and BLAKE3 the file."""
    started = time.perf_counter()
    hash_file(str(path))
    return time.perf_counter() - started


def copy_limit(settings: Settings, path: Path) -> float:
    """Seconds to COPY the file's bytes as 64 KiB rows into a chunks-like table (then dropped)."""
    from hartonomous.store import connect

    data = memoryview(path.read_bytes())
    with connect(settings) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE TABLE bench_copy (hash text PRIMARY KEY, length integer NOT NULL, bytes bytea NOT NULL)")
        conn.execute("ALTER TABLE bench_copy ALTER COLUMN bytes SET STORAGE EXTERNAL")
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur, cur.copy(
                "COPY bench_copy (hash, length, bytes) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "int4", "bytea"])
            for n, offset in enumerate(range(0, len(data), 65536)):
                piece = data[offset : offset + 65536]
                copy.write_row((f"{n:016x}", len(piece), piece))
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return seconds


def large_model(settings: Settings) -> Path:
    """The generated BERT-base-shaped model (random weights), written once and cached."""
    from hartonomous.models.testing import write_tiny_bert

    folder = settings.state_path / "bench" / "bert-base-random"
    if not (folder / "model.safetensors").is_file():
        write_tiny_bert(folder, seed=1, **LARGE)
    return folder


def throughput(settings: Settings, label: str, folder: Path, weights: Path) -> None:
    """Reference rates, then the ingests, one line each."""
    size = weights.stat().st_size
    hashed = min(read_and_hash(weights) for _ in range(3))
    copied = copy_limit(settings, weights)
    first = ingest(settings, folder, f"{label}")
    again = ingest(settings, folder, f"{label}-again")
    mb = size / 1e6
    print(f"\n{label}: {mb:.0f} MB ({weights.name})")
    print(f"  reference: read + BLAKE3          {mb / hashed:8.0f} MB/s")
    print(f"  reference: COPY bytes as 64 KiB   {mb / copied:8.0f} MB/s")
    print(f"  model ingest (empty store)        {mb / first['seconds']:8.1f} MB/s  {first['seconds']:6.1f} s  "
          f"= {hashed / first['seconds']:.3f} x read+hash, {copied / first['seconds']:.2f} x COPY; "
          f"{first['rows']} weight rows; peak RSS {first['peak_rss_mb']:.0f} MB (anon {first['peak_anon_mb']:.0f} MB)")
    print(f"  model ingest (same file, 2nd name){mb / again['seconds']:8.1f} MB/s  {again['seconds']:6.1f} s  "
          f"new chunk bytes {again['new']}; peak RSS {again['peak_rss_mb']:.0f} MB (anon {again['peak_anon_mb']:.0f} MB)")


def dedup(settings: Settings, base_folder: Path) -> None:
    """The dedup cases in memory per chunking, then in the store with the configured chunking."""
    from hartonomous.models import scenarios as sc
    from hartonomous.models.dedup import measure

    base = base_folder / "model.safetensors"
    work = settings.state_path / "bench" / "dedup"
    work.mkdir(parents=True, exist_ok=True)
    cases = {
        "same file, second name": sc.copy_of(base, work / "copy.safetensors"),
        "fine-tune, layers 0-2 frozen": sc.fine_tune_frozen(base, work / "finetune.safetensors", 3),
        "embedding + 8 tokens": sc.extend_embedding(base, work / "extended.safetensors", 8),
        "layer subset 0,2,4": sc.layer_subset(base, work / "subset.safetensors", [0, 2, 4]),
        "2 of 12 heads pruned": sc.prune_heads(base, work / "heads.safetensors", 12, [3, 7]),
    }
    print("\ndedup vs all-MiniLM-L6-v2 (share of the derived model's bytes already stored; chunk+hash MB/s)")
    print(f"  {'case':<30}" + "".join(f"{s:>18}" for s in STRATEGIES) + f"{'in the store (ingest s)':>26}")
    ingest(settings, base_folder, "dedup-base")
    for label, path in cases.items():
        figures = [measure(base, path, s) for s in STRATEGIES]
        stored = ingest(settings, path, f"dedup-{label}")
        total = figures[0].total_bytes  # the derived model's tensor bytes
        cells = "".join(f"{f.ratio:>9.1%} @{f.mb_per_s:>6.0f}" for f in figures)
        print(f"  {label:<30}{cells}{1 - stored['new'] / total:>17.1%} ({stored['seconds']:.1f} s)")


def main() -> None:
    """Run everything and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true", help="MiniLM only")
    args = parser.parse_args()
    from hartonomous.embedding.sentence_transformer import bundled_model_dir
    from hartonomous.logging import configure_logging

    configure_logging("WARNING")
    started = time.perf_counter()
    root = Settings.from_env()
    settings = bench_settings(root)
    minilm = bundled_model_dir()
    print(f"store: {BENCH_DB} (fresh); chunking {settings.model_chunking} {settings.model_chunk_bytes} B; "
          f"weight rows <= {settings.model_weight_rows_max_rows} rows x {settings.model_weight_rows_max_dim} dims")
    throughput(settings, "all-MiniLM-L6-v2", minilm, minilm / "model.safetensors")
    if not args.skip_large:
        folder = large_model(settings)
        throughput(settings, "bert-base-random", folder, folder / "model.safetensors")
    dedup(bench_settings(root), minilm)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
