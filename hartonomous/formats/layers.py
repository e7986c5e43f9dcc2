"""Layer index, layer name and component parsed from tensor names (pure functions).

Covers the naming schemes of BERT (``encoder.layer.N.attention...``), GPT-2 (``h.N.attn...``,
``transformer.h.N``), Llama (``model.layers.N.self_attn...``), llama.cpp's GGUF
(``blk.N.attn_q``), and a generic fallback (``layers.N`` / ``blocks.N`` / ``block.N``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

COMPONENTS = ("attention", "ffn", "norm", "embedding", "head", "other")

_LAYER = re.compile(r"(?:^|\.)(?:layers?|h|blocks?|blk)\.(\d+)(?=\.|$)")


def _kw(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|[._])(?:" + "|".join(words) + r")(?=$|[._\d])")


_NORM = _kw(r"\w*norm\w*", r"ln(?:_\d+|_f)?", r"layer_?norm\w*")
_EMBEDDING = _kw(
    r"\w*embed\w*", "embd", r"token_embd", "wte", "wpe", "position_ids", "token_type_ids", "rotary_emb"
)
_ATTENTION = _kw(
    r"\w*attn\w*", r"\w*attention\w*", "query", "key", "value", "[qkvo]_proj", "qkv", "wq", "wk", "wv", "wo"
)
_FFN = _kw(
    "mlp", r"ffn\w*", "feed_forward", "intermediate", "fc", "c_fc", "gate_proj", "up_proj", "down_proj",
    "w[123]", "dense_h_to_4h", "dense_4h_to_h", "experts",
)
_HEAD = _kw("lm_head", "output", "classifier", "pooler", "score", "head", "cls", "qa_outputs")


@dataclass(frozen=True, slots=True)
class TensorRole:
    """Where a tensor sits: its layer (``None`` outside the stack) and its component."""

    name: str
    layer_index: int | None
    layer_name: str | None
    component: str
    part: str
    param: str


def _component(part: str, in_layer: bool) -> str:
    lowered = part.lower()
    if _NORM.search(lowered):
        return "norm"
    if _EMBEDDING.search(lowered):
        return "embedding"
    if _ATTENTION.search(lowered):
        return "attention"
    if _FFN.search(lowered):
        return "ffn"
    if in_layer and lowered.startswith("output."):
        return "ffn"  # BERT/ViT: the FFN's second projection is "layer.N.output.dense"
    if not in_layer and _HEAD.search(lowered):
        return "head"
    return "other"


def parse_tensor_name(name: str) -> TensorRole:
    """Parse one tensor name into its layer index, layer name, component, part and param."""
    head, _, param = name.rpartition(".")
    if not head:
        head, param = name, ""
    match = _LAYER.search(name)
    if match is None:
        return TensorRole(name, None, None, _component(head, in_layer=False), head, param)
    layer_name = name[: match.end(1)].lstrip(".")
    part = head[match.end(1) + 1 :] if len(head) > match.end(1) else ""
    return TensorRole(name, int(match.group(1)), layer_name, _component(part or param, True), part, param)


def detect_family(names: Iterable[str]) -> str:
    """``bert``, ``gpt2``, ``llama``, ``gguf`` (llama.cpp names) or ``generic``."""
    scores = {"bert": 0, "gpt2": 0, "llama": 0, "gguf": 0}
    for name in names:
        if name.startswith("blk.") or name == "token_embd.weight":
            scores["gguf"] += 1
        elif re.search(r"(?:^|\.)layers\.\d+\.(?:self_attn|mlp|input_layernorm)", name):
            scores["llama"] += 1
        elif re.search(r"(?:^|\.)h\.\d+\.(?:attn|mlp|ln_\d)", name) or re.search(r"(?:^|\.)wte\.", name):
            scores["gpt2"] += 1
        elif re.search(r"(?:^|\.)encoder\.layer\.\d+\.", name) or "word_embeddings" in name:
            scores["bert"] += 1
    family, score = max(scores.items(), key=lambda kv: kv[1])
    return family if score > 0 else "generic"


def layer_table(names: Iterable[str]) -> list[tuple[int, str]]:
    """The distinct ``(layer_index, layer_name)`` pairs among ``names``, by index then name."""
    seen: set[tuple[int, str]] = set()
    for name in names:
        role = parse_tensor_name(name)
        if role.layer_index is not None and role.layer_name is not None:
            seen.add((role.layer_index, role.layer_name))
    return sorted(seen)
