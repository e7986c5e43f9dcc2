"""Category by nearest centroid in embedding space, with a confidence.

Each label has a centroid: the normalised mean of the encodings of the label itself, its
description, and "a text about <label>". A text's category is the label whose centroid is the
most cosine-similar to the text's vector; the confidence is that label's softmax probability
over all labels at temperature :data:`TEMPERATURE` (1.0 = certain, 1/len(labels) = a guess).

The label set is configurable (``HARTONOMOUS_ENRICH_CATEGORY_LABELS``: ``"label: description;
label: description"``); :data:`DEFAULT_LABELS` is used when it is empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hartonomous.embedding.encoder import Encoder, Vectors, normalise

TEMPERATURE = 0.05
DEFAULT_LABELS: dict[str, str] = {
    "science": "physics, chemistry, biology, astronomy and the natural world",
    "technology": "computers, software, machines, engineering and tools",
    "health": "medicine, the human body, disease and treatment",
    "people": "persons, roles, occupations, family and social relations",
    "arts": "music, painting, literature, theatre and entertainment",
    "society": "law, politics, government, economics, business and money",
    "places": "geography, countries, cities, buildings and locations",
    "nature": "animals, plants, food, weather and the environment",
    "actions": "movement, change, activities and things people do",
    "qualities": "properties, feelings, states and descriptions of things",
}


@dataclass(frozen=True)
class Category:
    """A label and how sure the classifier is of it."""

    label: str
    confidence: float


def parse_labels(spec: str) -> dict[str, str]:
    """``"label: description; other"`` -> ``{label: description}``; empty -> the defaults."""
    labels: dict[str, str] = {}
    for item in spec.split(";"):
        if not item.strip():
            continue
        label, _, description = item.partition(":")
        label = label.strip()
        if not label:
            raise ValueError(f"category label missing in {item!r}")
        labels[label] = description.strip()
    return labels or dict(DEFAULT_LABELS)


class CategoryClassifier:
    """Nearest-centroid classification over a fixed label set."""

    def __init__(self, encoder: Encoder, labels: Mapping[str, str] | None = None) -> None:
        chosen = dict(labels) if labels else dict(DEFAULT_LABELS)
        self.labels: tuple[str, ...] = tuple(chosen)
        prompts: list[str] = []
        for label, description in chosen.items():
            prompts.extend([label, description or label, f"a text about {label}"])
        vectors = encoder.encode(prompts).reshape(len(self.labels), 3, -1)
        self.centroids: Vectors = normalise(vectors.mean(axis=1))

    def classify(self, vectors: Vectors) -> list[Category]:
        """One category per row of ``vectors`` (unit vectors of the encoder's dimension)."""
        if len(vectors) == 0:
            return []
        similarity = normalise(vectors) @ self.centroids.T
        logits = similarity / TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        best = probabilities.argmax(axis=1)
        return [
            Category(self.labels[i], round(float(probabilities[row, i]), 4))
            for row, i in enumerate(best)
        ]

    def classify_texts(self, encoder: Encoder, texts: Sequence[str]) -> list[Category]:
        """Encode then classify (one encoder call for all texts)."""
        return self.classify(encoder.encode(texts)) if texts else []
