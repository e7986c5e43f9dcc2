"""Rendering of the embedded Neo4j's configuration and launcher command line."""

from __future__ import annotations

from pathlib import Path

from hartonomous.config import Settings
from hartonomous.stack import neo4j
from hartonomous.stack.service import ServiceDirs


def _conf(settings: Settings) -> dict[str, str]:
    text = neo4j.render_conf(settings, Path("/state/neo4j"))
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    return dict(ln.split("=", 1) for ln in lines)


class TestConf:
    """neo4j.conf: Bolt on 127.0.0.1, memory and directories from settings."""

    def test_bolt_on_loopback(self) -> None:
        """Bolt listens and advertises 127.0.0.1 on the configured port, without TLS."""
        conf = _conf(Settings(neo4j_bolt_port=7777))
        assert "true" == conf["server.bolt.enabled"]
        assert "127.0.0.1:7777" == conf["server.bolt.listen_address"]
        assert "DISABLED" == conf["server.bolt.tls_level"]

    def test_memory_and_directories(self) -> None:
        """Page cache from settings; data and logs under the service directory."""
        conf = _conf(Settings(neo4j_pagecache="300m"))
        assert "300m" == conf["server.memory.pagecache.size"]
        assert "/state/neo4j/data" == conf["server.directories.data"]
        assert "/state/neo4j/logs" == conf["server.directories.logs"]

    def test_auth_follows_password(self) -> None:
        """No password: auth off and the driver sends none; a password turns both on."""
        assert "false" == _conf(Settings())["dbms.security.auth_enabled"]
        assert neo4j.driver_auth(Settings()) is None
        settings = Settings(neo4j_user="neo4j", neo4j_password="pw")
        assert "true" == _conf(settings)["dbms.security.auth_enabled"]
        assert ("neo4j", "pw") == neo4j.driver_auth(settings)


class TestLauncherArgv:
    """The launcher runs in source-file mode with the module opens and the heap."""

    def test_argv(self, tmp_path: Path) -> None:
        """Heap, --add-opens flags, classpath, source file, home dir and conf, in order."""
        settings = Settings(state_dir=tmp_path, neo4j_heap="1g")
        dirs = ServiceDirs.of(settings, "neo4j")
        argv = neo4j.launcher_argv(settings, dirs)
        assert "-Xmx1g" in argv
        assert "--add-opens=java.base/java.nio=ALL-UNNAMED" in argv
        assert "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED" in argv
        launcher = settings.project_root / "infra" / "neo4j" / "Neo4jLauncher.java"
        tail = [str(dirs.lib / "*"), str(launcher), str(dirs.root), str(dirs.root / "neo4j.conf")]
        assert tail == argv[-4:]
        assert launcher.is_file()
