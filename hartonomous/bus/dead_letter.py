"""Dead-letter records: the original bytes untouched, the reason in headers.

Headers (all UTF-8):
``hartonomous.error.type``, ``hartonomous.error.message``, ``hartonomous.original.topic``,
``hartonomous.original.partition``, ``hartonomous.original.offset``, ``hartonomous.consumer``,
plus the original message's own headers, so the record can be replayed as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hartonomous.events import KafkaRecord

ERROR_TYPE = "hartonomous.error.type"
ERROR_MESSAGE = "hartonomous.error.message"
ORIGINAL_TOPIC = "hartonomous.original.topic"
ORIGINAL_PARTITION = "hartonomous.original.partition"
ORIGINAL_OFFSET = "hartonomous.original.offset"
CONSUMER = "hartonomous.consumer"
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class DeadLetter:
    """A message that could not be processed, and why."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]
    error: BaseException
    consumer: str

    def to_record(self) -> KafkaRecord:
        reason = str(self.error) or repr(self.error)
        meta = [
            (ERROR_TYPE, type(self.error).__name__),
            (ERROR_MESSAGE, reason[:MAX_MESSAGE_CHARS]),
            (ORIGINAL_TOPIC, self.topic),
            (ORIGINAL_PARTITION, str(self.partition)),
            (ORIGINAL_OFFSET, str(self.offset)),
            (CONSUMER, self.consumer),
        ]
        headers = [(k, v.encode("utf-8")) for k, v in meta] + [
            (k, v) for k, v in self.headers if not k.startswith("hartonomous.")
        ]
        return KafkaRecord(self.key, self.value or b"", headers)


def read_reason(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """The ``hartonomous.*`` headers of a DLQ record as text (for tools and tests)."""
    return {k: v.decode("utf-8") for k, v in headers if k.startswith("hartonomous.")}
