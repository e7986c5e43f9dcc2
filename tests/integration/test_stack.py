"""The local servers answer real questions: Cypher over Bolt, pgvector SQL, Kafka metadata."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from click.testing import CliRunner
from neo4j import GraphDatabase

from hartonomous.cli.main import cli
from hartonomous.config import Settings
from hartonomous.stack import kafka, neo4j, up

pytestmark = pytest.mark.integration


class TestNeo4j:
    """Neo4j answers over Bolt with the official driver."""

    def test_cypher_round_trip(self, stack_settings: Settings) -> None:
        """A node written over Bolt is read back with its properties."""
        key = f"stack-test-{uuid.uuid4()}"
        auth = neo4j.driver_auth(stack_settings)
        with GraphDatabase.driver(stack_settings.bolt_uri, auth=auth) as driver:
            driver.execute_query("CREATE (:StackProbe {key: $key, n: 42})", key=key)
            try:
                records, _, _ = driver.execute_query(
                    "MATCH (p:StackProbe {key: $key}) RETURN p.n AS n", key=key
                )
                assert [42] == [r["n"] for r in records]
            finally:
                driver.execute_query("MATCH (p:StackProbe {key: $key}) DELETE p", key=key)


class TestPostgres:
    """PostgreSQL has pgvector and logical decoding."""

    def test_pgvector_nearest_neighbour(self, stack_settings: Settings) -> None:
        """Ordering by cosine distance (<=>) returns the nearest vector first."""
        table = f"stack_probe_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(stack_settings.pg_url, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {table} (name text PRIMARY KEY, v vector(3))")
            try:
                conn.execute(
                    f"INSERT INTO {table} VALUES ('x', '[1,0,0]'), ('y', '[0,1,0]'), "
                    "('z', '[0,0,1]'), ('xy', '[1,1,0]')"
                )
                rows = conn.execute(
                    f"SELECT name FROM {table} ORDER BY v <=> %s::vector LIMIT 2", ("[0.9,0.2,0]",)
                ).fetchall()
                assert ["x", "xy"] == [r[0] for r in rows]
            finally:
                conn.execute(f"DROP TABLE {table}")

    def test_wal_level_is_logical(self, stack_settings: Settings) -> None:
        """The CDC producer's precondition holds: wal_level=logical."""
        with psycopg.connect(stack_settings.pg_url) as conn:
            row = conn.execute("SHOW wal_level").fetchone()
        assert ("logical",) == row

    def test_replication_connection(self, stack_settings: Settings) -> None:
        """A replication connection (as the CDC producer opens) is accepted."""
        with psycopg.connect(stack_settings.pg_url, replication="database", autocommit=True) as c:
            row = c.execute("IDENTIFY_SYSTEM").fetchone()
        assert row is not None


class TestKafka:
    """The broker answers a real Metadata request."""

    def test_metadata(self, stack_settings: Settings) -> None:
        """Listing topics through aiokafka's admin client succeeds."""
        kafka.probe(f"{kafka.HOST}:{stack_settings.kafka_port}")


class TestCommands:
    """`stack up` is idempotent and `stack status` sees three healthy servers."""

    def test_up_twice_is_harmless(self, stack_settings: Settings) -> None:
        """A second `up` starts nothing new."""
        states = {r.name: r.state for r in up(stack_settings)}
        assert {"kafka", "neo4j", "postgres"} == set(states)
        assert "started" not in states.values()

    def test_status_reports_all_healthy(self, stack_settings: Settings) -> None:
        """`hartonomous stack status` exits 0 and lists each service as healthy."""
        result = CliRunner().invoke(cli, ["stack", "status"])
        assert 0 == result.exit_code, result.output
        rows = {line.split()[0]: line.split()[1] for line in result.output.splitlines()[1:]}
        assert {"kafka": "healthy", "neo4j": "healthy", "postgres": "healthy"} == rows
