"""The numpy BERT encoder against sentence-transformers and transformers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hartonomous.query.exceptions import MissingWeightsError, UnsupportedModelError
from hartonomous.query.forward import Pooling, TextTokenizer, build_encoder
from hartonomous.query.testing import load_hf_folder as load_folder

SENTENCES = [
    "A man is eating food.",
    "Hello",
    "Unbelievable: a café, a naïve résumé and 3.14159 apples!",
    "the quick brown fox jumps over the lazy dog " * 40,  # truncated at 256 tokens
]


class TestMiniLM:
    """all-MiniLM-L6-v2 run in numpy gives sentence-transformers' embeddings (cosine > 0.9999)."""

    def test_embeddings_match_sentence_transformers(self, minilm_dir: Path) -> None:
        """Same sentences, same vectors: cosine above 0.9999 for each, padding and truncation included."""
        from sentence_transformers import SentenceTransformer

        weights, config, tokenizer_json = load_folder(minilm_dir)
        encoder = build_encoder(weights, config)
        batch = TextTokenizer(tokenizer_json, max_length=256).batch(SENTENCES)
        ours = encoder.embed(batch.ids, batch.mask, batch.type_ids)
        reference = SentenceTransformer(str(minilm_dir), device="cpu").encode(SENTENCES, normalize_embeddings=True)
        cosines = (ours * reference).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(reference, axis=1)
        assert (len(SENTENCES), 384) == ours.shape
        assert bool((cosines > 0.9999).all()), cosines

    def test_batch_padding_does_not_change_a_sentence(self, minilm_dir: Path) -> None:
        """A sentence embedded alone equals the same sentence padded inside a batch."""
        weights, config, tokenizer_json = load_folder(minilm_dir)
        encoder = build_encoder(weights, config)
        tokenizer = TextTokenizer(tokenizer_json, max_length=256)
        alone = tokenizer.batch(["Hello"])
        padded = tokenizer.batch(["Hello", SENTENCES[2]])
        np.testing.assert_allclose(
            encoder.embed(alone.ids, alone.mask)[0], encoder.embed(padded.ids, padded.mask)[0], atol=1e-5
        )


class TestTinyBert:
    """A randomly initialised 2-layer BERT: token states equal transformers' BertModel."""

    def test_hidden_states_match_transformers(self) -> None:
        """Last hidden states agree to 1e-4 with a padded batch."""
        import torch
        from transformers import BertConfig, BertModel

        torch.manual_seed(0)
        config = BertConfig(vocab_size=120, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128)
        model = BertModel(config).eval()
        weights = {k: v.numpy() for k, v in model.state_dict().items()}
        ids = np.array([[2, 5, 9, 11, 3], [2, 7, 3, 0, 0]])
        mask = (ids != 0).astype(np.int64)
        with torch.no_grad():
            reference = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state.numpy()
        ours = build_encoder(weights, config.to_dict()).hidden_states(ids, mask)
        np.testing.assert_allclose(reference[mask > 0], ours[mask > 0], atol=1e-4)

    def test_cls_pooling_takes_the_first_token(self) -> None:
        """CLS pooling (unnormalised) is the state of token 0."""
        import torch
        from transformers import BertConfig, BertModel

        torch.manual_seed(1)
        config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
        weights = {k: v.numpy() for k, v in BertModel(config).state_dict().items()}
        encoder = build_encoder(weights, config.to_dict(), Pooling("cls", normalize=False))
        ids, mask = np.array([[1, 4, 6]]), np.ones((1, 3), dtype=np.int64)
        np.testing.assert_array_equal(encoder.hidden_states(ids, mask)[:, 0], encoder.embed(ids, mask))


class TestRefusals:
    """Weights that do not fit the config are refused with a named error."""

    def test_missing_layer_is_refused(self, minilm_dir: Path) -> None:
        """A config claiming 7 layers over 6 stored ones raises MissingWeightsError naming the tensor."""
        weights, config, _ = load_folder(minilm_dir)
        with pytest.raises(MissingWeightsError, match=r"encoder\.layer\.6"):
            build_encoder(weights, {**config, "num_hidden_layers": 7})

    def test_decoder_config_is_not_an_encoder(self, minilm_dir: Path) -> None:
        """A GPT-2 config asked for an encoder raises UnsupportedModelError."""
        weights, config, _ = load_folder(minilm_dir)
        with pytest.raises(UnsupportedModelError):
            build_encoder(weights, {**config, "model_type": "gpt2"})
