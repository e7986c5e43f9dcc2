"""Apache Kafka 4.x, single node in KRaft mode, from Maven Central jars.

Jars come from ``infra/kafka/pom.xml``; storage is formatted once (``StorageTool format
--standalone``, a one-voter dynamic quorum); the broker runs as ``kafka.Kafka``. The controller
endpoint is written into the formatted metadata, so changing ``kafka_controller_port`` later
needs a fresh ``<state>/kafka``.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import uuid
from pathlib import Path

from structlog.typing import FilteringBoundLogger

from hartonomous.config import Settings
from hartonomous.logging import get_logger
from hartonomous.stack import jvm, lifecycle, process
from hartonomous.stack.exceptions import StackError
from hartonomous.stack.readiness import tcp_open
from hartonomous.stack.service import ServiceDirs, ServiceStatus, StartResult

NAME = "kafka"
HOST = "127.0.0.1"
NODE_ID = 1
_PROBE_TIMEOUT_MS = 3000


def _log() -> FilteringBoundLogger:
    # created per call: a logger bound at import time would miss configure_logging()
    return get_logger("stack.kafka")


LOG4J2_PROPERTIES = """\
# written by hartonomous.stack.kafka: broker logs go to stdout, which is server.log
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


def render_server_properties(settings: Settings, data_dir: Path) -> str:
    """A single-node broker+controller ``server.properties`` bound to 127.0.0.1."""
    broker = f"{HOST}:{settings.kafka_port}"
    controller = f"{HOST}:{settings.kafka_controller_port}"
    props: dict[str, object] = {
        "process.roles": "broker,controller",
        "node.id": NODE_ID,
        "controller.quorum.bootstrap.servers": controller,
        "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": settings.kafka_partitions,
        "default.replication.factor": 1,
        "min.insync.replicas": 1,
        "offsets.topic.replication.factor": 1,
        "offsets.topic.num.partitions": 10,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        "group.initial.rebalance.delay.ms": 0,
        # topics are created by hartonomous.bus on start, as on Event Hubs
        "auto.create.topics.enable": "false",
        "log.retention.hours": 168,
        "num.network.threads": 2,
        "num.io.threads": 4,
    }
    lines = ["# written by hartonomous.stack.kafka; edits are overwritten on `stack up`"]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 chars)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")


def java_argv(settings: Settings, dirs: ServiceDirs, main: str, *args: str) -> list[str]:
    """``java`` with the broker's heap, log4j2 config and classpath, running ``main``."""
    return [
        jvm.java_executable(),
        f"-Xmx{settings.kafka_heap}",
        f"-Xms{settings.kafka_heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={dirs.root / 'log4j2.properties'}",
        "-cp",
        jvm.classpath(dirs.lib),
        main,
        *args,
    ]


def fetch(settings: Settings) -> bool:
    """Resolve the jars of ``infra/kafka/pom.xml`` into ``<state>/kafka/lib``; True if Maven ran."""
    return jvm.fetch_service_libs(settings, NAME)


class KafkaService:
    """The local broker (see the module docstring)."""

    name = NAME

    def _managed(self, settings: Settings) -> lifecycle.Managed:
        dirs = ServiceDirs.of(settings, NAME)
        address = f"{HOST}:{settings.kafka_port}"
        return lifecycle.Managed(
            name=NAME,
            dirs=dirs,
            address=address,
            host=HOST,
            port=settings.kafka_port,
            probe=lambda: probe(address),
            launch=lambda: _launch(settings, dirs),
        )

    def up(self, settings: Settings) -> StartResult:
        return lifecycle.up(self._managed(settings), settings.startup_timeout_s)

    def down(self, settings: Settings) -> bool:
        return lifecycle.down(self._managed(settings))

    def status(self, settings: Settings) -> ServiceStatus:
        return lifecycle.status(self._managed(settings))


def _launch(settings: Settings, dirs: ServiceDirs) -> int:
    fetch(settings)
    props = dirs.root / "server.properties"
    props.write_text(render_server_properties(settings, dirs.data))
    (dirs.root / "log4j2.properties").write_text(LOG4J2_PROPERTIES)
    _ensure_formatted(settings, dirs, props)
    argv = java_argv(settings, dirs, "kafka.Kafka", str(props))
    return process.start_detached(argv, log_path=dirs.log, pid_path=dirs.pid, cwd=dirs.root)


def _ensure_formatted(settings: Settings, dirs: ServiceDirs, props: Path) -> None:
    """Format the KRaft storage once; the cluster id is kept in ``<state>/kafka/cluster.id``."""
    if (dirs.data / "meta.properties").is_file():
        return
    id_file = dirs.root / "cluster.id"
    if not id_file.is_file():
        id_file.write_text(new_cluster_id() + "\n")
    cluster_id = id_file.read_text().strip()
    argv = java_argv(
        settings, dirs, "kafka.tools.StorageTool",
        "format", "-t", cluster_id, "-c", str(props), "--standalone",
    )  # fmt: skip
    _log().info("storage_format", cluster_id=cluster_id, log_dirs=str(dirs.data))
    with dirs.setup_log.open("ab") as out:
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    if result.returncode != 0:
        raise StackError(
            f"kafka storage format failed (exit {result.returncode})", log_path=dirs.setup_log
        )


def probe(bootstrap: str) -> None:
    """A TCP connect, then a real Metadata request (list topics) through aiokafka."""
    host, _, port = bootstrap.rpartition(":")
    tcp_open(host, int(port))
    asyncio.run(_list_topics(bootstrap))


async def _list_topics(bootstrap: str) -> list[str]:
    from aiokafka.admin import AIOKafkaAdminClient  # imported here: `stack status` stays light

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=_PROBE_TIMEOUT_MS)
    await admin.start()
    try:
        topics: list[str] = await admin.list_topics()
        return topics
    finally:
        await admin.close()
