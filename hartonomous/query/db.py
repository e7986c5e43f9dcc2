"""Store access shared by the query side: embedder lookup and SQL errors turned into ours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import errors

from hartonomous.config import Settings
from hartonomous.query.exceptions import InvalidQueryError, QueryError, UnknownModelError
from hartonomous.store import connect, queries


@dataclass(frozen=True)
class EmbedderInfo:
    """An ``embedders`` row as the query side needs it."""

    id: int
    name: str
    dimension: int
    model_id: int | None
    model_source: str | None
    projection_version: int


@contextmanager
def sql_errors() -> Iterator[None]:
    """Raise the query side's named errors for the SQL functions' refusals."""
    try:
        yield
    except errors.NoDataFound as exc:
        raise UnknownModelError(exc.diag.message_primary or str(exc)) from exc
    except (errors.InvalidParameterValue, errors.DataException) as exc:
        raise InvalidQueryError(exc.diag.message_primary or str(exc)) from exc
    except (errors.ObjectNotInPrerequisiteState, errors.RaiseException) as exc:
        raise QueryError(exc.diag.message_primary or str(exc)) from exc


def open_connection(settings: Settings) -> psycopg.Connection:
    """An autocommit connection with pgvector's types registered."""
    from pgvector.psycopg import register_vector

    conn = connect(settings)
    register_vector(conn)
    return conn


def embedder_info(settings: Settings, conn: psycopg.Connection, name: str) -> EmbedderInfo:
    """The embedder called ``name``; :class:`UnknownModelError` if there is none."""
    row = conn.execute(queries(settings)["query_embedder"], {"name": name}).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute(queries(settings)["query_embedder_names"]).fetchall()]
        shown = ', '.join(known[:15]) + (f' and {len(known) - 15} more' if len(known) > 15 else '')
        raise UnknownModelError(f"unknown embedder {name!r} (known: {shown or 'none'})")
    return EmbedderInfo(int(row[0]), row[1], int(row[2]), row[3], row[4], int(row[5]))
