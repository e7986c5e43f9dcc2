"""aiokafka client settings for the local broker and for Azure Event Hubs' Kafka endpoint."""

from __future__ import annotations

import ssl
from typing import Any

from hartonomous.config import Settings

# Event Hubs limits that differ from aiokafka's defaults (see reference/sqlserver-ces.md).
EVENTHUBS_LIMITS: dict[str, Any] = {
    "connections_max_idle_ms": 180_000,
    "metadata_max_age_ms": 180_000,
    "request_timeout_ms": 60_000,
}
EVENTHUBS_PRODUCER_LIMITS: dict[str, Any] = {"max_request_size": 1_000_000}
EVENTHUBS_CONSUMER_LIMITS: dict[str, Any] = {"session_timeout_ms": 30_000}


def is_eventhubs(settings: Settings) -> bool:
    return settings.kafka_profile == "eventhubs"


def common_kwargs(settings: Settings) -> dict[str, Any]:
    """Connection settings shared by producers, consumers and the admin client."""
    if is_eventhubs(settings):
        if not settings.eventhubs_connection_string:
            from hartonomous.exceptions import ConfigError

            raise ConfigError("kafka_profile=eventhubs needs HARTONOMOUS_EVENTHUBS_CONNECTION_STRING")
        return {
            "bootstrap_servers": settings.kafka_bootstrap,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "PLAIN",
            "sasl_plain_username": "$ConnectionString",
            "sasl_plain_password": settings.eventhubs_connection_string,
            "ssl_context": ssl.create_default_context(),
            **EVENTHUBS_LIMITS,
        }
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        kwargs.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    if settings.kafka_security_protocol.endswith("SSL"):
        kwargs["ssl_context"] = ssl.create_default_context()
    return kwargs


def producer_kwargs(settings: Settings) -> dict[str, Any]:
    """acks=all always; idempotence where the broker allows it (Event Hubs does not)."""
    kwargs = common_kwargs(settings)
    kwargs.update(acks="all", linger_ms=5, max_batch_size=256 * 1024)
    if is_eventhubs(settings):
        kwargs.update(EVENTHUBS_PRODUCER_LIMITS, compression_type=None)
    else:
        kwargs.update(enable_idempotence=True, max_request_size=4 * 1024 * 1024)
    return kwargs


def consumer_kwargs(settings: Settings, group_id: str) -> dict[str, Any]:
    """Auto-commit off: the runtime commits offset+1 only after the sink acknowledged."""
    kwargs = common_kwargs(settings)
    kwargs.update(
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.consumer_batch_size,
        isolation_level="read_committed",
    )
    if is_eventhubs(settings):
        kwargs.update(EVENTHUBS_CONSUMER_LIMITS)
    return kwargs
