"""Small real models for tests and benchmarks, built here (no hub): tokenizer + weights + config.

:func:`build_tiny_decoder` trains a byte-level BPE tokenizer on :data:`TRAINING_TEXT`, builds a
GPT-2 or Llama model from a ``transformers`` config (seeded random init), optionally trains it
for a few steps on the same text, and saves it as a Hugging Face folder (``model.safetensors``,
``config.json``, ``tokenizer.json``...) that ``transformers`` and the store both load.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TRAINING_TEXT = """\
A database keeps rows in tables, and every row can be read back with a query.
An index makes a query fast: it finds the rows without reading the whole table.
A model is a set of tensors; each tensor is a grid of numbers stored as bytes.
The bytes of a tensor can be cut into chunks, and equal chunks are stored once.
Every change to a table becomes an event, and every event can be traced to its source.
A query that reads the weights of a model from the database can run that model.
The graph shows where an answer came from: which model, which documents, which request.
A student model keeps some layers of its parent and shares the parent's chunks.
Search finds the nearest documents to a question by comparing their vectors.
The exact search reads every vector; the approximate search follows a graph of neighbours.
"""

EOS = "<|endoftext|>"


def train_tokenizer(text: str = TRAINING_TEXT, vocab_size: int = 384) -> Any:
    """A byte-level BPE ``tokenizers.Tokenizer`` trained on ``text`` with one special token, EOS."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(text.splitlines(), trainer)
    return tok


def _config(family: str, vocab: int, eos: int, hidden: int, layers: int, heads: int, positions: int) -> Any:
    from transformers import GPT2Config, LlamaConfig

    if family == "gpt2":
        return GPT2Config(
            vocab_size=vocab, n_embd=hidden, n_layer=layers, n_head=heads, n_positions=positions,
            bos_token_id=eos, eos_token_id=eos,
        )
    if family == "llama":
        return LlamaConfig(
            vocab_size=vocab, hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
            num_attention_heads=heads, num_key_value_heads=max(1, heads // 2), max_position_embeddings=positions,
            bos_token_id=eos, eos_token_id=eos, tie_word_embeddings=False,
        )
    raise ValueError(f"unknown family {family!r}: gpt2 or llama")


def build_tiny_decoder(
    family: str,
    directory: Path,
    *,
    seed: int = 0,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    positions: int = 256,
    vocab_size: int = 384,
    train_steps: int = 40,
    tokenizer_text: str = TRAINING_TEXT,
) -> Path:
    """Build, train briefly (``train_steps`` AdamW steps; 0 keeps the random init) and save a model.

    ``tokenizer_text`` trains the tokenizer (default: the small training text; a larger text gives
    a realistic vocabulary for benchmarks). Returns ``directory``, which then holds ``model.safetensors``, ``config.json``,
    ``generation_config.json``, ``tokenizer.json`` and ``tokenizer_config.json``.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    tok = train_tokenizer(tokenizer_text, vocab_size=vocab_size)
    eos = tok.token_to_id(EOS)
    torch.manual_seed(seed)
    config = _config(family, tok.get_vocab_size(), eos, hidden, layers, heads, positions)
    model = AutoModelForCausalLM.from_config(config)
    if train_steps:
        ids = torch.tensor(tok.encode(TRAINING_TEXT).ids)
        window = min(64, len(ids) - 1)
        starts = torch.arange(0, len(ids) - window - 1, window // 2)
        optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
        model.train()
        for step in range(train_steps):
            batch = torch.stack([ids[s : s + window] for s in starts[step % 2 :: 2]])
            loss = model(input_ids=batch, labels=batch).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    model.save_pretrained(directory)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, bos_token=EOS, unk_token=None)
    fast.save_pretrained(directory)
    return directory


def load_hf_folder(folder: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """``(weights as numpy arrays, config, tokenizer.json text)`` of a Hugging Face folder on disk."""
    import json

    from safetensors.numpy import load_file

    weights = load_file(str(folder / "model.safetensors"))
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return weights, config, (folder / "tokenizer.json").read_text(encoding="utf-8")


def bulk_load(
    settings: Any,
    texts: list[str],
    vectors: Any,
    *,
    embedder: str,
    source_uri: str = "bench:corpus",
    category: str | None = None,
    categories: list[str | None] | None = None,
    model_source: str | None = None,
    projections: Any = None,
    projection_version: int = 1,
) -> tuple[int, list[int]]:
    """Load texts and their vectors straight into ``documents``/``embeddings`` (COPY; benchmarks
    and tests only: the pipeline's path is ingest -> enricher -> embedder).

    ``projections`` (``(n, 3)``) are stored as the embedder's projection ``projection_version``.
    Texts must be distinct. Returns ``(embedder id, document ids in text order)``; documents that
    already exist (same content hash) are reused and their embedding replaced.
    """
    import hashlib

    import numpy as np
    from pgvector.psycopg import register_vector
    from psycopg.types.json import Jsonb

    from hartonomous.store import connect, queries

    if len(set(texts)) != len(texts):
        raise ValueError("texts must be distinct (documents are unique by content hash)")
    vectors = np.asarray(vectors, dtype=np.float32)
    hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    cats = categories if categories is not None else [category] * len(texts)
    sql = queries(settings)
    with connect(settings) as conn:
        register_vector(conn)
        row = conn.execute(sql["embedder_register"], {
            "name": embedder, "dimension": int(vectors.shape[1]), "model_source": model_source, "normalized": True,
        }).fetchone()
        assert row is not None
        embedder_id = int(row[0])
        with conn.transaction():
            conn.execute(sql["bulk_stage_create"])
            with conn.cursor().copy(sql["bulk_stage_copy"]) as copy:
                for i, text in enumerate(texts):
                    copy.write_row((source_uri, text, cats[i], i))
            conn.execute(sql["bulk_documents_insert"])
        ids_by_hash: dict[str, int] = dict(conn.execute(sql["bulk_documents_ids"], {"hashes": hashes}).fetchall())
        ids = [int(ids_by_hash[h]) for h in hashes]
        with conn.transaction():
            conn.execute(sql["bulk_embeddings_clear"], {"embedder_id": embedder_id, "ids": ids})
            if projections is None:
                with conn.cursor().copy(sql["bulk_embeddings_copy"]) as copy:
                    copy.set_types(["int8", "int8", "text", "vector"])
                    for i, doc in enumerate(ids):
                        copy.write_row((doc, embedder_id, hashes[i], vectors[i]))
            else:
                points = np.asarray(projections, dtype=np.float32)
                with conn.cursor().copy(sql["bulk_embeddings_copy_projected"]) as copy:
                    copy.set_types(["int8", "int8", "text", "vector", "vector", "int4"])
                    for i, doc in enumerate(ids):
                        copy.write_row((doc, embedder_id, hashes[i], vectors[i], points[i], projection_version))
                conn.execute(sql["bulk_embedder_projection"], {
                    "embedder_id": embedder_id, "version": projection_version,
                    "params": Jsonb({"loaded_by": "bulk_load"}), "points": len(ids),
                })
        conn.execute(sql["embedder_ensure_index"], {"embedder_id": embedder_id})
    return embedder_id, ids


WORDNET_DIR = Path("/usr/share/wordnet")


def wordnet_glosses(directory: Path = WORDNET_DIR, parts: tuple[str, ...] = ("noun", "verb", "adj", "adv")) -> list[tuple[str, str]]:
    """``(gloss, part of speech)`` of every WordNet synset, distinct glosses only, in file order.

    Reads ``data.<part>`` (Debian's ``wordnet-base``); ~117,000 real English definitions with
    their examples. Raises ``FileNotFoundError`` naming the package when it is missing.
    """
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in parts:
        path = directory / f"data.{part}"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: apt-get install -y wordnet-base")
        with path.open(encoding="latin-1") as fh:
            for line in fh:
                if line.startswith(" ") or "|" not in line:
                    continue
                gloss = " ".join(line.split("|", 1)[1].split())
                if gloss and gloss not in seen:
                    seen.add(gloss)
                    out.append((gloss, part))
    return out


def bench_database(settings: Any, name: str = "hartonomous_bench") -> Any:
    """Settings for a separate database on the configured server (created and migrated on first use),
    so benchmarks never fill the pipeline's database or its change capture."""
    import psycopg
    from psycopg import sql as pgsql

    from hartonomous.stack.postgres import resolve_pg_url
    from hartonomous.store import migrate

    base = resolve_pg_url(settings)
    with psycopg.connect(base, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    out = settings.replace(pg_url=base.rsplit("/", 1)[0] + "/" + name, query_publish_events=False)
    migrate(out)
    return out
