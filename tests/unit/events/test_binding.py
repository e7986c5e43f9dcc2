from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from hartonomous.events import EventDecodeError, InvalidEventError, decode, encode, new_event, types


def _event(**ext: object):
    return new_event(
        types.PING,
        {"message": "hello", "seq": 1},
        source="/tests",
        subject="s-1",
        time=datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc),
        extensions={"partitionkey": "k-1", "correlationid": "c-1", **ext},
    )


class TestStructuredMode:
    """Structured mode carries the whole event in the value with the CloudEvents content type."""

    def test_round_trip_keeps_attributes_and_data(self) -> None:
        """Encoding then decoding gives back the same attributes and data."""
        event = _event()
        record = encode(event)
        assert ("content-type", b"application/cloudevents+json") in record.headers
        assert b"k-1" == record.key
        decoded = decode(record.value, record.headers)
        assert event.get_attributes() == decoded.get_attributes()
        assert {"message": "hello", "seq": 1} == decoded.get_data()

    def test_value_is_plain_cloudevents_json(self) -> None:
        """The value is the JSON format of the spec, with time in RFC 3339 UTC."""
        obj = json.loads(encode(_event()).value)
        assert "2026-11-24T08:00:00Z" == obj["time"]
        assert "1.0" == obj["specversion"]
        assert {"message": "hello", "seq": 1} == obj["data"]

    def test_absent_time_is_not_invented_on_decode(self) -> None:
        """The SDK stamps 'now' on an event without time; our decoder keeps it absent."""
        raw = json.dumps({"specversion": "1.0", "id": "1", "source": "/x", "type": "t", "data": {}})
        assert None is decode(raw.encode()).get_time()

    def test_missing_content_type_is_read_as_structured(self) -> None:
        """A JSON CloudEvent without a content-type header is still read."""
        record = encode(_event())
        assert "hello" == decode(record.value, []).get_data()["message"]


class TestBinaryMode:
    """Binary mode puts attributes in ce_ headers and data in the value."""

    def test_round_trip(self) -> None:
        """Binary encode then decode gives back attributes and data."""
        event = _event()
        record = encode(event, mode="binary")
        headers = dict(record.headers)
        assert b"com.hartonomous.ping.v1" == headers["ce_type"]
        assert b"application/json" == headers["content-type"]
        decoded = decode(record.value, record.headers)
        assert event.get_attributes() == decoded.get_attributes()
        assert event.get_data() == decoded.get_data()

    def test_booleans_are_written_lowercase(self) -> None:
        """A boolean extension is written as 'true', not Python's 'True'."""
        record = encode(_event(replay=True), mode="binary")
        assert b"true" == dict(record.headers)["ce_replay"]

    def test_header_values_are_percent_decoded(self) -> None:
        """Non-ASCII and special characters survive the header encoding."""
        event = new_event(types.PING, {"message": "x"}, source="/tests/ünïcode path", subject="a b")
        record = encode(event, mode="binary")
        decoded = decode(record.value, record.headers)
        assert "/tests/ünïcode path" == decoded.get_source()
        assert "a b" == decoded.get_subject()

    def test_binary_event_without_time_stays_without_time(self) -> None:
        """No ce_time header means no time on the decoded event."""
        headers = [("ce_specversion", b"1.0"), ("ce_id", b"1"), ("ce_source", b"/x"), ("ce_type", b"t")]
        assert None is decode(b'{"a":1}', headers).get_time()


class TestRejections:
    """Malformed input raises a decode error that names the problem."""

    @pytest.mark.parametrize(
        ("value", "fragment"),
        [
            (b"not json at all", "not JSON"),
            (b"[1,2]", "JSON object"),
            (b'{"id":"1"}', "specversion"),
            (b'{"specversion":"1.0","id":"1","type":"t"}', "source"),
            (b'{"specversion":"1.0","id":"1","source":"/x","type":"t","time":"yesterday"}', "RFC 3339"),
        ],
    )
    def test_bad_values(self, value: bytes, fragment: str) -> None:
        """Each malformed value is refused with a reason."""
        with pytest.raises(EventDecodeError, match=fragment):
            decode(value, [])

    def test_tombstone(self) -> None:
        """A null value (tombstone) is not an event."""
        with pytest.raises(EventDecodeError, match="tombstone"):
            decode(None, [])

    @pytest.mark.parametrize("name", ["Upper", "with_underscore", "waytoolongextensionname21", "dash-ed"])
    def test_extension_names_are_enforced(self, name: str) -> None:
        """Extension names must be 1-20 lowercase alphanumerics."""
        with pytest.raises(InvalidEventError, match="extension attribute"):
            new_event(types.PING, {"message": "x"}, source="/t", extensions={name: "v"})

    def test_twenty_character_extension_is_accepted(self) -> None:
        """Exactly 20 characters is within the rule."""
        event = new_event(types.PING, {"message": "x"}, source="/t", extensions={"a" * 20: "v"})
        assert "v" == event.get_extension("a" * 20)


class TestPlainJsonLabel:
    """A structured event labelled application/json (as SQL Server CES / Event Hubs may) is read."""

    def test_application_json_content_type(self) -> None:
        """No ce_ headers and content-type application/json: decoded as structured."""
        record = encode(_event())
        assert "hello" == decode(record.value, [("content-type", b"application/json")]).get_data()["message"]

    def test_other_content_type_is_refused(self) -> None:
        """A non-JSON content type without ce_ headers is neither mode."""
        with pytest.raises(EventDecodeError, match="neither structured nor binary"):
            decode(encode(_event()).value, [("content-type", b"text/plain")])
