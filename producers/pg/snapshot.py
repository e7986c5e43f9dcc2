"""The initial consistent snapshot: every captured row as it was at the slot's consistent point.

It reads inside a REPEATABLE READ transaction that imported the snapshot the slot exported on
creation, so it sees exactly the commits before the point the stream then starts from. Rows
come out in chunks through a server-side cursor (no table is held in memory), every column
selected as text with the stream's session settings, so values are typed identically.
"""

from __future__ import annotations

from datetime import datetime, timezone

from psycopg import AsyncConnection, AsyncServerCursor, IsolationLevel, sql

from hartonomous.cdc import RowChange, SourceInfo
from hartonomous.cdc.values import Row, from_pg_text
from producers.pg.catalog import Catalog, TableInfo
from producers.pg.pgoutput import format_lsn
from producers.pg.replication import SESSION_OPTIONS


class SnapshotReader:
    """Yields ``snapshot`` changes table by table, in chunks."""

    def __init__(
        self, url: str, catalog: Catalog, tables: list[TableInfo], *, snapshot_name: str, consistent_point: int, db: str
    ) -> None:
        self._url = url
        self._catalog = catalog
        self._tables = list(tables)
        self._snapshot_name = snapshot_name
        self._lsn = format_lsn(consistent_point)
        self._db = db
        self._time = datetime.now(timezone.utc).isoformat()
        self._conn: AsyncConnection | None = None
        self._cursor: AsyncServerCursor | None = None
        self._table: TableInfo | None = None
        self._ordinal = 0

    @property
    def rows_read(self) -> int:
        return self._ordinal

    async def open(self) -> None:
        conn = await AsyncConnection.connect(self._url, options=SESSION_OPTIONS, autocommit=False)
        await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
        await conn.set_read_only(True)
        await conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(self._snapshot_name)))
        self._conn = conn

    async def next_chunk(self, size: int) -> list[RowChange]:
        """Up to ``size`` rows; an empty list once every table is read."""
        assert self._conn is not None, "open() first"
        while True:
            if self._cursor is None:
                if not self._tables:
                    return []
                self._table = self._tables.pop(0)
                self._cursor = self._conn.cursor(name="hartonomous_cdc_snapshot")
                await self._cursor.execute(self._catalog.snapshot_query(self._table))
            rows = await self._cursor.fetchmany(size)
            if rows:
                assert self._table is not None
                return [self._change(self._table, row) for row in rows]
            await self._cursor.close()
            self._cursor = None

    def _change(self, table: TableInfo, values: tuple[str | None, ...]) -> RowChange:
        self._ordinal += 1
        row: Row = {name: from_pg_text(v, oid) for (name, oid), v in zip(table.columns, values, strict=True)}
        key = {c: row.get(c) for c in table.primary_key} if table.primary_key else dict(row)
        source = SourceInfo("postgres", self._db, table.ref.schema, table.ref.table, self._lsn, self._ordinal, self._time)
        return RowChange("snapshot", source, key, None, row)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.rollback()
            await conn.close()
