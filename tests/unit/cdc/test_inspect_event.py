from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from hartonomous.cdc import RowChange
from hartonomous.cli.main import cli
from hartonomous.events import encode, new_event, types
from hartonomous.cdc.model import SourceInfo
from tests.unit.cdc.helpers import split


def run(*paths: Path) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(cli, ["inspect-event", *map(str, paths)])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def write(path: Path, content: Any, *, lines: bool = False) -> Path:
    text = "\n".join(json.dumps(c) for c in content) + "\n" if lines else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


class TestInspectEvent:
    """inspect-event prints one normalised change per complete logical event as JSON Lines."""

    def test_documented_samples(self, tmp_path: Path, ces_insert: dict[str, Any], ces_update: dict[str, Any],
                                ces_delete: dict[str, Any]) -> None:
        """Three CES files give insert, update, delete with the change model's fields only."""
        files = [write(tmp_path / f"{n}.json", e) for n, e in
                 (("a", ces_insert), ("b", ces_update), ("c", ces_delete))]
        code, changes, _ = run(*files)
        assert 0 == code
        assert ["insert", "update", "delete"] == [c["op"] for c in changes]
        assert [["op", "source", "key", "before", "after"]] * 3 == [list(c) for c in changes]
        assert {"Id": 8} == changes[2]["key"]

    def test_segments_across_files(self, tmp_path: Path, ces_update: dict[str, Any]) -> None:
        """Segments spread over two JSON Lines files, out of order, reassemble into one change."""
        segments = split(ces_update, 3, base=1)
        first = write(tmp_path / "one.jsonl", [segments[2]], lines=True)
        second = write(tmp_path / "two.jsonl", [segments[0], segments[1]], lines=True)
        code, changes, _ = run(first, second)
        assert (0, ["update"]) == (code, [c["op"] for c in changes])

    def test_our_events_structured_and_binary(self, tmp_path: Path) -> None:
        """Our own event, structured and as a binary-mode Kafka record with JSON headers."""
        change = RowChange("insert", SourceInfo("postgres", "db", "public", "t"), {"id": 1}, None, {"id": 1})
        event = change.to_event(source_uri="postgres://h/db")
        record = encode(event, mode="binary")
        as_json = {"headers": {k: v.decode() for k, v in record.headers}, "key": record.key.decode() if record.key else None,
                   "value": record.value.decode()}
        structured = json.loads(encode(event).value)
        code, changes, err = run(write(tmp_path / "s.json", structured), write(tmp_path / "b.json", as_json))
        assert (0, "") == (code, err)
        assert [change.to_data()] * 2 == changes

    def test_invalid_input(self, tmp_path: Path, ces_insert: dict[str, Any]) -> None:
        """Bad JSON, a non-event and a bad CES event each give one line naming the file; exit 2."""
        bad_json = tmp_path / "bad.jsonl"
        bad_json.write_text('{"specversion": "1.0"\n', encoding="utf-8")
        not_event = write(tmp_path / "x.json", {"hello": 1})
        bad_ces = write(tmp_path / "ces.json", {**ces_insert, "data": "{oops"})
        good = write(tmp_path / "good.json", ces_insert)
        code, changes, err = run(bad_json, not_event, bad_ces, good)
        assert 2 == code
        assert ["insert"] == [c["op"] for c in changes]
        lines = err.splitlines()
        assert 3 == len(lines)
        assert lines[0].startswith(f"{bad_json}:1: not JSON")
        assert lines[1] == f"{not_event}: neither a CloudEvent (no 'specversion') nor a Kafka record ({{'headers', 'value'}})"
        assert lines[2].startswith(f"{bad_ces}: logical event {ces_insert['logicalid']}: CES data is not valid JSON")

    def test_incomplete_group_and_missing_file(self, tmp_path: Path, ces_insert: dict[str, Any]) -> None:
        """A group missing a segment at end of input, and a missing file, are errors with exit 2."""
        part = write(tmp_path / "part.jsonl", split(ces_insert, 2)[:1], lines=True)
        code, changes, err = run(part, tmp_path / "nope.json")
        assert (2, []) == (code, changes)
        assert [f"{tmp_path / 'nope.json'}: cannot read: No such file or directory",
                f"{part}: logical event {ces_insert['logicalid']}: input ended; have segments [0], "
                "last index unknown (final segment not seen)"] == err.splitlines()

    def test_unsupported_type(self, tmp_path: Path) -> None:
        """A CloudEvent of another type is reported, not silently skipped."""
        event = new_event(types.PING, {"n": 1}, source="/t")
        code, _, err = run(write(tmp_path / "p.json", json.loads(encode(event).value)))
        assert 2 == code
        assert "is neither com.hartonomous.cdc.row.changed.v1 nor com.microsoft.SQL.CES.DML.V1" in err

    def test_stdin(self, ces_delete: dict[str, Any]) -> None:
        """'-' reads JSON Lines from stdin."""
        result = CliRunner().invoke(cli, ["inspect-event", "-"], input=json.dumps(ces_delete) + "\n")
        assert (0, ["delete"]) == (result.exit_code, [json.loads(x)["op"] for x in result.stdout.splitlines()])

    def test_run_group_lists_the_cdc_services(self) -> None:
        """'hartonomous run' offers cdc-postgres and cdc-mssql."""
        result = CliRunner().invoke(cli, ["run", "--help"])
        assert {"cdc-postgres", "cdc-mssql"} <= set(result.stdout.split())

    def test_structured_record_labelled_plain_json(self, tmp_path: Path, ces_update: dict[str, Any]) -> None:
        """A Kafka record whose content-type is application/json but whose value is a whole CloudEvent."""
        record = {"headers": {"content-type": "application/json"}, "value": ces_update}
        code, changes, err = run(write(tmp_path / "r.json", record))
        assert (0, ["update"], "") == (code, [c["op"] for c in changes], err)
