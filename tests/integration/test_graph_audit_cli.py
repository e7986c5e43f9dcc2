"""``hartonomous audit`` against the real Neo4j (and PostgreSQL for reconcile)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from hartonomous.cli.main import cli
from hartonomous.config import Settings
from hartonomous.graph.testing import LifecycleEvents
from tests.integration.graph_support import (
    delete_prefixed,
    graph_settings,
    lifecycle_stream,
    projector_running,
    publish,
    wait_projected,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def projected(stack_settings: Settings) -> Iterator[LifecycleEvents]:
    """A lifecycle stream projected into the shared graph under a prefix of its own."""
    p = f"a{uuid.uuid4().hex[:8]}-"
    settings = graph_settings(stack_settings, p)
    f = LifecycleEvents(p)

    async def scenario() -> None:
        last = await publish(settings, lifecycle_stream(f))
        async with projector_running(settings, group=f"{p}g", projector=f"{p}graph"):
            await wait_projected(settings, f"{p}graph", last)

    asyncio.run(scenario())
    yield f
    asyncio.run(delete_prefixed(stack_settings, p))


def audit(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", *args])
    return result.exit_code, result.output


class TestAuditCommand:
    """Each audit question prints a readable answer, or JSON with --json."""

    def test_lineage_text_reaches_the_source_row(self, projected: LifecycleEvents) -> None:
        """The tree of an embedding goes down to the documents table and the row's hash."""
        f = projected
        code, text = audit("lineage", f"{f.name('minilm')}|{f.doc(1)}", "--kind", "embedding")
        assert 0 == code, text
        assert text.startswith(f"Embedding {f.name('minilm')}|{f.doc(1)}")
        assert f"-[USED]-> Table postgres://{f.name('db')}/public.documents" in text
        assert f"hash={f.H1}" in text

    def test_lineage_json_and_unknown_id(self, projected: LifecycleEvents) -> None:
        """--json gives the edges; an id the graph does not hold exits 1."""
        f = projected
        code, text = audit("lineage", f.name("student"), "--json")
        edges = {(r["from_key"], r["rel"], r["method"], r["to_key"]) for r in json.loads(text)}
        assert 0 == code
        assert (f.name("student"), "WAS_DERIVED_FROM", "layers", f.name("minilm")) in edges
        assert 1 == audit("lineage", f.name("nothing"))[0]

    def test_used_by_shared_tensors_window(self, projected: LifecycleEvents) -> None:
        """used-by lists the inferences with their documents; shared-tensors and window answer."""
        f = projected
        code, text = audit("used-by", f.name("minilm"), "--json")
        used = json.loads(text)
        assert (0, {"inferences": 2, "embedding_jobs": 2, "derived_models": 1}) == (code, used["counts"])
        code, text = audit("used-by", f.name("minilm"))
        assert 0 == code and f"model {f.name('minilm')} (inferences: 2" in text
        code, text = audit("shared-tensors", f.name("student"), "--json")
        assert (0, []) == (code, json.loads(text))  # the student in this stream lists no tensors
        start = f.start.isoformat()
        code, text = audit("window", start, (f.start.replace(year=f.start.year + 1)).isoformat(), "--json")
        events = [r["event"] for r in json.loads(text) if r["event"].startswith(f.prefix)]
        assert (0, [f.name(f"evt-{i}") for i in range(1, 9)]) == (code, events)

    def test_reconcile_exit_code_follows_agreement(self, projected: LifecycleEvents) -> None:
        """reconcile exits 0 when PostgreSQL and the graph agree, 1 when they do not."""
        code, text = audit("reconcile", "--json")
        report = json.loads(text)
        assert ["document", "embedding", "model", "inference"] == [r["entity"] for r in report["rows"]]
        assert (0 if report["agree"] else 1) == code
