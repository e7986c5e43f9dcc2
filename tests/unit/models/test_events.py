"""The model.decomposed announcement: schema-valid, bounded in size, same id for a redelivery."""

from __future__ import annotations

from hartonomous.config import Settings
from hartonomous.events import SchemaRegistry, new_event, types
from hartonomous.models.events import TENSORS_MAX_BYTES, decomposed_event
from hartonomous.models.plan import IngestResult, TensorSummary


def _result(tensors: int) -> IngestResult:
    items = tuple(
        TensorSummary(f"blk.{i}.ffn_up.weight", f"{i:064x}", f"blk.{i}", i, "ffn", "ffn_up", "Q8_0", (64, 32), 2176)
        for i in range(tensors)
    )
    return IngestResult(7, "tiny", "gguf", "llama", "f" * 64, 9000, 8000, 4000, tensors, 40, 1000, 12, 16, False,
                        "file:///m/tiny.gguf", "base", "fine-tune", items)


class TestDecomposedEvent:
    """Data the graph projector reads, valid against the shared schema."""

    def test_valid_with_lineage(self) -> None:
        """Counts, dedup and tensors; caused by a request, it carries its lineage and request id."""
        cause = new_event(types.JOB_DECOMPOSE_REQUESTED, {"uri": "file:///m/tiny.gguf", "request_id": "r-1"},
                          source="/tests", extensions={"correlationid": "c-1"})
        event = decomposed_event(_result(3), cause)
        SchemaRegistry(Settings().schemas_dir).validate(event)
        data = event.get_data()
        assert (7, "tiny", 3, 0.875, "r-1", "base") == (data["model_id"], data["name"], data["tensor_count"],
                                                         data["dedup_ratio"], data["request_id"], data["parent"])
        assert {"name": "blk.0.ffn_up.weight", "content_hash": "0" * 64, "layer": "blk.0", "layer_index": 0,
                "component": "ffn", "role": "ffn_up", "dtype": "Q8_0", "shape": [64, 32], "bytes": 2176} == data["tensors"][0]
        attrs = event.get_attributes()
        assert (cause.get_id(), "c-1", "tiny") == (attrs["causationid"], attrs["correlationid"], attrs["subject"])
        assert event.get_id() == decomposed_event(_result(3), cause).get_id()

    def test_tensor_list_is_bounded(self) -> None:
        """Thousands of tensors: the list stops under the size cap and says how many are left out."""
        data = decomposed_event(_result(5000)).get_data()
        import json

        assert len(json.dumps(data["tensors"])) <= TENSORS_MAX_BYTES
        assert 5000 == len(data["tensors"]) + data["tensors_omitted"]
