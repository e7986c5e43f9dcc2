#!/usr/bin/env bash
# Installs everything Hartonomous needs on a fresh Debian machine: system packages (only those
# missing), a Python 3.11 virtualenv with the project and its extras, and the Maven artifacts of
# the local Kafka and Neo4j servers. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=${VENV:-.venv}

need_apt=()
# a JDK, not a JRE: the Neo4j launcher runs in Java's single-file source mode (needs javac)
command -v javac >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
ldconfig -p 2>/dev/null | grep -q 'libodbc.so.2' || need_apt+=(unixodbc)
[ -f /usr/share/wordnet/data.noun ] || need_apt+=(wordnet-base)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[ml,bench,test]"

# Resolve the JVM servers' jars now, so `stack up` does not pay for it.
"$VENV/bin/hartonomous" stack fetch 2>/dev/null || true
echo "setup: ok ($("$VENV/bin/python" --version))"
