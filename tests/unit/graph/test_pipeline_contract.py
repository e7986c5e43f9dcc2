"""The projector reads the events the pipeline's own producers build (a contract test: built
with the enricher's and the embedder's functions, not by hand)."""

from __future__ import annotations

import hashlib
import json

from hartonomous.cdc.model import RowChange, SourceInfo
from hartonomous.config import Settings
from hartonomous.embedding.embed_jobs import EmbedJob, created_event
from hartonomous.embedding.store import DocumentToEmbed, EmbedderRow
from hartonomous.enrichment.events import embed_job_event, enriched_event
from hartonomous.events import SchemaRegistry, types
from hartonomous.graph import Origin, project

H = hashlib.sha256(b"text").hexdigest()
ORIGIN = Origin("hartonomous.enriched", 0, 3)


class TestPipelineEvents:
    """A document's change enriched by the enricher, then embedded by the embedder, projects into
    one chain: the embedding's document is the row's document, linked to the row's CDC event."""

    def test_enriched_change_and_embedding_meet_on_the_document(self) -> None:
        """Keys agree across producers: document id, embedding id, causes."""
        row = {"id": 7, "source_uri": "file:///c/a.txt", "title": "a", "content": "text", "content_hash": H,
               "category": None, "metadata": json.dumps({"ingest_event": "req-1"})}
        change = RowChange("insert", SourceInfo("postgres", "hartonomous", "public", "documents", "0/1A", 1, None),
                           key={"id": 7}, after=row)
        cdc = change.to_event(source_uri="/hartonomous/cdc/postgres")
        enriched = enriched_event(cdc, operation="insert", entity="document", key=change.kafka_key,
                                  change=change.to_data(), content_hash=H,
                                  extra={"text_changed": True, "embed_requested": True, "document_id": 7})
        job = embed_job_event(cdc, document_id=7, content_hash=H, embedder="all-MiniLM-L6-v2")
        created = created_event(EmbedJob(7, H, job), DocumentToEmbed(7, "text", H, None, "file:///c/a.txt", 0, None),
                                EmbedderRow(1, "all-MiniLM-L6-v2", 384, 0), projection_version=0)
        registry = SchemaRegistry(Settings().schemas_dir)
        registry.validate(enriched)
        registry.validate(created)

        document = project(enriched, ORIGIN).rows["change_document"][0]
        embedding = project(created, ORIGIN).rows["embedding_created"][0]
        causes = project(enriched, ORIGIN).rows["event"][0]["causes"]
        assert ("7", "7") == (document["document_id"], embedding["document_id"])
        assert created.get_data()["embedding_id"] == embedding["embedding_id"]
        assert [cdc.get_id(), "req-1"] == [c["id"] for c in causes]
        assert [{"id": job.get_id(), "type": None}] == project(created, ORIGIN).rows["event"][0]["causes"]
        assert types.CDC_ROW_CHANGED == causes[0]["type"]
