"""docker-compose.yml: the same stack with official images (it cannot run here, so its
structure is checked against the images' documented settings)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from hartonomous.config import PROJECT_ROOT, Settings


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    return data


def _host_port(service: dict[str, Any], container_port: int) -> int:
    for mapping in service["ports"]:
        host_ip, host_port, port = str(mapping).split(":")
        if int(port) == container_port:
            assert "127.0.0.1" == host_ip
            return int(host_port)
    raise AssertionError(f"container port {container_port} not published")


class TestServices:
    """Official images for the three servers, plus SQL Server behind a profile."""

    def test_images(self, compose: dict[str, Any]) -> None:
        """apache/kafka 4.x, neo4j 5.26 community, pgvector, SQL Server 2025."""
        images = {name: svc["image"] for name, svc in compose["services"].items()}
        assert images["kafka"].startswith("apache/kafka:4.")
        assert "neo4j:5.26-community" == images["neo4j"]
        assert images["postgres"] in {"pgvector/pgvector:pg17", "pgvector/pgvector:pg18"}
        assert "mcr.microsoft.com/mssql/server:2025-latest" == images["sqlserver"]

    def test_only_sqlserver_is_optional(self, compose: dict[str, Any]) -> None:
        """Plain `docker compose up` starts kafka, neo4j, postgres; sqlserver needs its profile."""
        profiles = {name: svc.get("profiles", []) for name, svc in compose["services"].items()}
        assert {"kafka": [], "neo4j": [], "postgres": [], "sqlserver": ["sqlserver"]} == profiles

    def test_host_ports_match_default_settings(self, compose: dict[str, Any]) -> None:
        """The default settings reach the containers unchanged, on loopback only."""
        services, settings = compose["services"], Settings()
        assert settings.kafka_port == _host_port(services["kafka"], settings.kafka_port)
        assert settings.neo4j_bolt_port == _host_port(services["neo4j"], 7687)
        assert settings.pg_port == _host_port(services["postgres"], 5432)


class TestKafka:
    """A single KRaft node with replication factor 1, advertised to the host."""

    def test_kraft_single_node(self, compose: dict[str, Any]) -> None:
        """Broker+controller roles, one voter, a cluster id, the host listener advertised."""
        env = compose["services"]["kafka"]["environment"]
        assert "broker,controller" == env["KAFKA_PROCESS_ROLES"]
        assert str(env["KAFKA_CONTROLLER_QUORUM_VOTERS"]).startswith(f"{env['KAFKA_NODE_ID']}@")
        assert 22 == len(env["CLUSTER_ID"])
        assert "PLAINTEXT_HOST://127.0.0.1:19092" in env["KAFKA_ADVERTISED_LISTENERS"]
        assert "CONTROLLER" == env["KAFKA_CONTROLLER_LISTENER_NAMES"]

    def test_replication_factors_are_one(self, compose: dict[str, Any]) -> None:
        """Internal topics can be created on one broker; consumer groups start at once."""
        env = compose["services"]["kafka"]["environment"]
        keys = [
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
            "KAFKA_DEFAULT_REPLICATION_FACTOR",
        ]
        assert [1] * len(keys) == [env[k] for k in keys]
        assert 0 == env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"]


class TestNeo4j:
    """Neo4j without auth, memory as the local stack."""

    def test_auth_and_memory(self, compose: dict[str, Any]) -> None:
        """NEO4J_AUTH=none; heap and page cache through the image's env naming."""
        env = compose["services"]["neo4j"]["environment"]
        assert "none" == env["NEO4J_AUTH"]
        assert "1G" == env["NEO4J_server_memory_heap_max__size"]
        assert "256M" == env["NEO4J_server_memory_pagecache_size"]


class TestPostgres:
    """PostgreSQL with logical decoding and the vector extension."""

    def test_logical_decoding(self, compose: dict[str, Any]) -> None:
        """The server command sets wal_level=logical."""
        command = compose["services"]["postgres"]["command"]
        assert "postgres" == command[0]
        settings = {command[i + 1] for i, arg in enumerate(command) if arg == "-c"}
        assert "wal_level=logical" in settings

    def test_database_and_extension(self, compose: dict[str, Any]) -> None:
        """Database hartonomous; an init script creates the vector extension."""
        svc = compose["services"]["postgres"]
        assert "hartonomous" == svc["environment"]["POSTGRES_DB"]
        init = [v for v in svc["volumes"] if "docker-entrypoint-initdb.d" in v]
        source = PROJECT_ROOT / init[0].split(":")[0]
        assert "CREATE EXTENSION IF NOT EXISTS vector" in source.read_text()

    def test_pg18_volume_layout(self, compose: dict[str, Any]) -> None:
        """PostgreSQL 18 images keep data under /var/lib/postgresql (not .../data)."""
        svc = compose["services"]["postgres"]
        if svc["image"].endswith("pg18"):
            assert "postgres-data:/var/lib/postgresql" in svc["volumes"]


class TestSqlServer:
    """SQL Server 2025 takes its SA password from the environment."""

    def test_env(self, compose: dict[str, Any]) -> None:
        """EULA accepted; password interpolated, never written in the file; Agent on for CDC."""
        env = compose["services"]["sqlserver"]["environment"]
        assert "Y" == env["ACCEPT_EULA"]
        assert env["MSSQL_SA_PASSWORD"].startswith("${MSSQL_SA_PASSWORD")
        assert "true" == env["MSSQL_AGENT_ENABLED"]

    def test_no_required_variables(self) -> None:
        """No `${VAR:?}`: compose interpolates inactive profiles too, breaking a plain `up`."""
        text = (PROJECT_ROOT / "docker-compose.yml").read_text()
        assert [] == re.findall(r"\$\{\w+:?\?", text)
