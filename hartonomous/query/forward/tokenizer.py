"""Tokenization with the model's own ``tokenizer.json`` (the ``tokenizers`` library, no hub).

The JSON comes from wherever the model's files are kept (the database stores it beside the
weights); padding and truncation stored in it are replaced by ours: no padding (batches are
padded here), truncation at the model's maximum sequence length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer


@dataclass(frozen=True)
class Batch:
    """A padded batch: ids, attention mask and token type ids, each ``(batch, tokens)`` int64."""

    ids: np.ndarray
    mask: np.ndarray
    type_ids: np.ndarray


class TextTokenizer:
    """Encode texts to ids (with the special tokens the tokenizer adds) and decode ids to text."""

    def __init__(self, tokenizer_json: str, *, max_length: int | None = None, pad_id: int | None = None) -> None:
        self._tok = Tokenizer.from_str(tokenizer_json)
        self._tok.no_padding()
        if max_length:
            self._tok.enable_truncation(max_length)
        else:
            self._tok.no_truncation()
        self.max_length = max_length
        padding_token = self._tok.token_to_id("[PAD]") if pad_id is None else pad_id
        self.pad_id = int(padding_token or 0)

    @property
    def vocab_size(self) -> int:
        """Number of ids, added tokens included."""
        return int(self._tok.get_vocab_size(with_added_tokens=True))

    def encode(self, text: str, *, special_tokens: bool = True) -> list[int]:
        """The ids of one text."""
        return list(self._tok.encode(text, add_special_tokens=special_tokens).ids)

    def batch(self, texts: Sequence[str]) -> Batch:
        """A right-padded batch of ``texts`` (with special tokens), padded to the longest."""
        encodings = self._tok.encode_batch(list(texts), add_special_tokens=True)
        longest = max((len(e.ids) for e in encodings), default=0)
        ids = np.full((len(encodings), longest), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        type_ids = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            type_ids[row, :n] = enc.type_ids
        return Batch(ids, mask, type_ids)

    def decode(self, ids: Sequence[int], *, skip_special_tokens: bool = True) -> str:
        """Text of ``ids``."""
        return str(self._tok.decode(list(ids), skip_special_tokens=skip_special_tokens))

    def token(self, token_id: int) -> str:
        """The string of one id."""
        return str(self._tok.id_to_token(int(token_id)))

    def special_ids(self) -> set[int]:
        """Ids of the special (added, marked special) tokens."""
        return {int(i) for i, t in self._tok.get_added_tokens_decoder().items() if t.special}
