from __future__ import annotations

from hartonomous.bus import DeadLetter, read_reason


class TestDeadLetter:
    """A dead letter keeps the original bytes and carries the reason in headers."""

    def test_record_keeps_value_key_and_original_headers(self) -> None:
        """Value, key and the original headers are passed through untouched."""
        letter = DeadLetter("t", 2, 41, b"k", b"\xff\x00raw", [("content-type", b"x")], ValueError("bad"), "c")
        record = letter.to_record()
        assert (b"k", b"\xff\x00raw") == (record.key, record.value)
        assert ("content-type", b"x") in record.headers

    def test_reason_headers(self) -> None:
        """Error type, message and the original position are readable back."""
        record = DeadLetter("t", 2, 41, None, b"v", [], ValueError("bad thing"), "enricher").to_record()
        assert {
            "hartonomous.error.type": "ValueError",
            "hartonomous.error.message": "bad thing",
            "hartonomous.original.topic": "t",
            "hartonomous.original.partition": "2",
            "hartonomous.original.offset": "41",
            "hartonomous.consumer": "enricher",
        } == read_reason(record.headers)
