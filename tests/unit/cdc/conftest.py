from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hartonomous.config import PROJECT_ROOT

SAMPLES = PROJECT_ROOT.parent / "shared" / "reference" / "ces-samples"
FIXTURES = Path(__file__).parent / "fixtures"


def load_sample(name: str) -> dict[str, Any]:
    """A documented CES sample; the copy under fixtures/ is used when shared/ is absent."""
    path = SAMPLES / f"{name}.json"
    if not path.exists():
        path = FIXTURES / f"{name}.json"
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


@pytest.fixture
def ces_insert() -> dict[str, Any]:
    return load_sample("insert")


@pytest.fixture
def ces_update() -> dict[str, Any]:
    return load_sample("update")


@pytest.fixture
def ces_delete() -> dict[str, Any]:
    return load_sample("delete")
