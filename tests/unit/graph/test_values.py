from __future__ import annotations

from typing import Any

import pytest

from hartonomous.graph import ProjectionError
from hartonomous.graph.values import id_list, iso_time, props


class TestIdList:
    """Array columns arrive as lists, PostgreSQL array literals or JSON text; all read alike."""

    @pytest.mark.parametrize(("value", "expected"), [
        (None, []),
        ([1, "b", 1], ["1", "b"]),
        ("{}", []),
        ("{a,b}", ["a", "b"]),
        ('{"all-MiniLM-L6-v2","x, y","q\\"uote"}', ["all-MiniLM-L6-v2", "x, y", 'q"uote']),
        ("{1,NULL,3}", ["1", "3"]),
        ('["m1", 2]', ["m1", "2"]),
    ])
    def test_reads(self, value: Any, expected: list[str]) -> None:
        """Each form gives the ids as text, duplicates removed, order kept."""
        assert expected == id_list(value, "f")

    @pytest.mark.parametrize("value", ["not an array", '{"open', "{{1,2},{3,4}}", "[1,", 5, [1.5], [True]])
    def test_refuses(self, value: Any) -> None:
        """Anything else is a ProjectionError."""
        with pytest.raises(ProjectionError):
            id_list(value, "f")


class TestValues:
    """Times are normalised for Neo4j's datetime(); properties keep only what Neo4j stores."""

    @pytest.mark.parametrize(("value", "expected"), [
        ("2026-08-07T16:25:00.8833333+02:00", "2026-08-07T16:25:00.883333+02:00"),
        ("2026-08-07 16:25:00", "2026-08-07T16:25:00+00:00"),
        ("2025-01-01T00:00:00Z", "2025-01-01T00:00:00+00:00"),
        ("yesterday", None),
        (None, None),
    ])
    def test_iso_time(self, value: Any, expected: str | None) -> None:
        """ISO text (7 fraction digits from SQL Server included) becomes aware ISO; junk None."""
        assert expected == iso_time(value)

    def test_props(self) -> None:
        """None dropped, objects and mixed lists as canonical JSON, homogeneous lists kept."""
        assert {"a": 1, "m": '{"x":[1,2]}', "l": [1, 2], "mixed": '[1,"a"]', "e": []} == props(
            a=1, n=None, m={"x": [1, 2]}, l=[1, 2], mixed=[1, "a"], e=[])
