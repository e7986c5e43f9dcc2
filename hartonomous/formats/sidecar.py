"""Files that travel next to a model (``config.json``, ``tokenizer.json``, ``vocab.txt``).

Hugging Face keeps a model's config and tokenizer beside its weights. They are read if present,
with size caps; a malformed one is logged and ignored, never fatal to reading the weights.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hartonomous.formats.layers import detect_family
from hartonomous.logging import get_logger

CONFIG_MAX_BYTES = 16 * 1024 * 1024
TOKENIZER_MAX_BYTES = 256 * 1024 * 1024


def _read_json(path: Path, cap: int) -> Any:
    log = get_logger("formats.sidecar", file=str(path))
    try:
        if not path.is_file() or path.stat().st_size > cap:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.warning("sidecar_unreadable", error=str(exc))
        return None


def read_config(model_path: Path) -> dict[str, Any] | None:
    """The ``config.json`` beside a model file, if there is a readable one."""
    data = _read_json(model_path.parent / "config.json", CONFIG_MAX_BYTES)
    return data if isinstance(data, dict) else None


def tokens_from_tokenizer_json(data: Any) -> list[str] | None:
    """Token strings ordered by id from a parsed ``tokenizer.json`` (WordPiece, BPE, Unigram)."""
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        return None
    vocab = data["model"].get("vocab")
    by_id: dict[int, str] = {}
    if isinstance(vocab, dict):
        by_id = {int(i): str(t) for t, i in vocab.items() if isinstance(i, int)}
    elif isinstance(vocab, list):  # Unigram: [[token, score], ...] in id order
        by_id = {i: str(e[0]) for i, e in enumerate(vocab) if isinstance(e, list) and e}
    for added in data.get("added_tokens") or ():
        if isinstance(added, dict) and isinstance(added.get("id"), int):
            by_id.setdefault(added["id"], str(added.get("content", "")))
    if not by_id:
        return None
    size = max(by_id) + 1
    return [by_id.get(i, "") for i in range(size)]


def read_tokenizer(model_path: Path) -> dict[str, Any] | None:
    """Tokens of the tokenizer beside a model: ``tokenizer.json`` first, then ``vocab.txt``."""
    folder = model_path.parent
    tokens = tokens_from_tokenizer_json(_read_json(folder / "tokenizer.json", TOKENIZER_MAX_BYTES))
    if tokens is not None:
        return {"source": "tokenizer.json", "tokens": tokens}
    vocab = folder / "vocab.txt"
    try:
        if vocab.is_file() and vocab.stat().st_size <= TOKENIZER_MAX_BYTES:
            lines = vocab.read_text(encoding="utf-8").splitlines()
            return {"source": "vocab.txt", "tokens": lines}
    except (OSError, UnicodeDecodeError):
        return None
    return None


def guess_architecture(config: dict[str, Any] | None, tensor_names: Iterable[str]) -> str:
    """``architectures[0]`` or ``model_type`` from the config, else the family of the names."""
    if config:
        archs = config.get("architectures")
        if isinstance(archs, list) and archs and isinstance(archs[0], str):
            return archs[0]
        if isinstance(config.get("model_type"), str):
            return str(config["model_type"])
    return detect_family(tensor_names)


def hf_metadata(fmt: str, model_path: Path, tensor_names: Iterable[str]) -> dict[str, Any]:
    """The common metadata of a Hugging Face style file: format, architecture, config, tokenizer."""
    config = read_config(model_path)
    return {
        "format": fmt,
        "architecture": guess_architecture(config, tensor_names),
        "config": config,
        "tokenizer": read_tokenizer(model_path),
    }
