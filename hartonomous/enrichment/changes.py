"""Enriching a batch of row changes (``hartonomous.cdc``) into enriched events and embed jobs.

For each change: the facts (:mod:`.semantics`); the category (the row's own ``category`` with
confidence 1.0, else the nearest centroid of its text's embedding); then one
``change.enriched`` event. Embed jobs are planned for the whole batch at once by the rule of
:mod:`.jobs`, so an update that left the text alone (same content hash, already embedded)
requests nothing, whether or not the change carries a before image.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from psycopg import AsyncConnection

from hartonomous.bus import Delivery, Failure, Outgoing
from hartonomous.cdc import ChangeReader, Normalized, RowChange
from hartonomous.config import Settings
from hartonomous.embedding.categories import Category
from hartonomous.enrichment.events import embed_job_event, enriched_event
from hartonomous.enrichment.jobs import plan_embeds
from hartonomous.enrichment.semantics import ChangeFacts, EnrichmentRules, facts_of
from hartonomous.events import Event
from hartonomous.store import Queries

Classify = Callable[[Sequence[str]], Awaitable[list[Category]]]


@dataclass
class EnrichedBatch:
    """What a batch of changes produced."""

    outgoing: list[Outgoing] = field(default_factory=list)
    jobs: list[Event] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    ignored: int = 0


@dataclass(frozen=True)
class _Item:
    delivery: Delivery
    change: RowChange
    facts: ChangeFacts


def read_changes(
    reader: ChangeReader, rules: EnrichmentRules, deliveries: Sequence[Delivery], out: EnrichedBatch
) -> list[_Item]:
    """Normalise the deliveries; rejected ones become failures, ignored tables are counted."""
    items: list[_Item] = []
    for delivery in deliveries:
        for outcome in reader.feed(delivery.event, raw=delivery):
            if not isinstance(outcome, Normalized):
                out.failures.extend(Failure(r, outcome.error) for r in outcome.raws if isinstance(r, Delivery))
                continue
            facts = facts_of(outcome.change, rules)
            if facts is None:
                out.ignored += 1
                continue
            items.append(_Item(delivery, outcome.change, facts))
    return items


async def enrich_changes(
    settings: Settings,
    conn: AsyncConnection,
    sql: Queries,
    reader: ChangeReader,
    rules: EnrichmentRules,
    deliveries: Sequence[Delivery],
    classify: Classify | None,
) -> EnrichedBatch:
    """Enriched events (to ``enriched``) and embed jobs (to ``jobs.embed``) for a batch."""
    out = EnrichedBatch()
    items = read_changes(reader, rules, deliveries, out)
    categories = await _categories(items, classify)
    embeddable = [i for i in items if i.facts.embeddable]
    plan = await plan_embeds(conn, sql, [i.facts.content_hash for i in embeddable if i.facts.content_hash],
                             embedder=settings.embedder_name, lease_s=settings.embed_job_lease_s)
    planned: set[tuple[int, str]] = set()
    for item in items:
        facts = item.facts
        job: Event | None = None
        key_pair = (facts.document_id or -1, facts.content_hash or "")
        if facts.embeddable and plan.get(key_pair[1]) == facts.document_id and key_pair not in planned:
            planned.add(key_pair)
            job = embed_job_event(item.delivery.event, document_id=key_pair[0],
                                  content_hash=key_pair[1], embedder=settings.embedder_name)
            out.jobs.append(job)
            out.outgoing.append(Outgoing(settings.topics.jobs_embed, job, job.get_extension("partitionkey")))
        enriched = enriched_event(
            item.delivery.event,
            operation=facts.operation,
            entity=facts.entity,
            key=item.change.kafka_key,
            change=item.change.to_data(),
            category=categories.get(id(item)),
            content_hash=facts.content_hash,
            extra={"text_changed": facts.text_changed, "embed_requested": job is not None,
                   "document_id": facts.document_id},
        )
        out.outgoing.append(Outgoing(settings.topics.enriched, enriched, item.change.kafka_key))
    return out


async def _categories(items: Sequence[_Item], classify: Classify | None) -> dict[int, Category]:
    found: dict[int, Category] = {}
    to_classify: list[_Item] = []
    for item in items:
        if item.facts.given_category:
            found[id(item)] = Category(item.facts.given_category, 1.0)
        elif item.facts.text and item.facts.operation != "delete":
            to_classify.append(item)
    if classify is not None and to_classify:
        for item, category in zip(to_classify, await classify([i.facts.text or "" for i in to_classify])):
            found[id(item)] = category
    return found
