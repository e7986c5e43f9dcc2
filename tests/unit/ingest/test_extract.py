from __future__ import annotations

import json
from pathlib import Path

import pytest

from hartonomous.ingest import UnsupportedFormatError, chunk_files, content_hash, extract


class TestExtract:
    """Each supported format becomes documents with a title; bad parts are reported."""

    def test_text_and_markdown(self, tmp_path: Path) -> None:
        """Plain text is titled by its file name; Markdown by its first heading."""
        (tmp_path / "notes.txt").write_text("\ufeffplain words\n")
        (tmp_path / "guide.md").write_text("intro\n\n## The Guide ##\n\nbody")
        txt, md = extract(tmp_path / "notes.txt").documents[0], extract(tmp_path / "guide.md").documents[0]
        assert ("notes", "plain words", "text") == (txt.title, txt.text, txt.format)
        assert ("The Guide", "markdown") == (md.title, md.format)

    def test_html(self, tmp_path: Path) -> None:
        """HTML gives its visible text and its title."""
        (tmp_path / "p.html").write_text("<title>T</title><p>visible</p><script>hidden()</script>")
        doc = extract(tmp_path / "p.html").documents[0]
        assert ("T", "visible") == (doc.title, doc.text)

    def test_jsonl_records_and_problems(self, tmp_path: Path) -> None:
        """Each object with a text field is a document with metadata; other lines are reported."""
        lines = [json.dumps({"title": "w1", "gloss": "first", "pos": "n", "n": 3}), "not json", "[1]",
                 json.dumps({"title": "w2"}), "", json.dumps({"text": "second"})]
        (tmp_path / "r.jsonl").write_text("\n".join(lines))
        out = extract(tmp_path / "r.jsonl")
        assert [("w1", "first", 1, {"title": "w1", "pos": "n", "n": 3}), (None, "second", 6, {})] == [
            (d.title, d.text, d.part, d.metadata) for d in out.documents]
        assert 3 == len(out.problems)
        assert all(p.startswith("r.jsonl:") for p in out.problems)

    def test_unsupported_and_non_utf8(self, tmp_path: Path) -> None:
        """Unknown extensions and non-UTF-8 bytes are refused by name."""
        (tmp_path / "x.pdf").write_bytes(b"%PDF")
        (tmp_path / "y.txt").write_bytes(b"\xff\xfe\x00bad")
        with pytest.raises(UnsupportedFormatError, match="unsupported type .pdf"):
            extract(tmp_path / "x.pdf")
        with pytest.raises(UnsupportedFormatError, match="not UTF-8"):
            extract(tmp_path / "y.txt")


class TestChunkFiles:
    """Files become hashed rows; duplicates are kept once; problems are collected."""

    def test_rows(self, tmp_path: Path) -> None:
        """Rows carry the source URI, index, hash and metadata; a JSONL record gets #line=N."""
        (tmp_path / "a.txt").write_text("same text")
        (tmp_path / "b.txt").write_text("same text")
        (tmp_path / "c.jsonl").write_text(json.dumps({"text": "record"}) + "\n")
        (tmp_path / "d.bin").write_bytes(b"\x00")
        out = chunk_files(sorted(tmp_path.iterdir()), size=100, overlap=10, category="cat", request_id="r1")
        assert 3 == out.files
        assert [((tmp_path / "a.txt").as_uri(), "same text"), ((tmp_path / "c.jsonl").as_uri() + "#line=1", "record")] \
            == [(r.source_uri, r.content) for r in out.rows]
        assert content_hash("same text") == out.rows[0].content_hash
        assert ("cat", 0, "r1", [0, 9]) == (out.rows[0].category, out.rows[0].chunk_index,
                                           out.rows[0].metadata["ingest_event"], out.rows[0].metadata["span"])
        assert 1 == len(out.problems) and "d.bin" in out.problems[0]

    def test_oversized_file_is_reported(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A file over the size limit is not read; the problem names it."""
        import hartonomous.ingest.rows as rows

        monkeypatch.setattr(rows, "MAX_FILE_BYTES", 10)
        (tmp_path / "big.txt").write_text("x" * 11)
        (tmp_path / "ok.txt").write_text("small")
        out = chunk_files(sorted(tmp_path.iterdir()), size=100, overlap=10, category=None, request_id="r")
        assert (["small"], 1) == ([r.content for r in out.rows], out.files)
        assert "big.txt" in out.problems[0]
