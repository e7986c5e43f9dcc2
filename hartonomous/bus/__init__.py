"""The bus runtime: the only place that talks to Kafka.

Consumers implement :class:`BatchHandler`, producers implement :class:`ChangeSource`; the
runtimes own polling, validation, retries, the DLQ, commits and shutdown.
"""

from __future__ import annotations

from hartonomous.bus.consumer_runtime import ConsumerRuntime
from hartonomous.bus.dead_letter import DeadLetter, read_reason
from hartonomous.bus.delivery import Delivery, Failure
from hartonomous.bus.exceptions import BusError, PublishError, RetriesExhaustedError, TransientError
from hartonomous.bus.handler import BatchHandler, ChangeSource, SourceRecord
from hartonomous.bus.producer_runtime import ProducerRuntime
from hartonomous.bus.publisher import EventPublisher, Outgoing
from hartonomous.bus.service import run_until_signalled
from hartonomous.bus.topics import ensure_topics

__all__ = [
    "BatchHandler",
    "BusError",
    "ChangeSource",
    "ConsumerRuntime",
    "DeadLetter",
    "Delivery",
    "EventPublisher",
    "Failure",
    "Outgoing",
    "ProducerRuntime",
    "PublishError",
    "RetriesExhaustedError",
    "SourceRecord",
    "TransientError",
    "ensure_topics",
    "read_reason",
    "run_until_signalled",
]
