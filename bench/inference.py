"""Inference benchmark: models run from their rows in PostgreSQL vs the reference libraries.

- load time: weights read from the database (chunks reassembled, hashes checked, decoded) vs
  the same weights from the safetensors file, and vs the reference loader;
- MiniLM sentences/s: the numpy forward pass over stored weights vs sentence-transformers'
  ``encode`` on the same 512 WordNet glosses (batch 32 both), with the embeddings compared;
- GPT-2 tokens/s: greedy decoding (KV cache) over stored weights vs transformers' ``generate``
  on the same weights (a GPT-2 of 6 layers x 512 wide, 8,192-token BPE vocabulary trained on the
  glosses, random init: speed does not depend on the values), tokens checked identical.

Runs in its own database (``hartonomous_bench``). Figures are medians of 3 runs.

    .venv/bin/python bench/inference.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hartonomous.config import Settings  # noqa: E402
from hartonomous.query.testing import bench_database, build_tiny_decoder, wordnet_glosses  # noqa: E402

GPT2_NAME = "bench-gpt2-6x512"
RUNS = 3


def median_time(fn: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    """Median seconds of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def row(label: str, ours: float, reference: float, unit: str, higher_is_better: bool) -> dict[str, Any]:
    """One line of the report, with the ratio ours / reference."""
    ratio = ours / reference if reference else float("nan")
    print(f"  {label:<44} ours {ours:>10.2f} {unit:<6} reference {reference:>10.2f} {unit:<6} ratio {ratio:.2f}x"
          f" ({'higher' if higher_is_better else 'lower'} is better)")
    return {"label": label, "ours": ours, "reference": reference, "unit": unit, "ratio": ratio}


def bench_minilm(settings: Settings, texts: list[str]) -> list[dict[str, Any]]:
    """MiniLM: load from rows vs file vs sentence-transformers; sentences/s vs encode."""
    from safetensors.numpy import load_file
    from sentence_transformers import SentenceTransformer

    from hartonomous.embedding.sentence_transformer import bundled_model_dir
    from hartonomous.models import ensure_embedder_model
    from hartonomous.query.db import open_connection
    from hartonomous.query.forward import build_encoder
    from hartonomous.query.stored import StoredEncoder
    from hartonomous.query.weights import load_weights

    ensure_embedder_model(settings)
    folder = bundled_model_dir()
    out: list[dict[str, Any]] = []
    print(f"\nall-MiniLM-L6-v2 (22.7M parameters), {len(texts)} WordNet glosses")
    with open_connection(settings) as conn:
        db_load, loaded = median_time(lambda: load_weights(settings, conn, name=settings.embedder_name))
    file_load, _ = median_time(lambda: build_encoder(load_file(str(folder / "model.safetensors")),
                                                     json.loads((folder / "config.json").read_text())))
    st_load, reference = median_time(lambda: SentenceTransformer(str(folder), device="cpu"))
    out.append(row("load: rows in PostgreSQL vs safetensors file", db_load * 1000, file_load * 1000, "ms", False))
    out.append(row("load: rows in PostgreSQL vs SentenceTransformer()", db_load * 1000, st_load * 1000, "ms", False))
    encoder = StoredEncoder(loaded, batch_size=32)
    ours_s, ours = median_time(lambda: encoder.encode(texts))
    ref_s, ref = median_time(lambda: reference.encode(texts, batch_size=32, normalize_embeddings=True))
    cosines = (ours * ref).sum(axis=1)
    out.append(row("encode: numpy over stored weights vs ST encode", len(texts) / ours_s, len(texts) / ref_s, "sent/s", True))
    print(f"  embeddings: min cosine to sentence-transformers {cosines.min():.6f}")
    return out


def bench_gpt2(settings: Settings, corpus: str) -> list[dict[str, Any]]:
    """A 6x512 GPT-2: load from rows vs file; greedy tokens/s vs transformers generate."""
    import torch
    from safetensors.numpy import load_file
    from transformers import AutoModelForCausalLM

    from hartonomous.models import ingest_model, model_by_name, resolve_source
    from hartonomous.query.db import open_connection
    from hartonomous.query.forward import Sampling, TextTokenizer, build_decoder, generate
    from hartonomous.query.weights import load_weights
    from hartonomous.store import connect, queries

    folder = settings.state_path / "bench" / GPT2_NAME
    if not (folder / "model.safetensors").is_file():
        build_tiny_decoder("gpt2", folder, hidden=512, layers=6, heads=8, positions=512, vocab_size=8192,
                           train_steps=0, tokenizer_text=corpus)
    with connect(settings) as conn:
        if model_by_name(conn, queries(settings), GPT2_NAME) is None:
            ingest_model(conn, queries(settings), resolve_source(folder, (folder.resolve(),)), name=GPT2_NAME)
    config = json.loads((folder / "config.json").read_text())
    params = sum(a.size for a in load_file(str(folder / "model.safetensors")).values())
    print(f"\nGPT-2 {config['n_layer']} layers x {config['n_embd']} ({params / 1e6:.1f}M parameters, vocab "
          f"{config['vocab_size']}), greedy, 64 new tokens")
    out: list[dict[str, Any]] = []
    with open_connection(settings) as conn:
        db_load, loaded = median_time(lambda: load_weights(settings, conn, name=GPT2_NAME))
    file_load, _ = median_time(lambda: build_decoder(load_file(str(folder / "model.safetensors")), config))
    hf_load, model = median_time(lambda: AutoModelForCausalLM.from_pretrained(folder).eval())
    out.append(row("load: rows in PostgreSQL vs safetensors file", db_load * 1000, file_load * 1000, "ms", False))
    out.append(row("load: rows in PostgreSQL vs from_pretrained()", db_load * 1000, hf_load * 1000, "ms", False))
    decoder = build_decoder(loaded.weights, loaded.config)
    prompt = TextTokenizer((folder / "tokenizer.json").read_text()).encode("a large natural stream of water")
    new_tokens = 64
    ours_s, ours = median_time(lambda: generate(decoder, prompt, Sampling(new_tokens)))
    with torch.no_grad():
        ref_s, ref = median_time(lambda: model.generate(torch.tensor([prompt]), max_new_tokens=new_tokens, do_sample=False))
    reference_tokens = ref[0, len(prompt):].tolist()
    out.append(row("greedy: numpy over stored weights vs HF generate", len(ours.token_ids) / ours_s,
                   len(reference_tokens) / ref_s, "tok/s", True))
    common = min(len(ours.token_ids), len(reference_tokens))
    same = list(ours.token_ids[:common]) == reference_tokens[:common]
    print(f"  tokens identical to transformers: {same} ({common} tokens compared)")
    return out


def main() -> None:
    """Run both benchmarks and save ``<state>/bench/inference.json``."""
    import argparse

    import torch
    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for both numpy's BLAS and torch (1: fair and stable on a shared machine)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    settings = bench_database(Settings.from_env())
    glosses = [g for g, _ in wordnet_glosses()]
    rng = np.random.default_rng(0)
    texts = [glosses[i] for i in rng.choice(len(glosses), 512, replace=False)]
    print(f"threads: torch {torch.get_num_threads()}, numpy BLAS {args.threads}; the machine has {os.cpu_count()} cores")
    rows = bench_minilm(settings, texts) + bench_gpt2(settings, "\n".join(glosses[:40000]))
    out = settings.state_path / "bench" / "inference.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    print(f"\nsaved {out}")


if __name__ == "__main__":
    main()
