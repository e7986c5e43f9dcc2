"""The SQL side of the PostgreSQL producer: tables, keys, publication, slot and snapshot state.

Every statement is a named file in ``sql/postgres/queries/cdc_*.sql``; identifiers are
composed with :class:`psycopg.sql.Identifier`, values always bound as parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg import AsyncConnection, sql

from hartonomous.cdc import SourceError
from hartonomous.store import Queries

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class TableRef:
    schema: str
    table: str

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)

    @property
    def regclass_text(self) -> str:
        """Quoted for ``to_regclass`` (so names with capitals resolve exactly)."""
        return '"{}"."{}"'.format(self.schema.replace('"', '""'), self.table.replace('"', '""'))


@dataclass(frozen=True, slots=True)
class TableInfo:
    ref: TableRef
    columns: tuple[tuple[str, int], ...]  # (name, type oid)
    primary_key: tuple[str, ...]
    replica_identity: str


@dataclass(frozen=True, slots=True)
class SlotInfo:
    active_pid: int | None
    confirmed_flush_lsn: str | None


def parse_tables(spec: str) -> list[TableRef]:
    """``"public.documents, models"`` -> refs (schema defaults to ``public``)."""
    refs = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        schema, _, table = item.rpartition(".")
        refs.append(TableRef(schema or "public", table))
    return refs


def check_name(kind: str, name: str) -> str:
    """Slot and publication names go into replication commands, which take no parameters."""
    if not NAME.match(name):
        raise SourceError(f"{kind} name {name!r} must match {NAME.pattern}")
    return name


class Catalog:
    """Async catalog operations on one autocommit connection."""

    def __init__(self, conn: AsyncConnection, queries: Queries) -> None:
        self._conn = conn
        self._q = queries

    def _text(self, name: str) -> sql.SQL:
        return sql.SQL(self._q[name])  # type: ignore[arg-type]

    async def table_info(self, ref: TableRef) -> TableInfo | None:
        params = {"table": ref.regclass_text}
        row = await (await self._conn.execute(self._text("cdc_replica_identity"), params)).fetchone()
        if row is None:
            return None
        columns = await (await self._conn.execute(self._text("cdc_table_columns"), params)).fetchall()
        key = await (await self._conn.execute(self._text("cdc_primary_key"), params)).fetchall()
        return TableInfo(ref, tuple((c[0], int(c[1])) for c in columns), tuple(k[0] for k in key), str(row[0]))

    async def set_replica_identity_full(self, ref: TableRef) -> None:
        await self._conn.execute(self._text("cdc_set_replica_identity_full").format(table=ref.identifier))

    async def ensure_publication(self, publication: str, tables: list[TableRef]) -> bool:
        """Create the publication, or set its table list; True if anything changed."""
        rows = await (await self._conn.execute(self._text("cdc_publication_tables"), {"publication": publication})).fetchall()
        table_list = sql.SQL(", ").join(t.identifier for t in tables)
        name = sql.Identifier(publication)
        if not rows:
            await self._conn.execute(self._text("cdc_create_publication").format(publication=name, tables=table_list))
            return True
        current = {(r[1], r[2]) for r in rows if r[1] is not None}
        if current == {(t.schema, t.table) for t in tables}:
            return False
        await self._conn.execute(self._text("cdc_set_publication_tables").format(publication=name, tables=table_list))
        return True

    async def slot(self, slot: str) -> SlotInfo | None:
        row = await (await self._conn.execute(self._text("cdc_slot"), {"slot": slot})).fetchone()
        return None if row is None else SlotInfo(row[1], row[2])

    async def drop_slot(self, slot: str) -> None:
        await self._conn.execute(self._text("cdc_drop_slot"), {"slot": slot})

    async def snapshot_state(self, slot: str) -> tuple[str, bool] | None:
        await self._conn.execute(self._text("cdc_state_setup"))
        row = await (await self._conn.execute(self._text("cdc_state_get"), {"slot": slot})).fetchone()
        return None if row is None else (str(row[0]), bool(row[1]))

    async def snapshot_started(self, slot: str, consistent_point: str) -> None:
        await self._conn.execute(self._text("cdc_state_start"), {"slot": slot, "consistent_point": consistent_point})

    async def snapshot_completed(self, slot: str) -> None:
        await self._conn.execute(self._text("cdc_state_complete"), {"slot": slot})

    async def forget_snapshot(self, slot: str) -> None:
        await self._conn.execute(self._text("cdc_state_delete"), {"slot": slot})

    async def heartbeat(self, prefix: str) -> str:
        row = await (await self._conn.execute(self._text("cdc_heartbeat"), {"prefix": prefix})).fetchone()
        return "" if row is None else str(row[0])

    def snapshot_query(self, info: TableInfo) -> sql.Composed:
        columns = sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(name)) for name, _ in info.columns
        )
        return self._text("cdc_snapshot_select").format(columns=columns, table=info.ref.identifier)
