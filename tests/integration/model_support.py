"""Shared by the model integration tests: migrated settings, unique names, row counts, cleanup."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hartonomous.config import Settings
from hartonomous.models import collect_garbage, delete_model
from hartonomous.store import connect, migrate, queries

MODEL_TABLES = ("models", "layers", "tensors", "tensor_chunks", "chunks", "weight_rows", "vocab_tokens", "model_files")


def unique_name(prefix: str) -> str:
    """A model name no other test uses."""
    return f"test-{prefix}-{uuid.uuid4().hex[:10]}"


def row_counts(settings: Settings) -> dict[str, int]:
    """Rows in every table the model store writes."""
    with connect(settings) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in MODEL_TABLES}  # type: ignore[index]


@pytest.fixture(scope="session")
def model_settings(stack_settings: Settings) -> Settings:
    """The stack's settings with the schema migrated."""
    migrate(stack_settings)
    return stack_settings


@pytest.fixture()
def cleanup(model_settings: Settings) -> Iterator[list[str]]:
    """Names appended here are deleted (with the chunks only they used) after the test."""
    names: list[str] = []
    yield names
    with connect(model_settings) as conn:
        sql = queries(model_settings)
        for name in names:
            delete_model(conn, sql, name)
        collect_garbage(conn, sql)
