from __future__ import annotations

from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.exceptions import ConfigError


class TestSettingsFromEnv:
    """Settings are read from HARTONOMOUS_* variables with types."""

    def test_types_are_parsed(self) -> None:
        """Ints, bools, paths and path lists are converted."""
        s = Settings.from_env({
            "HARTONOMOUS_KAFKA_PORT": "1234",
            "HARTONOMOUS_VALIDATE_EVENTS": "false",
            "HARTONOMOUS_STATE_DIR": "/tmp/h",
            "HARTONOMOUS_ALLOWED_ROOTS": "/a:/b",
            "HARTONOMOUS_TOPIC_DLQ": "my.dlq",
        })
        assert (1234, False, Path("/tmp/h")) == (s.kafka_port, s.validate_events, s.state_dir)
        assert (Path("/a"), Path("/b")) == s.allowed_roots
        assert "my.dlq" == s.topics.dlq

    def test_bad_value_names_the_variable(self) -> None:
        """A malformed number is reported with its variable name."""
        with pytest.raises(ConfigError, match="HARTONOMOUS_KAFKA_PORT"):
            Settings.from_env({"HARTONOMOUS_KAFKA_PORT": "many"})

    def test_settings_are_frozen(self) -> None:
        """The settings object cannot be mutated; replace() returns a copy."""
        s = Settings()
        with pytest.raises(AttributeError):
            s.kafka_port = 1  # type: ignore[misc]
        assert 1 == s.replace(kafka_port=1).kafka_port
