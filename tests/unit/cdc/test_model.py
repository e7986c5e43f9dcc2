from __future__ import annotations

import base64
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from hartonomous.cdc import InvalidChangeError, RowChange, SourceInfo, from_pg_text, from_python
from hartonomous.config import Settings
from hartonomous.events import SchemaRegistry

SOURCE = SourceInfo("postgres", "db", "public", "documents", "0/16B3748", 3, "2026-01-01T00:00:00+00:00")


class TestRowChange:
    """The change model round-trips through its JSON data and validates against the schema."""

    def test_round_trip(self) -> None:
        """to_data then from_data gives the same change."""
        change = RowChange("update", SOURCE, {"id": 1}, {"id": 1, "t": "a"}, {"id": 1, "t": "b"})
        assert change == RowChange.from_data(change.to_data())

    def test_key_and_id_deterministic(self) -> None:
        """Kafka key is schema.table plus sorted key JSON; the event id repeats on replay."""
        a = RowChange("insert", SOURCE, {"b": 2, "a": "x"}, None, {"a": "x", "b": 2})
        b = RowChange("insert", SOURCE, {"a": "x", "b": 2}, None, {"a": "x", "b": 2})
        assert 'public.documents:{"a":"x","b":2}' == a.kafka_key
        assert a.event_id == b.event_id

    def test_schema(self) -> None:
        """A snapshot event validates against the row.changed schema."""
        event = RowChange("snapshot", SOURCE, {"id": 1}, None, {"id": 1}).to_event(source_uri="postgres://h/db")
        SchemaRegistry(Settings().schemas_dir).validate(event)
        assert 'public.documents:{"id":1}' == event.get_extension("partitionkey")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ([], "change data must be an object, got list"),
            ({"op": "insert"}, "change data lacks ['source', 'key', 'before', 'after']"),
            ({"op": "upsert", "source": SOURCE.to_data(), "key": {}, "before": None, "after": {}},
             "op must be one of ['delete', 'insert', 'snapshot', 'update'], got 'upsert'"),
            ({"op": "insert", "source": SOURCE.to_data(), "key": {}, "before": None, "after": {"x": 1.5}},
             "'after.x' must be a string, integer, boolean or null, got float"),
            ({"op": "delete", "source": SOURCE.to_data(), "key": {"id": 1}, "before": {"id": 1}, "after": {"id": 1}},
             "delete of public.documents cannot have an 'after' row"),
        ],
    )
    def test_invalid(self, data: object, message: str) -> None:
        """Invalid data raises InvalidChangeError with a clear message."""
        with pytest.raises(InvalidChangeError) as info:
            RowChange.from_data(data)
        assert message == str(info.value)


class TestValueTyping:
    """Values keep their types per the issue's rules."""

    def test_python_values(self) -> None:
        """Driver values: ints, bools, exact decimals, ISO times, base64 bytes, else strings."""
        values = [7, True, Decimal("1E+2"), datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
                  date(2026, 1, 2), time(3, 4), b"\x01\x02", 0.1, None]
        assert [7, True, "100", "2026-01-02T03:04:05+00:00", "2026-01-02", "03:04:00",
                base64.b64encode(b"\x01\x02").decode(), "0.1", None] == [from_python(v) for v in values]

    def test_pg_text(self) -> None:
        """pgoutput text by type OID: int8, bool, numeric, timestamptz, bytea, jsonb."""
        assert [42, True, "12.500", "2026-01-02T03:04:05.123456+00:00", "AQI=", '{"a": 1}'] == [
            from_pg_text("42", 20), from_pg_text("t", 16), from_pg_text("12.500", 1700),
            from_pg_text("2026-01-02 03:04:05.123456+00", 1184), from_pg_text("\\x0102", 17),
            from_pg_text('{"a": 1}', 3802),
        ]
