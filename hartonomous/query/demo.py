"""The query side of ``hartonomous demo``: a search, a generation from stored weights, an extracted
student, and the audit row of each (what the graph receives as ``(:Inference)``)."""

from __future__ import annotations

from collections.abc import Callable

from hartonomous.config import Settings
from hartonomous.query.db import open_connection
from hartonomous.query.exceptions import ExtractionError
from hartonomous.store import queries

STUDENT = "all-MiniLM-L6-v2-layers-0-2"
DECODER = "demo-tiny-llama"


def _stored_decoder(settings: Settings) -> str:
    """A tiny Llama trained here for a few steps, stored as rows once (the same file is not stored twice)."""
    from hartonomous.models import ingest_model, resolve_source
    from hartonomous.query.testing import build_tiny_decoder
    from hartonomous.store import connect

    folder = settings.state_path / "demo" / DECODER
    if not (folder / "model.safetensors").is_file():
        build_tiny_decoder("llama", folder)
    with connect(settings) as conn:
        ingest_model(conn, queries(settings), resolve_source(folder, (folder.resolve(),)), name=DECODER)
    return DECODER


def run_query_side(settings: Settings, text: str, echo: Callable[[str], None] = print) -> list[int]:
    """Search, generate and extract, printing each result and its audit row; the row ids."""
    from hartonomous.models import ensure_embedder_model
    from hartonomous.query.extract import extract_student
    from hartonomous.query.inference import generate
    from hartonomous.query.search import search

    ensure_embedder_model(settings)  # the encoder itself as rows, so queries are encoded from the database
    found = search(settings, text, mode="ann", k=3)
    echo(f"== search {text!r} ({found.mode}, {found.embedders[0]} read from its rows): "
         + "; ".join(f"doc {h.document_id} {h.score:.3f}" for h in found.hits))
    decoder = _stored_decoder(settings)
    made = generate(settings, decoder, "A student model", max_tokens=16)
    echo(f"== generate from stored weights ({decoder}, greedy): 'A student model{made.text}'")
    ids = [i for i in (found.request_id, made.request_id) if i is not None]
    try:
        student = extract_student(settings, settings.embedder_name, STUDENT, layers=[0, 1, 2])
        echo(f"== extracted {STUDENT}: {student.parameters:,} of {student.parent_parameters:,} parameters, "
             f"{student.shared_tensors}/{student.tensors} tensors shared with the parent")
        ids += [student.request_id] if student.request_id is not None else []
    except ExtractionError as exc:
        echo(f"== student {STUDENT} not extracted again: {exc}")
    with open_connection(settings) as conn:
        for row in conn.execute(queries(settings)["query_inference_rows"], {"ids": ids}).fetchall():
            echo(f"   audit: inference_requests {row[0]} kind={row[1]} models={row[2]} result_ids={row[3][:3]} "
                 f"{row[4]:.0f} ms")
    return ids
