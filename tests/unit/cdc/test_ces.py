from __future__ import annotations

import json
from typing import Any

import pytest

from hartonomous.cdc import MalformedCesEventError, RowChange, normalize_ces
from hartonomous.cdc.reader import ChangeReader, Normalized, Rejected
from hartonomous.config import Settings
from hartonomous.events import SchemaRegistry, decode_structured


def normalize(event: dict[str, Any]) -> RowChange:
    attrs = {k: v for k, v in event.items() if k != "data"}
    return normalize_ces(attrs, event["data"])


EMPLOYEE_8 = {"Id": 8, "FirstName": "Nikola", "LastName": "Nikolic", "SignupDate": "2026-08-07T16:25:00.8833333"}
EMPLOYEE_8_SMITH = {**EMPLOYEE_8, "LastName": "Nikolic-Smith"}


class TestDocumentedSamples:
    """The three documented CES samples normalise to the right op, table, key and typed values."""

    def test_insert(self, ces_insert: dict[str, Any]) -> None:
        """INS: after is the typed row, before is null, key from pkkey as an integer."""
        change = normalize(ces_insert)
        assert ("insert", "EmployeesDb", "dbo", "Employees") == (
            change.op, change.source.db, change.source.schema, change.source.table,
        )
        assert {"Id": 8} == change.key
        assert change.before is None
        assert EMPLOYEE_8 == change.after

    def test_update(self, ces_update: dict[str, Any]) -> None:
        """UPD: before and after both present and typed."""
        change = normalize(ces_update)
        assert "update" == change.op
        assert EMPLOYEE_8 == change.before
        assert EMPLOYEE_8_SMITH == change.after

    def test_delete(self, ces_delete: dict[str, Any]) -> None:
        """DEL: before is the old row, after is null."""
        change = normalize(ces_delete)
        assert "delete" == change.op
        assert EMPLOYEE_8_SMITH == change.before
        assert change.after is None

    def test_transaction_fields(self, ces_insert: dict[str, Any]) -> None:
        """commit_lsn, sequence and commit_time come from eventsource.transaction."""
        source = normalize(ces_insert).source
        assert ("sqlserver-ces", "000000B1:000008A8:0007", 1, "2026-08-07T16:25:00.890Z") == (
            source.system, source.commit_lsn, source.sequence, source.commit_time,
        )

    def test_kafka_key(self, ces_update: dict[str, Any]) -> None:
        """The Kafka key is schema.table plus the primary key."""
        assert 'dbo.Employees:{"Id":8}' == normalize(ces_update).kafka_key

    def test_through_the_cloudevents_decoder(self, ces_delete: dict[str, Any]) -> None:
        """A sample read as a structured CloudEvent normalises the same as the raw dict."""
        outcomes = ChangeReader().feed(decode_structured(json.dumps(ces_delete)))
        assert [normalize(ces_delete)] == [o.change for o in outcomes if isinstance(o, Normalized)]

    def test_normalised_event_passes_our_schema(self, ces_update: dict[str, Any]) -> None:
        """The normalised change validates against com.hartonomous.cdc.row.changed.v1."""
        event = normalize(ces_update).to_event(source_uri="mssql://host/EmployeesDb")
        SchemaRegistry(Settings().schemas_dir).validate(event)


class TestOlderShape:
    """The older documented shape (no transaction, pretty-printed data) is accepted."""

    def test_no_transaction_uses_logicalid_and_time(self, ces_insert: dict[str, Any]) -> None:
        """Without 'transaction', commit LSN and sequence come from logicalid, time from the event."""
        payload = json.loads(ces_insert["data"])
        del payload["eventsource"]["transaction"]
        event = {k: v for k, v in ces_insert.items() if k not in {"segmentindex", "finalsegment"}}
        event.update(splitindex=1, splittotalcnt=1, data=json.dumps(payload, indent=2))
        outcomes = ChangeReader().feed_parts({k: v for k, v in event.items() if k != "data"}, event["data"])
        (outcome,) = outcomes
        assert isinstance(outcome, Normalized)
        source = outcome.change.source
        assert ("000000B1:000008A8:0007", 1, "2026-08-07T16:25:00.890Z") == (
            source.commit_lsn, source.sequence, source.commit_time,
        )
        assert EMPLOYEE_8 == outcome.change.after


class TestTyping:
    """Values are typed from cols[].type."""

    def test_types(self, ces_insert: dict[str, Any]) -> None:
        """bit, decimal, money, float, datetimeoffset, varbinary and uniqueidentifier typed per the rules."""
        payload = json.loads(ces_insert["data"])
        payload["eventsource"]["cols"] = [
            {"name": "Id", "type": "bigint", "index": 0},
            {"name": "Active", "type": "bit", "index": 1},
            {"name": "Price", "type": "decimal(18,4)", "index": 2},
            {"name": "Cost", "type": "money", "index": 3},
            {"name": "Ratio", "type": "float", "index": 4},
            {"name": "At", "type": "datetimeoffset(7)", "index": 5},
            {"name": "Blob", "type": "varbinary(max)", "index": 6},
            {"name": "Guid", "type": "uniqueidentifier", "index": 7},
            {"name": "Day", "type": "date", "index": 8},
        ]
        row = {
            "Id": "8", "Active": "1", "Price": "12.3400", "Cost": "5.00", "Ratio": "0.1",
            "At": "2026-08-07 16:25:00.8833333 +02:00", "Blob": "0x0102FF",
            "Guid": "6F9619FF-8B86-D011-B42D-00C04FC964FF", "Day": "2026-08-07",
        }
        payload["eventrow"]["current"] = json.dumps(row)
        change = normalize({**ces_insert, "data": json.dumps(payload)})
        assert {
            "Id": 8, "Active": True, "Price": "12.3400", "Cost": "5.00", "Ratio": "0.1",
            "At": "2026-08-07T16:25:00.8833333+02:00", "Blob": "AQL/",
            "Guid": "6F9619FF-8B86-D011-B42D-00C04FC964FF", "Day": "2026-08-07",
        } == change.after

    def test_nulls_stay_null(self, ces_insert: dict[str, Any]) -> None:
        """A JSON null column value stays null."""
        payload = json.loads(ces_insert["data"])
        payload["eventrow"]["current"] = json.dumps({"Id": "8", "FirstName": None})
        change = normalize({**ces_insert, "data": json.dumps(payload)})
        assert {"Id": 8, "FirstName": None} == change.after


class TestMalformed:
    """Malformed CES events give a clear error naming what is wrong."""

    @pytest.mark.parametrize(
        ("mutate", "message"),
        [
            (lambda e: e.update(data="{not json"), "CES data is not valid JSON"),
            (lambda e: e.update(data='{"eventrow": {}}'), "CES data has no 'eventsource'"),
            (lambda e: e.update(data=json.dumps({"eventsource": {"tbl": "T"}, "eventrow": {"old": "{", "current": "{}"}})),
             "CES eventrow.old is not valid JSON"),
            (lambda e: e.update(operation="MERGE"), "CES 'operation' must be INS, UPD or DEL"),
            (lambda e: e.update(data=e["data"].replace('\\"Id\\":\\"8\\",\\"First', '\\"Id\\":\\"eight\\",\\"First')),
             "dbo.Employees.Id: value 'eight' does not fit type int"),
            (lambda e: e.update(data=json.dumps({"eventsource": {"db": "x"}, "eventrow": {}})),
             "data.eventsource.tbl is missing"),
        ],
    )
    def test_clear_error(self, ces_insert: dict[str, Any], mutate: Any, message: str) -> None:
        """The error message says which part of the event is wrong."""
        event = dict(ces_insert)
        mutate(event)
        with pytest.raises(MalformedCesEventError) as info:
            normalize(event)
        assert message in str(info.value)

    def test_reader_returns_error_as_value(self, ces_insert: dict[str, Any]) -> None:
        """Through the reader, a malformed event is a Rejected value, not an exception."""
        (outcome,) = ChangeReader().feed_parts({k: v for k, v in ces_insert.items() if k != "data"}, 42)
        assert isinstance(outcome, Rejected)
        assert "CES 'data' must be a JSON string, got int" == str(outcome.error)
