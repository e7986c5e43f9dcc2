from __future__ import annotations

import pytest

from hartonomous.embedding import DEFAULT_LABELS, CategoryClassifier, parse_labels
from hartonomous.testing import FakeEncoder


class TestParseLabels:
    """The label spec is "label: description; ..."; empty means the defaults."""

    def test_spec(self) -> None:
        """Labels keep their order; a missing description is empty."""
        assert {"space": "stars and planets", "cooking": ""} == parse_labels(" space: stars and planets ; cooking")

    def test_empty_gives_defaults(self) -> None:
        """No spec, the default label set."""
        assert DEFAULT_LABELS == parse_labels("")

    def test_missing_label(self) -> None:
        """A description without a label is an error."""
        with pytest.raises(ValueError):
            parse_labels(": orphan description")


class TestCategoryClassifier:
    """The nearest centroid wins; confidence is a softmax probability."""

    LABELS = {"astronomy": "stars planets galaxies telescope orbit",
              "cooking": "recipe oven flour bake kitchen",
              "finance": "money bank loan interest market"}

    def test_nearest_centroid(self) -> None:
        """Texts sharing words with a label's description get that label."""
        encoder = FakeEncoder()
        classifier = CategoryClassifier(encoder, self.LABELS)
        found = classifier.classify_texts(encoder, ["the telescope saw planets in orbit", "bake flour in the oven",
                                                    "the bank raised the loan interest"])
        assert ["astronomy", "cooking", "finance"] == [c.label for c in found]

    def test_confidence(self) -> None:
        """Confidence is within (1/labels, 1]; a clear match is more confident than a vague text."""
        encoder = FakeEncoder()
        classifier = CategoryClassifier(encoder, self.LABELS)
        clear, vague = classifier.classify_texts(encoder, ["stars planets galaxies telescope orbit", "hello there"])
        assert 1 / 3 < vague.confidence < clear.confidence <= 1.0

    def test_empty_batch(self) -> None:
        """No texts, no encoder call."""
        encoder = FakeEncoder()
        classifier = CategoryClassifier(encoder, self.LABELS)
        calls = len(encoder.calls)
        assert [] == classifier.classify_texts(encoder, [])
        assert calls == len(encoder.calls)
