from __future__ import annotations

from typing import Any

import pytest

from hartonomous.cdc import RowChange, SourceInfo
from hartonomous.config import Settings
from hartonomous.embedding import Category
from hartonomous.enrichment import EnrichmentRules, enriched_event, facts_of
from hartonomous.events import SchemaRegistry
from hartonomous.ingest import content_hash

RULES = EnrichmentRules.from_settings(Settings())


def change(op: str, table: str = "documents", before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, schema: str = "public") -> RowChange:
    return RowChange(op, SourceInfo("postgres", "db", schema, table), {"id": 7}, before, after)  # type: ignore[arg-type]


ROW = {"id": 7, "content": "hello", "category": None, "title": "t"}


class TestFactsOf:
    """Operation, entity, text hash and whether the text changed, from one change."""

    def test_insert(self) -> None:
        """An inserted document has changed text, its hash and id."""
        facts = facts_of(change("insert", after=ROW), RULES)
        assert facts is not None
        assert ("insert", "document", content_hash("hello"), True, 7, True) == (
            facts.operation, facts.entity, facts.content_hash, facts.text_changed, facts.document_id, facts.embeddable)

    def test_update_of_other_columns(self) -> None:
        """Same text before and after: not changed, not embeddable."""
        facts = facts_of(change("update", before=ROW, after={**ROW, "category": "x"}), RULES)
        assert facts is not None
        assert (False, False, "x") == (facts.text_changed, facts.embeddable, facts.given_category)

    def test_update_of_text(self) -> None:
        """Different text: changed, embeddable, hash of the new text."""
        facts = facts_of(change("update", before=ROW, after={**ROW, "content": "bye"}), RULES)
        assert facts is not None
        assert (True, True, content_hash("bye")) == (facts.text_changed, facts.embeddable, facts.content_hash)

    def test_update_without_before_image(self) -> None:
        """No before image: unknown, left to the store to decide (still a candidate)."""
        facts = facts_of(change("update", after=ROW), RULES)
        assert facts is not None
        assert (None, True) == (facts.text_changed, facts.embeddable)

    def test_delete(self) -> None:
        """A delete is never embedded."""
        facts = facts_of(change("delete", before=ROW), RULES)
        assert facts is not None
        assert (False, False) == (facts.text_changed, facts.embeddable)

    @pytest.mark.parametrize("table", ["embeddings", "embedders", "jobs"])
    def test_pipeline_tables_are_ignored(self, table: str) -> None:
        """The pipeline's own outputs produce nothing (no loop)."""
        assert facts_of(change("insert", table=table, after={"id": 1}), RULES) is None

    def test_other_tables_pass_through(self) -> None:
        """A table without text gets its entity and no hash; an unmapped table is its own entity."""
        model = facts_of(change("insert", table="models", after={"id": 1}), RULES)
        other = facts_of(change("insert", table="orders", after={"id": 1}), RULES)
        assert ("model", None, False) == (model.entity, model.content_hash, model.embeddable)  # type: ignore[union-attr]
        assert "orders" == other.entity  # type: ignore[union-attr]


class TestRules:
    """The entity map and ignored tables come from settings, merged over the defaults."""

    def test_overrides(self) -> None:
        """table=entity and schema.table=entity items override; ignore list is taken as given."""
        rules = EnrichmentRules.from_settings(Settings(enrich_entity_map="orders=order, sales.items=item",
                                                       enrich_ignore_tables="audit_log"))
        assert ("order", "item", "items", "document") == (
            rules.entity_of("public", "orders"), rules.entity_of("sales", "items"), rules.entity_of("public", "items"),
            rules.entity_of("public", "documents"))
        assert (True, False) == (rules.is_ignored("public", "audit_log"), rules.is_ignored("public", "embeddings"))

    def test_bad_map(self) -> None:
        """An item without '=' is refused."""
        with pytest.raises(ValueError):
            EnrichmentRules.from_settings(Settings(enrich_entity_map="orders"))


class TestEnrichedEvent:
    """The enriched event validates, carries the extensions and a deterministic id."""

    def test_shape(self) -> None:
        """Extensions operation/entity/category/contenthash; causation is the source event."""
        source = change("insert", after=ROW).to_event(source_uri="/tests")
        digest = content_hash("hello")
        event = enriched_event(source, operation="insert", entity="document", key="k", change={"op": "insert"},
                               category=Category("science", 0.8), content_hash=digest)
        SchemaRegistry(Settings().schemas_dir).validate(event)
        assert ("insert", "document", "science", digest, source.get_id()) == tuple(
            event.get_extension(n) for n in ("operation", "entity", "category", "contenthash", "causationid"))
        assert event.get_id() == enriched_event(source, operation="insert", entity="document", key="k",
                                                change={}).get_id()
