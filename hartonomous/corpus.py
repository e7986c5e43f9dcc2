"""Real text corpora available without a download, for the demo and the benchmarks.

- ``wordnet``: the glosses of WordNet 3.0 (Debian package ``wordnet-base``,
  ``/usr/share/wordnet/data.{noun,verb,adj,adv}``): 117,659 short definitions; the text is
  "<the synset's words>: <gloss>", the title the words. ``infra/setup.sh`` installs the package.
- ``debian``: the descriptions of the installed Debian packages (``/var/lib/dpkg/status``).

A sample is drawn with a seeded RNG, so the same ``(limit, seed)`` gives the same records.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hartonomous.exceptions import HartonomousError

WORDNET_DIR = Path("/usr/share/wordnet")
WORDNET_FILES = {"noun": "data.noun", "verb": "data.verb", "adj": "data.adj", "adv": "data.adv"}
DPKG_STATUS = Path("/var/lib/dpkg/status")
CORPORA = ("wordnet", "debian")


class CorpusUnavailableError(HartonomousError):
    """The corpus' files are not on this machine (say which package provides them)."""


@dataclass(frozen=True)
class CorpusRecord:
    """One text of a corpus, with a stable id and a title."""

    id: str
    title: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON Lines form the document ingester reads (``text``, ``title``, metadata)."""
        return {"id": self.id, "title": self.title, "text": self.text, **self.metadata}


def wordnet_glosses(data_dir: Path = WORDNET_DIR) -> Iterator[CorpusRecord]:
    """Every synset gloss of WordNet, in file order (noun, verb, adjective, adverb)."""
    missing = [name for name in WORDNET_FILES.values() if not (data_dir / name).is_file()]
    if missing:
        raise CorpusUnavailableError(
            f"WordNet data files {missing} not found in {data_dir}: apt-get install wordnet-base"
        )
    for pos, name in WORDNET_FILES.items():
        with (data_dir / name).open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  ") or " | " not in line:
                    continue  # the license header
                head, gloss = line.split(" | ", 1)
                fields = head.split()
                offset, lexfile, count = fields[0], fields[1], int(fields[3], 16)
                words = [fields[4 + 2 * i].replace("_", " ") for i in range(count)]
                words = [w.split("(", 1)[0] for w in words]  # adjective markers like (a), (p)
                title = ", ".join(words)
                yield CorpusRecord(
                    id=f"wn:{pos}:{offset}",
                    title=title,
                    text=f"{title}: {gloss.strip()}",
                    metadata={"pos": pos, "lexfile": int(lexfile)},
                )


def debian_descriptions(status_file: Path = DPKG_STATUS) -> Iterator[CorpusRecord]:
    """The description of every package in dpkg's status file."""
    if not status_file.is_file():
        raise CorpusUnavailableError(f"{status_file} not found: not a Debian-based system")
    for paragraph in status_file.read_text(encoding="utf-8", errors="replace").split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        for line in paragraph.splitlines():
            if line.startswith((" ", "\t")) and current:
                fields[current] += "\n" + line.strip()
            elif ":" in line:
                current, _, value = line.partition(":")
                fields[current] = value.strip()
        if "Package" not in fields or "Description" not in fields:
            continue
        summary, _, body = fields["Description"].partition("\n")
        text = " ".join(part for part in (summary + ".", body.replace("\n.", "\n").replace("\n", " ")) if part)
        yield CorpusRecord(
            id=f"deb:{fields['Package']}",
            title=fields["Package"],
            text=text.strip(),
            metadata={"section": fields.get("Section", ""), "version": fields.get("Version", "")},
        )


def load_corpus(name: str = "wordnet", limit: int | None = None, *, seed: int = 0) -> list[CorpusRecord]:
    """All records of a corpus, or a seeded random sample of ``limit`` of them (in corpus order)."""
    if name == "wordnet":
        records = list(wordnet_glosses())
    elif name == "debian":
        records = list(debian_descriptions())
    else:
        raise CorpusUnavailableError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}")
    if limit is None or limit >= len(records):
        return records
    chosen = sorted(random.Random(seed).sample(range(len(records)), limit))
    return [records[i] for i in chosen]


def write_jsonl(records: list[CorpusRecord], path: Path) -> Path:
    """Write records as JSON Lines (what ``hartonomous emit ingest`` reads); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path
