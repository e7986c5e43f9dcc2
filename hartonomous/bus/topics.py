"""Topic creation for the local broker (Event Hubs has no topic administration)."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from hartonomous.bus.kafka_config import common_kwargs, is_eventhubs
from hartonomous.config import Settings
from hartonomous.logging import get_logger


async def ensure_topics(settings: Settings, topics: Iterable[str] | None = None) -> list[str]:
    """Create the missing topics (all of the pipeline's by default); return those created."""
    wanted = list(topics) if topics is not None else list(settings.topics.all())
    if is_eventhubs(settings):
        return []
    log = get_logger("bus.topics")
    admin = AIOKafkaAdminClient(**common_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(wanted) if t not in existing]
        if not missing:
            return []
        new = [NewTopic(t, num_partitions=settings.kafka_partitions, replication_factor=1) for t in missing]
        try:
            await admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass  # a concurrent starter won the race: the topic exists, which is all we need
        log.info("topics_created", topics=missing)
        return missing
    finally:
        await admin.close()
