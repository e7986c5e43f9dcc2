"""Search requests are checked before anything runs."""

from __future__ import annotations

import pytest

from hartonomous.query.exceptions import InvalidQueryError
from hartonomous.query.search import validate


class TestValidate:
    """Empty text, unknown mode and k outside 1..10000 are refused; text is stripped."""

    def test_good_request(self) -> None:
        """Surrounding whitespace is dropped."""
        assert "water" == validate("  water ", "hybrid", 10)

    @pytest.mark.parametrize("text, mode, k, message", [
        ("", "ann", 10, "empty"), ("   ", "exact", 10, "empty"), ("x", "fuzzy", 10, "unknown mode"),
        ("x", "ann", 0, "k must"), ("x", "ann", 10001, "k must"),
    ])
    def test_refused(self, text: str, mode: str, k: int, message: str) -> None:
        """Each bad request raises InvalidQueryError saying what is wrong."""
        with pytest.raises(InvalidQueryError, match=message):
            validate(text, mode, k)
