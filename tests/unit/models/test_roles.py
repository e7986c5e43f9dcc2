"""Tensor roles from names across naming schemes."""

from __future__ import annotations

import pytest

from hartonomous.formats import TensorInfo, parse_tensor_name
from hartonomous.models.roles import assign_roles, tensor_role


class TestTensorRole:
    """The same role whatever the family's naming."""

    @pytest.mark.parametrize("name,role", [
        ("encoder.layer.0.attention.self.query.weight", "q"),
        ("encoder.layer.3.attention.self.value.bias", "v"),
        ("encoder.layer.0.attention.output.dense.weight", "o"),
        ("encoder.layer.0.intermediate.dense.weight", "ffn_up"),
        ("encoder.layer.0.output.dense.weight", "ffn_down"),
        ("encoder.layer.0.output.LayerNorm.weight", None),
        ("transformer.h.2.attn.c_attn.weight", "qkv"),
        ("transformer.h.2.attn.c_proj.weight", "o"),
        ("transformer.h.2.mlp.c_proj.weight", "ffn_down"),
        ("model.layers.1.self_attn.k_proj.weight", "k"),
        ("model.layers.1.mlp.gate_proj.weight", "ffn_gate"),
        ("blk.4.attn_output.weight", "o"),
        ("blk.4.ffn_up.weight", "ffn_up"),
        ("token_embd.weight", "token_embedding"),
        ("transformer.wpe.weight", "position_embedding"),
        ("lm_head.weight", "lm_head"),
        ("output.weight", "lm_head"),
        ("pooler.dense.weight", None),
    ])
    def test_roles(self, name: str, role: str | None) -> None:
        """Each name maps to its role."""
        assert role == tensor_role(parse_tensor_name(name))


class TestAssignRoles:
    """One token embedding per model."""

    def test_first_named_token_embedding_wins(self) -> None:
        """A second candidate is not a token embedding."""
        infos = [TensorInfo("wte.weight", "F32", (10, 4), 160), TensorInfo("model.embed_tokens.weight", "F32", (10, 4), 160)]
        assert {"wte.weight": "token_embedding", "model.embed_tokens.weight": None} == assign_roles(infos)

    def test_fallback_by_vocabulary_size(self) -> None:
        """An unnamed 2-D embedding with as many rows as tokens is the token embedding."""
        infos = [TensorInfo("emb.positions", "F32", (8, 4), 128), TensorInfo("embedding.table", "F32", (50, 4), 800)]
        assert "token_embedding" == assign_roles(infos, vocab_size=50)["embedding.table"]
