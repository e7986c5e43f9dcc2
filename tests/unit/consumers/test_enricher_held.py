from __future__ import annotations

from hartonomous.bus import Delivery, EventPublisher
from hartonomous.config import Settings
from hartonomous.events import decode_structured
from hartonomous.testing import FakeEncoder
from consumers.enricher import Enricher
from tests.unit.cdc.conftest import load_sample
from tests.unit.cdc.helpers import split


def _delivery(segment: dict, offset: int, partition: int = 0) -> Delivery:
    return Delivery(decode_structured(segment), "hartonomous.cdc", partition, offset, None, 0)


class TestEnricherHeldOffset:
    """The enricher reports the oldest delivery held in an incomplete CES group."""

    def test_nothing_held_without_pending_segments(self) -> None:
        """No pending group: no hold on commits."""
        settings = Settings()
        enricher = Enricher(settings, EventPublisher(settings), encoder=FakeEncoder())
        assert None is enricher.held_offset("hartonomous.cdc", 0)

    def test_first_segment_of_incomplete_group_is_held(self) -> None:
        """Two of three segments seen: the commit point is the first one's offset, per partition."""
        settings = Settings()
        enricher = Enricher(settings, EventPublisher(settings), encoder=FakeEncoder())
        first, second, _third = split(load_sample("update"), 3)
        for delivery in (_delivery(first, 41), _delivery(second, 42)):
            assert [] == enricher._reader.feed(delivery.event, raw=delivery)
        assert 41 == enricher.held_offset("hartonomous.cdc", 0)
        assert None is enricher.held_offset("hartonomous.cdc", 1)
