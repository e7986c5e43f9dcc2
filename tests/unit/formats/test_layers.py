"""Layer and component parsing from tensor names."""

from __future__ import annotations

import pytest

from hartonomous.formats import detect_family, layer_table, parse_tensor_name


@pytest.mark.parametrize(
    ("name", "layer", "layer_name", "component"),
    [
        ("encoder.layer.0.attention.self.query.weight", 0, "encoder.layer.0", "attention"),
        ("encoder.layer.3.attention.output.dense.bias", 3, "encoder.layer.3", "attention"),
        ("encoder.layer.3.attention.output.LayerNorm.weight", 3, "encoder.layer.3", "norm"),
        ("encoder.layer.5.intermediate.dense.weight", 5, "encoder.layer.5", "ffn"),
        ("encoder.layer.5.output.dense.weight", 5, "encoder.layer.5", "ffn"),
        ("bert.encoder.layer.11.output.LayerNorm.bias", 11, "bert.encoder.layer.11", "norm"),
        ("embeddings.word_embeddings.weight", None, None, "embedding"),
        ("embeddings.LayerNorm.weight", None, None, "norm"),
        ("pooler.dense.weight", None, None, "head"),
        ("h.2.attn.c_attn.weight", 2, "h.2", "attention"),
        ("transformer.h.10.mlp.c_proj.weight", 10, "transformer.h.10", "ffn"),
        ("transformer.h.10.ln_1.bias", 10, "transformer.h.10", "norm"),
        ("transformer.wte.weight", None, None, "embedding"),
        ("transformer.ln_f.weight", None, None, "norm"),
        ("lm_head.weight", None, None, "head"),
        ("model.layers.7.self_attn.k_proj.weight", 7, "model.layers.7", "attention"),
        ("model.layers.7.mlp.gate_proj.weight", 7, "model.layers.7", "ffn"),
        ("model.layers.7.input_layernorm.weight", 7, "model.layers.7", "norm"),
        ("model.layers.7.post_attention_layernorm.weight", 7, "model.layers.7", "norm"),
        ("model.embed_tokens.weight", None, None, "embedding"),
        ("model.norm.weight", None, None, "norm"),
        ("blk.12.attn_v.weight", 12, "blk.12", "attention"),
        ("blk.12.attn_norm.weight", 12, "blk.12", "norm"),
        ("blk.12.ffn_down.weight", 12, "blk.12", "ffn"),
        ("token_embd.weight", None, None, "embedding"),
        ("output_norm.weight", None, None, "norm"),
        ("output.weight", None, None, "head"),
        ("net.blocks.4.fc1.weight", 4, "net.blocks.4", "ffn"),
        ("layers.1.weight", 1, "layers.1", "other"),
        ("something", None, None, "other"),
    ],
)
def test_parse_tensor_name(name: str, layer: int | None, layer_name: str | None, component: str) -> None:
    """Layer index, layer name and component match the family's conventions."""
    role = parse_tensor_name(name)
    assert (layer, layer_name, component) == (role.layer_index, role.layer_name, role.component)


class TestRoleParts:
    """The part within the layer and the parameter are split off."""

    def test_part_and_param(self) -> None:
        """``encoder.layer.0.attention.self.query.weight`` -> part and param."""
        role = parse_tensor_name("encoder.layer.0.attention.self.query.weight")
        assert ("attention.self.query", "weight") == (role.part, role.param)


class TestFamilies:
    """The naming family is detected from the set of names."""

    @pytest.mark.parametrize(
        ("names", "family"),
        [
            (["embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight"], "bert"),
            (["transformer.wte.weight", "transformer.h.0.attn.c_attn.weight"], "gpt2"),
            (["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight"], "llama"),
            (["token_embd.weight", "blk.0.attn_q.weight"], "gguf"),
            (["0.weight", "2.bias"], "generic"),
        ],
    )
    def test_detect_family(self, names: list[str], family: str) -> None:
        """Each family's names are recognised."""
        assert family == detect_family(names)

    def test_layer_table(self) -> None:
        """Distinct layers come out sorted by index."""
        names = ["h.10.attn.w", "h.2.mlp.w", "h.2.attn.w", "wte.weight"]
        assert [(2, "h.2"), (10, "h.10")] == layer_table(names)
