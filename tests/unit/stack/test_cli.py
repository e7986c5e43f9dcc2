"""The `stack` command's pure parts: service selection and the status table."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hartonomous.cli.main import cli
from hartonomous.cli.stack import render_table
from hartonomous.stack import SERVICE_NAMES, StackError, services
from hartonomous.stack.service import ServiceStatus


class TestServices:
    """Services are selected by name, in start order."""

    def test_all_by_default(self) -> None:
        """No names: kafka, neo4j, postgres."""
        assert list(SERVICE_NAMES) == [s.name for s in services()]

    def test_subset_keeps_start_order(self) -> None:
        """Names given in any order come back in start order."""
        assert ["kafka", "postgres"] == [s.name for s in services(["postgres", "kafka"])]

    def test_unknown_name(self) -> None:
        """An unknown service is a StackError."""
        with pytest.raises(StackError):
            services(["zookeeper"])

    def test_cli_rejects_unknown_name(self) -> None:
        """`stack status zookeeper` is a usage error (exit 2)."""
        assert 2 == CliRunner().invoke(cli, ["stack", "status", "zookeeper"]).exit_code


class TestTable:
    """`stack status` prints service, state, address, pid, and why when down."""

    def test_rows(self) -> None:
        """One header and one aligned row per service."""
        table = render_table(
            [
                ServiceStatus("kafka", True, "127.0.0.1:19092", 42),
                ServiceStatus("neo4j", False, "bolt://127.0.0.1:17687", None, "refused"),
            ]
        )
        lines = table.splitlines()
        assert ["SERVICE", "STATE", "ADDRESS", "PID"] == lines[0].split()
        assert ["kafka", "healthy", "127.0.0.1:19092", "42"] == lines[1].split()
        assert ["neo4j", "down", "bolt://127.0.0.1:17687", "-", "refused"] == lines[2].split()
        assert lines[1].index("127.0.0.1") == lines[2].index("bolt://")
