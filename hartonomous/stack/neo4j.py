"""Neo4j 5.26 Community, embedded with Bolt, from Maven Central jars.

Jars come from ``infra/neo4j/pom.xml``; ``infra/neo4j/Neo4jLauncher.java`` runs in Java's
single-file source mode and builds a ``DatabaseManagementService`` from the ``neo4j.conf`` written
here. When ``neo4j_uri`` is set, that server is used and nothing is started.
"""

from __future__ import annotations

from pathlib import Path

from hartonomous.config import Settings
from hartonomous.stack import jvm, lifecycle, process
from hartonomous.stack.readiness import tcp_open
from hartonomous.stack.service import ServiceDirs, ServiceStatus, StartResult

NAME = "neo4j"
HOST = "127.0.0.1"
_PROBE_TIMEOUT_S = 3.0

# The module opens Neo4j 5 asks for on Java 17/21: the `server.jvm.additional` lines of the
# neo4j.conf shipped with the 5.26 distribution.
JVM_FLAGS: tuple[str, ...] = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dlog4j2.disable.jmx=true",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djava.awt.headless=true",
)


def render_conf(settings: Settings, home: Path) -> str:
    """The ``neo4j.conf`` the launcher loads: Bolt on 127.0.0.1, memory, directories, auth."""
    bolt = f"{HOST}:{settings.neo4j_bolt_port}"
    conf: dict[str, str] = {
        "server.default_listen_address": HOST,
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": bolt,
        "server.bolt.advertised_address": bolt,
        "server.bolt.tls_level": "DISABLED",
        "dbms.security.auth_enabled": "true" if settings.neo4j_password else "false",
        "server.memory.pagecache.size": settings.neo4j_pagecache,
        "server.directories.data": str(home / "data"),
        "server.directories.logs": str(home / "logs"),
        "db.tx_log.rotation.retention_policy": "1G size",
    }
    lines = ["# written by hartonomous.stack.neo4j; edits are overwritten on `stack up`"]
    lines += [f"{key}={value}" for key, value in conf.items()]
    return "\n".join(lines) + "\n"


def launcher_argv(settings: Settings, dirs: ServiceDirs) -> list[str]:
    """``java`` in source-file mode running the launcher with the heap from settings."""
    launcher = settings.project_root / "infra" / "neo4j" / "Neo4jLauncher.java"
    return [
        jvm.java_executable(),
        f"-Xmx{settings.neo4j_heap}",
        f"-Xms{settings.neo4j_heap}",
        *JVM_FLAGS,
        "-cp",
        jvm.classpath(dirs.lib),
        str(launcher),
        str(dirs.root),
        str(dirs.root / "neo4j.conf"),
    ]


def driver_auth(settings: Settings) -> tuple[str, str] | None:
    """Credentials for the Python driver: None while auth is disabled (no password set)."""
    return (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_password else None


def probe(settings: Settings) -> None:
    """A TCP connect, then ``RETURN 1`` over Bolt with the official driver."""
    from neo4j import GraphDatabase  # imported here: `stack status` stays light

    uri = settings.bolt_uri
    if not settings.neo4j_uri:
        tcp_open(HOST, settings.neo4j_bolt_port)
    with GraphDatabase.driver(
        uri, auth=driver_auth(settings), connection_timeout=_PROBE_TIMEOUT_S
    ) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one")
        if records[0]["one"] != 1:
            raise RuntimeError("unexpected answer to RETURN 1")


def fetch(settings: Settings) -> bool:
    """Resolve the jars of ``infra/neo4j/pom.xml`` into ``<state>/neo4j/lib``; True if Maven ran."""
    return jvm.fetch_service_libs(settings, NAME)


class Neo4jService:
    """The local graph server (see the module docstring)."""

    name = NAME

    def _managed(self, settings: Settings) -> lifecycle.Managed:
        dirs = ServiceDirs.of(settings, NAME)
        return lifecycle.Managed(
            name=NAME,
            dirs=dirs,
            address=settings.bolt_uri,
            host=HOST,
            port=settings.neo4j_bolt_port,
            probe=lambda: probe(settings),
            launch=lambda: _launch(settings, dirs),
        )

    def up(self, settings: Settings) -> StartResult:
        managed = self._managed(settings)
        if settings.neo4j_uri:
            return lifecycle.external(NAME, managed.address, lambda: probe(settings))
        return lifecycle.up(managed, settings.startup_timeout_s)

    def down(self, settings: Settings) -> bool:
        return lifecycle.down(self._managed(settings))

    def status(self, settings: Settings) -> ServiceStatus:
        return lifecycle.status(self._managed(settings))


def _launch(settings: Settings, dirs: ServiceDirs) -> int:
    fetch(settings)
    dirs.root.mkdir(parents=True, exist_ok=True)
    (dirs.root / "neo4j.conf").write_text(render_conf(settings, dirs.root))
    # credentials travel in the child's environment, never on its (visible) command line
    credentials = {
        "NEO4J_LAUNCHER_USER": settings.neo4j_user,
        "NEO4J_LAUNCHER_PASSWORD": settings.neo4j_password,
    }
    return process.start_detached(
        launcher_argv(settings, dirs),
        log_path=dirs.log,
        pid_path=dirs.pid,
        cwd=dirs.root,
        extra_env=credentials,
    )
