from __future__ import annotations

from pathlib import Path

import pytest

from hartonomous.corpus import CorpusUnavailableError, debian_descriptions, wordnet_glosses, write_jsonl
from hartonomous.ingest import extract

LICENSE = "  1 This software and database is being provided to you, the LICENSEE, by  \n"
NOUN = ("00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived or known  \n"
        "09411430 17 n 02 river 0 stream(a) 1 000 | a large natural stream of water; \"the river ran\"  \n")


@pytest.fixture
def wordnet(tmp_path: Path) -> Path:
    """A miniature WordNet: a license line and two synsets in data.noun, empty other files."""
    (tmp_path / "data.noun").write_text(LICENSE + NOUN)
    for name in ("data.verb", "data.adj", "data.adv"):
        (tmp_path / name).write_text(LICENSE)
    return tmp_path


class TestWordnet:
    """Glosses are read with their words as title; the license header is skipped."""

    def test_records(self, wordnet: Path) -> None:
        """Id by part of speech and offset; text is "words: gloss"; markers like (a) dropped."""
        records = list(wordnet_glosses(wordnet))
        assert [("wn:noun:00001740", "entity", "entity: that which is perceived or known"),
                ("wn:noun:09411430", "river, stream",
                 'river, stream: a large natural stream of water; "the river ran"')] == [
            (r.id, r.title, r.text) for r in records]

    def test_missing(self, tmp_path: Path) -> None:
        """Without the files, the error names the package to install."""
        with pytest.raises(CorpusUnavailableError, match="wordnet-base"):
            list(wordnet_glosses(tmp_path))

    def test_jsonl_is_ingestible(self, wordnet: Path, tmp_path: Path) -> None:
        """The written JSON Lines read back as one document per record, titled."""
        path = write_jsonl(list(wordnet_glosses(wordnet)), tmp_path / "out" / "wn.jsonl")
        docs = extract(path).documents
        assert [("entity", "entity: that which is perceived or known")] == [(d.title, d.text) for d in docs[:1]]
        assert "wn:noun:00001740" == docs[0].metadata["id"]


class TestDebian:
    """Package descriptions from a dpkg status file."""

    def test_records(self, tmp_path: Path) -> None:
        """Summary and body joined; continuation dots dropped."""
        status = tmp_path / "status"
        status.write_text("Package: foo\nSection: utils\nVersion: 1.0\nDescription: does foo\n"
                          " Foo does things.\n .\n More things.\n\nPackage: nodesc\n")
        (record,) = list(debian_descriptions(status))
        assert ("deb:foo", "does foo. Foo does things.  More things.") == (record.id, record.text)
