"""What a tensor does, from its name: attention projections, FFN projections, embeddings.

Roles make SQL independent of the naming scheme: ``WHERE role IN ('q','k','v','o')`` finds the
attention projections of BERT (``attention.self.query``, ``attention.output.dense``), GPT-2
(``attn.c_attn`` = ``qkv``, ``attn.c_proj``), Llama (``self_attn.q_proj``...) and llama.cpp's GGUF
(``attn_q``...). Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hartonomous.formats import TensorInfo, TensorRole, parse_tensor_name

ROLES = (
    "q", "k", "v", "o", "qkv", "ffn_up", "ffn_gate", "ffn_down",
    "token_embedding", "position_embedding", "lm_head",
)


def _any(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|[._])(?:" + "|".join(words) + r")(?=$|[._])")


_ATTENTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("qkv", _any("c_attn", "qkv", "query_key_value", "attn_qkv", "wqkv", "in_proj")),
    ("q", _any("query", "q_proj", "attn_q", "wq", "q_lin", "q")),
    ("k", _any("key", "k_proj", "attn_k", "wk", "k_lin", "k")),
    ("v", _any("value", "v_proj", "attn_v", "wv", "v_lin", "v")),
    ("o", _any("output", "o_proj", "c_proj", "attn_output", "wo", "out_lin", "out_proj", "dense", "o")),
)
_FFN_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ffn_gate", _any("gate_proj", "ffn_gate", "w1", "gate")),
    ("ffn_up", _any("intermediate", "up_proj", "c_fc", "ffn_up", "fc1", "lin1", "dense_h_to_4h", "w3", "up")),
    ("ffn_down", _any("output", "down_proj", "c_proj", "ffn_down", "fc2", "lin2", "dense_4h_to_h", "w2", "down")),
)
_TOKEN_EMBEDDING = _any("word_embeddings", "embed_tokens", "wte", "token_embd", "tok_embeddings", "shared",
                        "token_embedding", "tok_embedding", "embed_in")
_POSITION_EMBEDDING = _any("position_embeddings", "wpe", "embed_positions", "position_embedding", "pos_embedding")
_LM_HEAD = _any("lm_head", "embed_out")


def tensor_role(role: TensorRole) -> str | None:
    """The role of a parsed tensor name, or ``None`` when the name does not tell."""
    part = role.part.lower()
    if role.component == "attention":
        return next((name for name, rule in _ATTENTION_RULES if rule.search(part)), None)
    if role.component == "ffn":
        return next((name for name, rule in _FFN_RULES if rule.search(part)), None)
    if role.component == "embedding":
        if _TOKEN_EMBEDDING.search(part):
            return "token_embedding"
        if _POSITION_EMBEDDING.search(part):
            return "position_embedding"
        return None
    if role.layer_index is None and (_LM_HEAD.search(part) or part == "output"):
        return "lm_head"
    return None


def assign_roles(infos: Sequence[TensorInfo], vocab_size: int | None = None) -> dict[str, str | None]:
    """Roles of all tensors of a model: at most one ``token_embedding`` (a 2-D weight).

    Without a name that says it, the first 2-D embedding whose row count equals ``vocab_size``
    is taken as the token embedding.
    """
    roles: dict[str, str | None] = {}
    token_embedding: str | None = None
    for info in infos:
        role = tensor_role(parse_tensor_name(info.name))
        if role == "token_embedding":
            if token_embedding is not None or len(info.shape) != 2:
                role = None
            else:
                token_embedding = info.name
        roles[info.name] = role
    if token_embedding is None and vocab_size:
        for info in infos:
            parsed = parse_tensor_name(info.name)
            if parsed.component == "embedding" and len(info.shape) == 2 and info.shape[0] == vocab_size:
                roles[info.name] = "token_embedding"
                break
    return roles


def token_embedding_of(roles: dict[str, str | None]) -> str | None:
    """The name of the token-embedding tensor among assigned roles, if any."""
    return next((name for name, role in roles.items() if role == "token_embedding"), None)


def names_with_role(roles: dict[str, str | None], wanted: Iterable[str]) -> list[str]:
    """Tensor names whose role is one of ``wanted``, in the order given by ``roles``."""
    keep = set(wanted)
    return [name for name, role in roles.items() if role in keep]
