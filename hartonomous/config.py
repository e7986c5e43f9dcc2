"""One frozen settings object, read from ``HARTONOMOUS_*`` environment variables.

Every service receives a :class:`Settings` instance and passes it down; nothing reads the
environment anywhere else.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from hartonomous.exceptions import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "HARTONOMOUS_"


@dataclass(frozen=True)
class Topics:
    """Kafka topic names used by the pipeline."""

    cdc: str = "hartonomous.cdc"
    commands: str = "hartonomous.commands"
    enriched: str = "hartonomous.enriched"
    jobs_embed: str = "hartonomous.jobs.embed"
    jobs_decompose: str = "hartonomous.jobs.decompose"
    dlq: str = "hartonomous.dlq"

    def all(self) -> tuple[str, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with :meth:`from_env`; override with :meth:`replace`."""

    # local state: data, logs, pid files of the servers `stack up` starts
    state_dir: Path = Path(".hartonomous")
    project_root: Path = PROJECT_ROOT

    # Kafka (local broker, or Azure Event Hubs' Kafka endpoint with profile="eventhubs")
    kafka_profile: str = "local"
    kafka_bootstrap: str = ""  # empty: the local broker, 127.0.0.1:<kafka_port>
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    kafka_heap: str = "768m"
    kafka_partitions: int = 3
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "PLAIN"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    eventhubs_connection_string: str = ""

    # Neo4j (Bolt)
    neo4j_bolt_port: int = 17687
    neo4j_uri: str = ""
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "256m"

    # PostgreSQL: empty pg_url means "the embedded server under state_dir" (TCP on pg_port)
    pg_url: str = ""
    pg_port: int = 15432

    # consumer runtime
    consumer_batch_size: int = 500
    consumer_linger_ms: int = 50
    consumer_max_retries: int = 5
    consumer_retry_backoff_ms: int = 200
    validate_events: bool = True

    # change capture (producers/postgres_cdc, producers/mssql_cdc); lists are comma-separated
    cdc_pg_tables: str = "public.documents,public.models,public.inference_requests"
    cdc_pg_slot: str = "hartonomous_cdc"
    cdc_pg_publication: str = "hartonomous_cdc"
    cdc_pg_replica_identity_full: bool = True
    cdc_heartbeat_s: float = 10.0
    cdc_mssql_odbc: str = ""
    cdc_mssql_capture_instances: str = ""
    cdc_mssql_poll_s: float = 1.0
    cdc_mssql_on_gap: str = "fail"

    # readiness polling of the local servers
    startup_timeout_s: float = 180.0

    # ingestion (empty allowed_roots: the current working directory)
    allowed_roots: tuple[Path, ...] = ()
    chunk_size: int = 800
    chunk_overlap: int = 100

    # enrichment: "table=entity,..." merged over the defaults; "label: description; ..." replaces them
    enrich_entity_map: str = ""
    enrich_ignore_tables: str = "embeddings,embedders,jobs,schema_migrations"
    enrich_category_labels: str = ""
    enrich_classify: bool = True

    # embeddings: the encoder, its batches, and the 3-D projection
    embedder_name: str = "all-MiniLM-L6-v2"
    embed_batch_size: int = 64
    embed_linger_ms: int = 20
    embed_job_lease_s: float = 1800.0
    projection_min_points: int = 100
    projection_max_fit_points: int = 20000

    # models as rows: chunking of tensor bytes (rows|fixed|tensor|cdc, chunk size in bytes), and
    # the weight rows kept per 2-D tensor (more rows are sampled, wider tensors skipped; 0 = none)
    model_chunking: str = "rows"
    model_chunk_bytes: int = 65536
    model_weight_rows_max_rows: int = 8192
    model_weight_rows_max_dim: int = 2000

    # query side (search, embed, generate, extract): who the audit log names (empty: the OS
    # user), whether each call is also announced on the enriched topic (CDC carries the row
    # either way), and the default HNSW ef_search / hybrid candidate count
    query_user: str = ""
    query_publish_events: bool = True
    query_publish_timeout_s: float = 5.0
    search_ef_search: int = 40
    search_candidates: int = 1000

    topics: Topics = field(default_factory=Topics)

    def __post_init__(self) -> None:
        if not self.kafka_bootstrap:
            object.__setattr__(self, "kafka_bootstrap", f"127.0.0.1:{self.kafka_port}")

    @property
    def state_path(self) -> Path:
        """The state directory, absolute."""
        return self.state_dir if self.state_dir.is_absolute() else Path.cwd() / self.state_dir

    @property
    def schemas_dir(self) -> Path:
        return self.project_root / "schemas"

    @property
    def bolt_uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.neo4j_bolt_port}"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (the object itself stays frozen)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``HARTONOMOUS_<FIELD>`` for every field; unknown variables are ignored."""
        env = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or f.name == "topics":
                continue
            values[f.name] = _parse(f.name, hints[f.name], raw)
        topic_overrides = {
            f.name: env[ENV_PREFIX + "TOPIC_" + f.name.upper()]
            for f in fields(Topics)
            if ENV_PREFIX + "TOPIC_" + f.name.upper() in env
        }
        if topic_overrides:
            values["topics"] = Topics(**topic_overrides)
        return cls(**values)


def _parse(name: str, hint: Any, raw: str) -> Any:
    try:
        if hint is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"not a boolean: {raw!r}")
        if hint is int:
            return int(raw)
        if hint is float:
            return float(raw)
        if hint is Path:
            return Path(raw).expanduser()
        if hint == tuple[Path, ...]:
            return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p)
        return raw
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: {exc}") from exc
