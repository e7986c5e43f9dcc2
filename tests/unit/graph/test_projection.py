from __future__ import annotations

from typing import Any

import pytest

from hartonomous.events import new_event, types
from hartonomous.graph import Origin, Projection, ProjectionError, combine, project
from hartonomous.graph.testing import LifecycleEvents

ORIGIN = Origin("hartonomous.enriched", 2, 41, 1_700_000_000_000)
H1, H2, H3 = LifecycleEvents.H1, LifecycleEvents.H2, LifecycleEvents.H3


def rows(projection: Projection, name: str) -> list[dict[str, Any]]:
    return list(projection.rows.get(name, ()))


class TestEventRow:
    """Every projected event becomes one Event row carrying where it was read and its causes."""

    def test_event_row_and_causes(self) -> None:
        """An enriched change names its CDC event as cause; the position comes from the origin."""
        event = LifecycleEvents().document_change(1)
        assert [{
            "id": "evt-1", "type": types.CHANGE_ENRICHED, "source": "/hartonomous/enricher", "subject": None,
            "time": "2025-03-01T12:00:01+00:00", "topic": "hartonomous.enriched", "partition": 2, "offset": 41,
            "causes": [{"id": "cdc-1", "type": types.CDC_ROW_CHANGED}],
        }] == rows(project(event, ORIGIN), "event")

    def test_causationid_extension_is_a_cause(self) -> None:
        """A causationid extension links the event to the one that caused it."""
        event = new_event(types.EMBEDDING_CREATED, {"document_id": 3, "embedder": "e", "content_hash": H1,
                                                    "dimension": 8}, source="/s", event_id="e1",
                          extensions={"causationid": "job-9"})
        assert [{"id": "job-9", "type": None}] == rows(project(event, ORIGIN), "event")[0]["causes"]

    def test_event_without_time_uses_the_kafka_timestamp(self) -> None:
        """No CloudEvent time: the Kafka timestamp dates the event."""
        event = LifecycleEvents().embedding_created(1)
        event.get_attributes().pop("time")
        assert "2023-11-14T22:13:20+00:00" == rows(project(event, ORIGIN), "event")[0]["time"]

    def test_types_the_graph_does_not_record_project_to_nothing(self) -> None:
        """A ping or a job request on the topic writes nothing."""
        ping = new_event(types.PING, {"message": "hi"}, source="/t")
        assert project(ping, ORIGIN).empty


class TestChangeEnriched:
    """A captured change is an Ingestion that USED its table; documents and inferences get more."""

    def test_document_insert(self) -> None:
        """A documents row: ingestion keyed by the CDC event id, document keyed by its primary key."""
        projection = project(LifecycleEvents().document_change(7), ORIGIN)
        assert ["event", "change_row", "change_document"] == [n for n, _ in projection.statements()]
        assert [{
            "activity_id": "cdc-1",
            "props": {"op": "insert", "entity": "documents", "table": "postgres://db/public.documents",
                      "row_key": '{"id":7}', "lsn": "0/1", "sequence": "1",
                      "commit_time": "2025-03-01T11:59:59+00:00", "content_hash": H1, "category": "science",
                      "source_type": types.CDC_ROW_CHANGED},
            "table_key": "postgres://db/public.documents",
            "table_props": {"system": "postgres", "db": "db", "schema": "public", "name": "documents"},
            "event_id": "evt-1", "service": "/hartonomous/enricher", "time": "2025-03-01T12:00:01+00:00",
        }] == rows(projection, "change_row")
        assert [{
            "activity_id": "cdc-1", "document_id": "7", "deleted": False, "time": "2025-03-01T12:00:01+00:00",
            "props": {"content_hash": H1, "category": "science", "category_confidence": 0.9,
                      "source_uri": "file:///corpus/7.txt", "title": "doc 7",
                      "table": "postgres://db/public.documents", "row_key": '{"id":7}'},
        }] == rows(projection, "change_document")

    def test_document_delete_invalidates(self) -> None:
        """A delete reads the row from 'before' and marks the document deleted."""
        projection = project(LifecycleEvents().document_change(7, op="delete"), ORIGIN)
        (document,) = rows(projection, "change_document")
        assert (True, "7", "file:///corpus/7.txt") == (document["deleted"], document["document_id"],
                                                        document["props"]["source_uri"])

    def test_inference_row(self) -> None:
        """An inference_requests row: arrays read from PostgreSQL's text form, floats from text."""
        projection = project(LifecycleEvents().inference_change(5, documents=(1, 2)), ORIGIN)
        assert ["event", "inference"] == [n for n, _ in projection.statements()]
        (row,) = rows(projection, "inference")
        assert {
            "id": "5",
            "props": {"kind": "search", "duration_ms": 12.5, "inputs": '{"query": "what"}', "requested_by": "alice",
                      "table": "postgres://db/public.inference_requests", "row_key": '{"id":5}'},
            "time": "2025-03-01T11:00:00+00:00", "models": ["minilm"], "documents": ["1", "2"], "user": "alice",
            "table_key": "postgres://db/public.inference_requests",
            "table_props": {"system": "postgres", "db": "db", "schema": "public", "name": "inference_requests"},
            "event_id": "evt-1", "service": "/hartonomous/enricher",
        } == row

    def test_other_tables_are_generic_ingestions(self) -> None:
        """A row of any other table is recorded as an ingestion of that table, nothing more."""
        event = LifecycleEvents().document_change(1)
        data = event.get_data()
        data["change"]["source"]["table"] = "models"
        data["entity"] = "models"
        assert ["event", "change_row"] == [n for n, _ in project(event, ORIGIN).statements()]

    def test_composite_key_is_the_document_id_as_json(self) -> None:
        """A composite primary key identifies the row by its canonical JSON."""
        event = LifecycleEvents().document_change(1)
        event.get_data()["change"]["key"] = {"b": 2, "a": "x"}
        assert '{"a":"x","b":2}' == rows(project(event, ORIGIN), "change_document")[0]["document_id"]

    @pytest.mark.parametrize(("path", "value", "message"), [
        (("change",), None, "data.change must be an object"),
        (("change", "source"), {"system": "postgres"}, r"data.change.source.table is required"),
        (("source_event_id",), "", "data.source_event_id is required"),
        (("change", "key"), {"id": 1.5}, r"data.change.key.id is required"),
        (("change", "after"), "not a row", "data.change.after must be an object"),
    ])
    def test_malformed_required_fields_are_refused(self, path: tuple[str, ...], value: Any, message: str) -> None:
        """A required field missing or malformed raises ProjectionError naming it."""
        event = LifecycleEvents().document_change(1)
        target = event.get_data()
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        with pytest.raises(ProjectionError, match=message):
            project(event, ORIGIN)

    def test_unreadable_optional_fields_are_left_out(self) -> None:
        """Optional values that are absent or of the wrong kind are dropped, not refused."""
        event = LifecycleEvents().document_change(1)
        data = event.get_data()
        del data["category"], data["category_confidence"]
        data["change"]["after"] = {"id": 1, "title": {"nested": True}}
        data["content_hash"] = None
        (document,) = rows(project(event, ORIGIN), "change_document")
        assert {"table": "postgres://db/public.documents", "row_key": '{"id":1}'} == document["props"]


class TestLifecycle:
    """Embeddings, models, students and inferences map to their PROV rows."""

    def test_embedding_created(self) -> None:
        """The job is keyed by embedder, document and content hash; the embedding by the first two."""
        (row,) = rows(project(LifecycleEvents().embedding_created(3, embedding_id=99), ORIGIN), "embedding_created")
        assert {
            "job_id": f"minilm|3|{H1}", "embedding_id": "minilm|3", "document_id": "3", "embedder": "minilm",
            "content_hash": H1, "dimension": 384, "props": {"store_id": "99"}, "event_id": "evt-1",
            "service": "/hartonomous/embedder", "time": "2025-03-01T12:00:01+00:00",
        } == row

    def test_model_decomposed_with_layers_and_tensors(self) -> None:
        """Layers come from the tensors' layer names; a tensor with no layer hangs off the model."""
        projection = project(LifecycleEvents().model_decomposed(), ORIGIN)
        (model,) = rows(projection, "model_decomposed")
        assert (f"minilm|{H2}", None, {"model_id": "1", "format": "safetensors", "file_hash": H2,
                                       "tensor_count": 2, "layer_count": 1, "bytes": 1000,
                                       "source_uri": "file:///models/minilm.safetensors"}) == (
            model["activity_id"], model["parent"], model["model_props"])
        assert [{"model": "minilm", "key": "minilm/encoder.layer.0", "name": "encoder.layer.0", "index": 0}] == rows(
            projection, "model_layers")
        assert [
            ("minilm/encoder.layer.0.attention.self.query.weight", "minilm/encoder.layer.0", H1, [384, 384]),
            ("minilm/embeddings.word_embeddings.weight", None, H3, [30522, 384]),
        ] == [(t["key"], t["layer_key"], t["props"]["content_hash"], t["props"]["shape"])
              for t in rows(projection, "model_tensors")]

    def test_ingestion_request_is_a_cause(self) -> None:
        """The request a decomposition came from (request_id) is a cause of its event."""
        event = LifecycleEvents().model_decomposed(request_id="req-3")
        assert [{"id": "req-3", "type": types.INGEST_REQUESTED}] == rows(project(event, ORIGIN), "event")[0]["causes"]

    def test_fine_tune_derives_from_its_base(self) -> None:
        """A decomposed model naming a parent derives from it (method fine-tune unless given)."""
        (model,) = rows(project(LifecycleEvents().model_decomposed("ft", parent="base"), ORIGIN), "model_decomposed")
        assert ("base", "fine-tune") == (model["parent"], model["method"])

    def test_model_without_tensor_list(self) -> None:
        """Without a tensor list only the model and its decomposition are written."""
        event = LifecycleEvents().model_decomposed()
        del event.get_data()["tensors"]
        assert ["event", "model_decomposed"] == [n for n, _ in project(event, ORIGIN).statements()]

    def test_model_extracted(self) -> None:
        """A student derives from its parent with the extraction's method; selection kept as JSON."""
        (row,) = rows(project(LifecycleEvents().model_extracted(), ORIGIN), "model_extracted")
        assert ("student", "minilm", "layers", "minilm|student|2", '{"layers":[0]}') == (
            row["name"], row["parent"], row["method"], row["activity_id"], row["activity_props"]["selection"])

    def test_inference_logged(self) -> None:
        """inference.logged maps to the same Inference row shape as the CDC'd request."""
        (row,) = rows(project(LifecycleEvents().inference_logged(4, documents=(1, 2)), ORIGIN), "inference")
        assert ("4", ["minilm"], ["1", "2"], "bob", None) == (
            row["id"], row["models"], row["documents"], row["user"], row["table_key"])

    @pytest.mark.parametrize(("build", "field", "value", "message"), [
        ("embedding_created", "dimension", 0, "data.dimension is required"),
        ("embedding_created", "document_id", True, "data.document_id is required"),
        ("model_decomposed", "file_hash", None, "data.file_hash is required"),
        ("model_decomposed", "tensors", [{"name": "w"}], r"data.tensors\[0\].content_hash is required"),
        ("model_decomposed", "tensors", {"w": 1}, "data.tensors must be a list"),
        ("model_extracted", "parent", "student", "cannot derive from itself"),
        ("inference_logged", "models", [{"name": "m"}], "data.models holds"),
    ])
    def test_malformed_payloads_are_refused(self, build: str, field: str, value: Any, message: str) -> None:
        """Each required field is checked even when schema validation is off."""
        factory = LifecycleEvents()
        event = getattr(factory, build)(1) if build in {"embedding_created", "inference_logged"} else getattr(
            factory, build)()
        event.get_data()[field] = value
        with pytest.raises(ProjectionError, match=message):
            project(event, ORIGIN)


class TestCombine:
    """A batch's rows are concatenated per statement, in event order, run in STATEMENT_ORDER."""

    def test_combine_keeps_order(self) -> None:
        """Two document changes give one change_row statement with both rows, the first first."""
        factory = LifecycleEvents()
        batch = combine(project(e, ORIGIN) for e in [factory.document_change(1), factory.embedding_created(1),
                                                       factory.document_change(2)])
        names = [n for n, _ in batch.statements()]
        assert ["event", "change_row", "change_document", "embedding_created"] == names
        assert ["1", "2"] == [r["document_id"] for r in rows(batch, "change_document")]


class TestIngestionRequests:
    """The enricher's summary of an ingestion request reads as a change of a file source."""

    def test_file_source_is_keyed_by_its_uri(self) -> None:
        """System 'file': the source is keyed by the URI itself; the request is the activity."""
        change = {"op": "ingest", "source": {"system": "file", "db": "", "schema": "", "table": "file:///corpus/"},
                  "key": {"uri": "file:///corpus/"}, "before": None, "after": {"kind": "document", "chunks": 3}}
        data = {"source_event_id": "req-1", "source_type": types.INGEST_REQUESTED, "operation": "ingest",
                "entity": "ingestion", "change": change, "request": {}, "result": {}}
        event = new_event(types.CHANGE_ENRICHED, data, source="/hartonomous/enricher", event_id="e1")
        (row,) = rows(project(event, ORIGIN), "change_row")
        assert ("req-1", "file:///corpus/", {"system": "file", "name": "file:///corpus/"}, "ingest") == (
            row["activity_id"], row["table_key"], row["table_props"], row["props"]["op"])

    def test_document_written_by_a_request_names_it_as_cause(self) -> None:
        """A documents row whose metadata names its ingest event links the event to that request."""
        event = LifecycleEvents().document_change(1)
        event.get_data()["change"]["after"]["metadata"] = '{"ingest_event": "req-9", "file": "a.txt"}'
        causes = rows(project(event, ORIGIN), "event")[0]["causes"]
        assert [{"id": "cdc-1", "type": types.CDC_ROW_CHANGED}, {"id": "req-9", "type": types.INGEST_REQUESTED}] == causes
