from __future__ import annotations

import pytest

from hartonomous.ingest.chunking import check_chunking, chunk_text

TEXT = "\n\n".join(
    f"Paragraph {p}. " + " ".join(f"Sentence {p}.{s} has a few words in it." for s in range(8)) for p in range(6)
)


class TestChunkText:
    """Chunks cover the text in order, respect the size, overlap, and end at natural boundaries."""

    def test_short_text_is_one_chunk(self) -> None:
        """A text within the size is one chunk, stripped, spanning the text."""
        chunks = chunk_text("  hello world \n", 100, 10)
        assert [("hello world", 2, 13)] == [(c.text, c.start, c.end) for c in chunks]

    def test_blank_text_has_no_chunks(self) -> None:
        """Whitespace only gives nothing to store."""
        assert [] == chunk_text(" \n\t ", 100, 10)

    def test_every_non_space_character_is_covered_in_order(self) -> None:
        """The union of the spans covers every non-space character; starts increase."""
        chunks = chunk_text(TEXT, 200, 40)
        covered = set()
        for c in chunks:
            assert TEXT[c.start:c.end] == c.text
            covered.update(range(c.start, c.end))
        assert [] == [i for i, ch in enumerate(TEXT) if not ch.isspace() and i not in covered]
        assert sorted(c.start for c in chunks) == [c.start for c in chunks]
        assert list(range(len(chunks))) == [c.index for c in chunks]

    def test_size_is_respected(self) -> None:
        """No chunk is longer than the size."""
        assert max(len(c.text) for c in chunk_text(TEXT, 200, 40)) <= 200

    def test_chunks_end_at_sentence_or_paragraph_boundaries(self) -> None:
        """With sentences available, every chunk but the last ends with a full stop."""
        chunks = chunk_text(TEXT, 200, 40)
        assert all(c.text.endswith(".") for c in chunks)

    def test_neighbours_overlap(self) -> None:
        """Each chunk starts before the previous one ended (by at most the overlap)."""
        chunks = chunk_text(TEXT, 200, 40)
        gaps = [prev.end - nxt.start for prev, nxt in zip(chunks, chunks[1:])]
        assert all(0 < g <= 40 for g in gaps), gaps

    def test_no_overlap_means_disjoint(self) -> None:
        """Overlap 0: spans do not intersect."""
        chunks = chunk_text(TEXT, 200, 0)
        assert all(prev.end <= nxt.start for prev, nxt in zip(chunks, chunks[1:]))

    def test_text_without_spaces_is_cut_at_the_size(self) -> None:
        """A single long word is cut hard, and still fully covered."""
        chunks = chunk_text("x" * 250, 100, 10)
        assert [100, 100, 70] == [len(c.text) for c in chunks]
        assert 250 == chunks[-1].end


class TestCheckChunking:
    """Sizes below the minimum and overlaps of half the size or more are refused."""

    @pytest.mark.parametrize(("size", "overlap"), [(10, 0), (100, 50), (100, -1)])
    def test_refused(self, size: int, overlap: int) -> None:
        """Each invalid pair raises ValueError."""
        with pytest.raises(ValueError):
            check_chunking(size, overlap)

    def test_accepted(self) -> None:
        """The defaults are valid."""
        check_chunking(800, 100)
