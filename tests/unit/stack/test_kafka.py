"""Rendering of the single-node KRaft broker's configuration and command line."""

from __future__ import annotations

import base64
from pathlib import Path

from hartonomous.config import Settings
from hartonomous.stack import kafka
from hartonomous.stack.service import ServiceDirs


def _props(settings: Settings) -> dict[str, str]:
    text = kafka.render_server_properties(settings, Path("/state/kafka/data"))
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    return dict(ln.split("=", 1) for ln in lines)


class TestServerProperties:
    """server.properties describes one broker+controller on 127.0.0.1 with replication 1."""

    def test_roles_and_listeners_follow_settings(self) -> None:
        """Ports come from settings; both listeners bind 127.0.0.1."""
        props = _props(Settings(kafka_port=1111, kafka_controller_port=2222))
        assert "broker,controller" == props["process.roles"]
        assert "PLAINTEXT://127.0.0.1:1111,CONTROLLER://127.0.0.1:2222" == props["listeners"]
        assert "127.0.0.1:2222" == props["controller.quorum.bootstrap.servers"]
        assert "CONTROLLER" == props["controller.listener.names"]

    def test_everything_is_replicated_once(self) -> None:
        """Every replication factor and ISR minimum is 1 on a single node."""
        props = _props(Settings())
        keys = [
            "default.replication.factor",
            "min.insync.replicas",
            "offsets.topic.replication.factor",
            "transaction.state.log.replication.factor",
            "transaction.state.log.min.isr",
            "share.coordinator.state.topic.replication.factor",
        ]
        assert ["1"] * len(keys) == [props[k] for k in keys]

    def test_consumer_groups_start_without_delay(self) -> None:
        """The initial rebalance delay is 0 and the log dir is the one given."""
        props = _props(Settings())
        assert "0" == props["group.initial.rebalance.delay.ms"]
        assert "/state/kafka/data" == props["log.dirs"]

    def test_dynamic_quorum_has_no_static_voters(self) -> None:
        """`format --standalone` forbids controller.quorum.voters."""
        assert "controller.quorum.voters" not in _props(Settings())


class TestClusterId:
    """Cluster ids are what StorageTool accepts: 16 bytes, URL-safe base64, no padding."""

    def test_shape(self) -> None:
        """22 characters decoding to 16 bytes, and fresh each time."""
        first, second = kafka.new_cluster_id(), kafka.new_cluster_id()
        assert 22 == len(first)
        assert 16 == len(base64.urlsafe_b64decode(first + "=="))
        assert first != second


class TestCommandLine:
    """The JVM gets the heap from settings, the log4j2 file and the lib classpath."""

    def test_java_argv(self, tmp_path: Path) -> None:
        """Heap, log4j2 config, classpath and main class are in place."""
        settings = Settings(state_dir=tmp_path, kafka_heap="512m")
        dirs = ServiceDirs.of(settings, "kafka")
        argv = kafka.java_argv(settings, dirs, "kafka.Kafka", "server.properties")
        assert "-Xmx512m" in argv
        assert f"-Dlog4j2.configurationFile={dirs.root / 'log4j2.properties'}" in argv
        assert ["-cp", str(dirs.lib / "*"), "kafka.Kafka", "server.properties"] == argv[-4:]
