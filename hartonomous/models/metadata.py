"""A model's metadata for the store: a small JSON summary on the models row, the full GGUF
key/values as a document, and text made safe for PostgreSQL.

The models row is captured by CDC (it becomes an event on Kafka), so it stays small: long GGUF
arrays such as the tokenizer's tokens live in ``model_files`` (``gguf_kvs.json``) and the
``vocab_tokens`` table, not in ``models.metadata``. PostgreSQL's ``jsonb`` refuses NaN, NUL
characters and lone surrogates; :func:`jsonb_safe` replaces them. Pure functions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from gguf import GGUFValueType

from hartonomous.formats import GGUFKeyValue, ModelFile

GGUF_KVS_PATH = ".hartonomous/gguf_kvs.json"  # hidden: no sidecar can have this path
SUMMARY_STRING_MAX = 1024
SUMMARY_ARRAY_MAX = 64
SUMMARY_MAX_BYTES = 256 * 1024


def clean_text(text: str) -> str:
    """``text`` storable in PostgreSQL: bytes that were not UTF-8 and NUL shown as ``\\xNN``."""
    fixed = text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")
    return fixed.replace("\x00", "\\x00")


def jsonb_safe(value: Any) -> Any:
    """``value`` with non-finite floats as strings and text cleaned, ready for ``jsonb``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): jsonb_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonb_safe(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return clean_text(str(value))


def _small(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= SUMMARY_STRING_MAX
    if isinstance(value, list):
        return len(value) <= SUMMARY_ARRAY_MAX and all(not isinstance(v, list | str) or _small(v) for v in value)
    return True


def gguf_summary(kvs: Sequence[GGUFKeyValue]) -> dict[str, Any]:
    """The GGUF key/values that are short (scalars, short strings and arrays), for SQL."""
    return {kv.key: kv.value for kv in kvs if _small(kv.value)}


def summary(model: ModelFile) -> dict[str, Any]:
    """The format-specific metadata kept on the models row (small, ``jsonb``-safe)."""
    meta = model.metadata
    out: dict[str, Any] = {}
    if "safetensors_metadata" in meta:
        out["safetensors_metadata"] = meta["safetensors_metadata"]
        out["safetensors_metadata_order"] = list(meta["safetensors_metadata"])  # jsonb sorts keys
    if "gguf" in meta:
        kvs = getattr(model, "kvs", ())
        out["gguf"] = gguf_summary(kvs)
        out["gguf_version"] = meta.get("gguf_version")
        out["gguf_alignment"] = meta.get("gguf_alignment")
        out["gguf_kv_count"] = len(kvs)
    for key in ("onnx", "torch"):
        if key in meta:
            out[key] = meta[key]
    tokenizer = meta.get("tokenizer")
    if isinstance(tokenizer, Mapping):
        out["tokenizer"] = {"source": tokenizer.get("source"), "model": tokenizer.get("model"),
                            "size": len(tokenizer.get("tokens") or ())}
    safe = jsonb_safe(out)
    if len(json.dumps(safe)) > SUMMARY_MAX_BYTES:  # e.g. huge safetensors __metadata__: keep the keys only
        for key, value in list(safe.items()):
            if isinstance(value, dict) and len(json.dumps(value)) > SUMMARY_MAX_BYTES // 4:
                safe[key] = {"keys": sorted(value)[:200], "truncated": True}
    return safe


def gguf_kvs_document(model: ModelFile) -> bytes | None:
    """All GGUF key/values in file order with their types, as JSON (``None`` if not GGUF)."""
    kvs: Sequence[GGUFKeyValue] = getattr(model, "kvs", ())
    if model.format != "gguf":
        return None
    doc = {
        "version": model.metadata.get("gguf_version"),
        "alignment": model.metadata.get("gguf_alignment"),
        "kvs": [
            {"key": kv.key, "type": kv.type.name, "sub_type": kv.sub_type.name if kv.sub_type else None,
             "value": kv.value}
            for kv in kvs
        ],
    }
    return json.dumps(doc, ensure_ascii=True).encode("ascii")


def kvs_from_document(raw: bytes) -> list[GGUFKeyValue]:
    """The typed key/values of a :func:`gguf_kvs_document`, in their original order."""
    doc = json.loads(raw)
    return [
        GGUFKeyValue(
            item["key"], item["value"], GGUFValueType[item["type"]],
            GGUFValueType[item["sub_type"]] if item["sub_type"] else None,
        )
        for item in doc["kvs"]
    ]


def tokens_of(model: ModelFile) -> list[str]:
    """The token strings by id from the tokenizer the reader found (may be empty)."""
    tokenizer = model.metadata.get("tokenizer")
    if not isinstance(tokenizer, Mapping):
        return []
    tokens = tokenizer.get("tokens")
    return [clean_text(str(t)) for t in tokens] if isinstance(tokens, list) else []
