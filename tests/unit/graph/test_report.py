from __future__ import annotations

from typing import Any

from hartonomous.graph.report import render_lineage, render_table


def edge(depth: int, a: tuple[str, str] | None, rel: str | None, b: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {"depth": depth, "from_label": a[0] if a else None, "from_key": a[1] if a else None, "rel": rel,
            "method": None, "to_label": b[0], "to_key": b[1], **extra}


class TestRender:
    """Audit results print as aligned tables and as a lineage tree."""

    def test_table(self) -> None:
        """Columns aligned to the widest cell; None as '-', lists joined."""
        text = render_table([{"a": 1, "b": None}, {"a": 22, "b": ["x", "y"]}], ["a", "b"])
        assert "a   b\n--  ----\n1   -\n22  x, y" == text

    def test_lineage_tree(self) -> None:
        """Each edge under its source node, details in brackets, a node reached twice not repeated."""
        rows = [
            edge(0, None, None, ("Embedding", "e|1")),
            edge(1, ("Embedding", "e|1"), "EMBEDS", ("Document", "1"), hash="ab"),
            edge(1, ("Embedding", "e|1"), "WAS_GENERATED_BY", ("EmbeddingJob", "j")),
            edge(2, ("EmbeddingJob", "j"), "USED", ("Document", "1")),
            edge(2, ("Document", "1"), "WAS_GENERATED_BY", ("Ingestion", "c"), row_key='{"id":1}'),
        ]
        assert "\n".join([
            "Embedding e|1",
            "  -[EMBEDS]-> Document 1  [hash=ab]",
            '    -[WAS_GENERATED_BY]-> Ingestion c  [row_key={"id":1}]',
            "  -[WAS_GENERATED_BY]-> EmbeddingJob j",
            "    -[USED]-> Document 1 (see above)",
        ]) == render_lineage(rows)

    def test_nothing_found(self) -> None:
        """No rows: a plain message."""
        assert "(no such node in the graph)" == render_lineage([])
