from __future__ import annotations

import pytest

from hartonomous.config import Settings
from hartonomous.events import SchemaRegistry, SchemaValidationError, UnknownEventTypeError, new_event, types


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry(Settings().schemas_dir)


class TestSchemaRegistry:
    """Every event type has a schema; data is checked against it."""

    def test_every_declared_type_has_a_schema(self, registry: SchemaRegistry) -> None:
        """All our types and the SQL Server CES envelope are registered."""
        declared = {v for k, v in vars(types).items() if k.isupper() and isinstance(v, str) and "." in v
                    and not v.startswith("https")}
        assert declared == set(registry.event_types)

    def test_dataschema_points_at_the_schema_id(self, registry: SchemaRegistry) -> None:
        """new_event sets dataschema to the $id of the type's schema file."""
        event = new_event(types.PING, {"message": "x"}, source="/t")
        assert registry.schema_uri(types.PING) == event.get_dataschema()
        registry.validate(event)

    def test_invalid_data_names_the_path(self, registry: SchemaRegistry) -> None:
        """A wrong field is reported with its path and the reason."""
        event = new_event(types.INGEST_REQUESTED, {"uri": "file:///x", "kind": "video"}, source="/t")
        with pytest.raises(SchemaValidationError, match="kind"):
            registry.validate(event)

    def test_missing_required_field(self, registry: SchemaRegistry) -> None:
        """A missing required property fails validation."""
        event = new_event(types.PING, {"seq": 3}, source="/t")
        with pytest.raises(SchemaValidationError, match="message"):
            registry.validate(event)

    def test_unknown_type(self, registry: SchemaRegistry) -> None:
        """A type without a schema is refused."""
        event = new_event("com.example.unknown.v1", {}, source="/t", dataschema="https://x/y.json")
        with pytest.raises(UnknownEventTypeError):
            registry.validate(event)

    def test_mismatched_dataschema(self, registry: SchemaRegistry) -> None:
        """An event claiming another schema than its type's is refused."""
        event = new_event(types.PING, {"message": "x"}, source="/t", dataschema="https://elsewhere/s.json")
        with pytest.raises(SchemaValidationError, match="does not match"):
            registry.validate(event)
