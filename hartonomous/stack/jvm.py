"""JVM servers from Maven Central: resolve a pom's jars into a lib folder, find ``java``."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from structlog.typing import FilteringBoundLogger

from hartonomous.config import Settings
from hartonomous.logging import get_logger
from hartonomous.stack.exceptions import ArtifactError
from hartonomous.stack.service import ServiceDirs


def _log() -> FilteringBoundLogger:
    # created per call: a logger bound at import time would miss configure_logging()
    return get_logger("stack.jvm")


_MARKER = ".resolved"


def fetch_service_libs(settings: Settings, name: str) -> bool:
    """Resolve the jars of ``infra/<name>/pom.xml`` into ``<state>/<name>/lib``; True if Maven ran."""
    dirs = ServiceDirs.of(settings, name)
    pom = settings.project_root / "infra" / name / "pom.xml"
    return ensure_libs(pom, dirs.lib, log_path=dirs.setup_log)


def ensure_libs(pom: Path, lib_dir: Path, *, log_path: Path) -> bool:
    """Copy the dependencies of ``pom`` into ``lib_dir`` unless already there.

    A marker file holding the pom's hash is written last, so an interrupted copy, or a changed
    pom, is resolved again from scratch. Returns True if Maven ran.
    """
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    marker = lib_dir / _MARKER
    if marker.is_file() and marker.read_text().strip() == digest:
        return False
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ArtifactError("mvn is not on PATH; install Maven to fetch the server jars")
    if lib_dir.exists():
        shutil.rmtree(lib_dir)
    lib_dir.mkdir(parents=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        mvn, "-q", "-B", "-f", str(pom),
        "dependency:copy-dependencies", f"-DoutputDirectory={lib_dir}",
    ]  # fmt: skip
    log = _log().bind(pom=str(pom), lib_dir=str(lib_dir))
    log.info("maven_resolve_started")
    with log_path.open("ab") as out:
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    if result.returncode != 0 or not any(lib_dir.glob("*.jar")):
        raise ArtifactError(
            f"mvn dependency:copy-dependencies failed for {pom} (exit {result.returncode})",
            log_path=log_path,
        )
    marker.write_text(digest + "\n")
    log.info("maven_resolve_done", jars=sum(1 for _ in lib_dir.glob("*.jar")))
    return True


def java_executable() -> str:
    """The ``java`` on PATH (Java 17 or 21)."""
    java = shutil.which("java")
    if java is None:
        raise ArtifactError("java is not on PATH; install a Java 17 or 21 runtime")
    return java


def classpath(lib_dir: Path) -> str:
    """A wildcard classpath over every jar in ``lib_dir``."""
    return str(lib_dir / "*")
