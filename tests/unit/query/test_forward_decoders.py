"""The numpy GPT-2 and Llama decoders against transformers on the same weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hartonomous.query.exceptions import InvalidQueryError, UnsupportedModelError
from hartonomous.query.forward import Sampling, TextTokenizer, build_decoder, generate
from hartonomous.query.testing import load_hf_folder

PROMPTS = ["A model is", "The graph shows", "Search"]
FAMILIES = ["tiny_gpt2", "tiny_llama"]


def _reference(folder: Path) -> object:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(folder).eval()


@pytest.mark.parametrize("family", FAMILIES)
class TestGreedyEquivalence:
    """Greedy decoding gives exactly the tokens of transformers' generate; logits agree."""

    def test_greedy_tokens_identical_to_transformers(self, family: str, request: pytest.FixtureRequest) -> None:
        """For each prompt, 40 greedy tokens (with EOS stopping) equal generate(do_sample=False)."""
        import torch

        folder: Path = request.getfixturevalue(family)
        weights, config, tokenizer_json = load_hf_folder(folder)
        decoder, tokenizer, model = build_decoder(weights, config), TextTokenizer(tokenizer_json), _reference(folder)
        for prompt in PROMPTS:
            ids = tokenizer.encode(prompt)
            expected = model.generate(torch.tensor([ids]), max_new_tokens=40, do_sample=False)[0, len(ids) :].tolist()  # type: ignore[attr-defined]
            actual = generate(decoder, ids, Sampling(40, eos_ids=frozenset({config["eos_token_id"]})))
            assert expected == list(actual.token_ids)

    def test_logits_match_transformers(self, family: str, request: pytest.FixtureRequest) -> None:
        """Full-sequence logits agree to 1e-4."""
        import torch

        folder: Path = request.getfixturevalue(family)
        weights, config, tokenizer_json = load_hf_folder(folder)
        ids = TextTokenizer(tokenizer_json).encode("A database keeps rows in tables")
        with torch.no_grad():
            expected = _reference(folder)(torch.tensor([ids])).logits[0].numpy()  # type: ignore[operator]
        decoder = build_decoder(weights, config)
        actual = decoder.forward(np.asarray(ids), decoder.new_cache(len(ids)), all_logits=True)
        np.testing.assert_allclose(expected, actual, atol=1e-4)

    def test_kv_cache_steps_equal_one_full_pass(self, family: str, request: pytest.FixtureRequest) -> None:
        """Feeding tokens one at a time through the cache gives the full pass's last logits."""
        weights, config, _ = load_hf_folder(request.getfixturevalue(family))
        decoder = build_decoder(weights, config)
        ids = np.array([5, 17, 42, 99, 3, 7])
        full = decoder.forward(ids, decoder.new_cache(len(ids)))
        cache = decoder.new_cache(len(ids))
        for token in ids:
            stepped = decoder.forward(np.array([token]), cache)
        np.testing.assert_allclose(full, stepped, atol=1e-5)


class TestSampling:
    """Temperature sampling is reproducible with a seed; bad parameters are refused."""

    def test_same_seed_same_tokens(self, tiny_llama: Path) -> None:
        """Two runs at temperature 0.9 with seed 7 produce the same tokens."""
        weights, config, _ = load_hf_folder(tiny_llama)
        decoder = build_decoder(weights, config)
        first = generate(decoder, [33, 290], Sampling(20, temperature=0.9, seed=7))
        second = generate(decoder, [33, 290], Sampling(20, temperature=0.9, seed=7))
        assert first.token_ids == second.token_ids

    def test_top_k_one_is_greedy(self, tiny_gpt2: Path) -> None:
        """Sampling from the single most likely token equals greedy decoding."""
        weights, config, _ = load_hf_folder(tiny_gpt2)
        decoder = build_decoder(weights, config)
        greedy = generate(decoder, [33, 290], Sampling(15))
        sampled = generate(decoder, [33, 290], Sampling(15, temperature=1.5, top_k=1, seed=3))
        assert greedy.token_ids == sampled.token_ids

    @pytest.mark.parametrize(
        "kwargs", [{"max_new_tokens": 0}, {"temperature": -1.0}, {"top_k": 0}, {"temperature": float("nan")}]
    )
    def test_bad_parameters_refused(self, kwargs: dict[str, float]) -> None:
        """Each invalid sampling parameter raises InvalidQueryError."""
        with pytest.raises(InvalidQueryError):
            Sampling(**{"max_new_tokens": 5, **kwargs})  # type: ignore[arg-type]

    def test_empty_or_out_of_vocabulary_prompt_refused(self, tiny_gpt2: Path) -> None:
        """No tokens, or an id past the vocabulary, raises InvalidQueryError."""
        weights, config, _ = load_hf_folder(tiny_gpt2)
        decoder = build_decoder(weights, config)
        with pytest.raises(InvalidQueryError):
            generate(decoder, [], Sampling(3))
        with pytest.raises(InvalidQueryError):
            generate(decoder, [decoder.vocab_size], Sampling(3))

    def test_unknown_architecture_refused(self, tiny_gpt2: Path) -> None:
        """A model_type with no forward pass here raises UnsupportedModelError."""
        weights, config, _ = load_hf_folder(tiny_gpt2)
        with pytest.raises(UnsupportedModelError, match="mamba"):
            build_decoder(weights, {**config, "model_type": "mamba"})
