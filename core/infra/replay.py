"""The replay ledger: every accepted signature is spent in the service's database.

A row is the (public key, signature) bytes pair and the time after which the signature can no longer pass the
freshness check. The ledger lives in the database rather than in a process, so a restart, a second uvicorn
worker or a second host on the same PostgreSQL refuses a replay just as the first process would. The primary
key makes spending atomic: of two concurrent requests carrying the same signature exactly one inserts the row.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from core.infra.signatures import SignedHeaders

TABLE_NAME = "replay_ledger"
PURGE_INTERVAL_S = 60.0
# Spent signatures outlive their freshness window by this much, so clock rounding can never free one early.
EXPIRY_MARGIN_S = 1.0


def ledger_table(metadata: MetaData) -> Table:
    """The ledger's table in a service's metadata (each service migrates it in its own database)."""
    return Table(
        TABLE_NAME,
        metadata,
        Column("public_key", LargeBinary(32), primary_key=True),
        Column("signature", LargeBinary(64), primary_key=True),
        Column("expires_at", Float, nullable=False, index=True),
    )


Transaction = Callable[[], AbstractAsyncContextManager]


class ReplayLedger:
    """Spends signatures through `transaction`, a service's write-transaction factory (its connection or session
    must offer `execute`)."""

    def __init__(self, table: Table, transaction: Transaction, dialect: str):
        self.table = table
        self._transaction = transaction
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._last_purge = float("-inf")

    async def spend(self, headers: SignedHeaders, fresh_until: float, now: float) -> bool:
        """Record the signature as spent until `fresh_until` (plus a margin); False when it already was."""
        statement = (
            self._insert(self.table)
            .values(public_key=headers.public_key, signature=headers.signature,
                    expires_at=fresh_until + EXPIRY_MARGIN_S)
            .on_conflict_do_nothing()
            .returning(self.table.c.public_key)
        )
        async with self._transaction() as connection:
            if now - self._last_purge >= PURGE_INTERVAL_S:
                self._last_purge = now
                await connection.execute(delete(self.table).where(self.table.c.expires_at < now))
            spent_now = (await connection.execute(statement)).first() is not None
        return spent_now

    async def entries(self, now: float) -> int:
        """Signatures still spent (for status pages)."""
        query = select(func.count()).select_from(self.table).where(self.table.c.expires_at >= now)
        async with self._transaction() as connection:
            return (await connection.execute(query)).scalar_one()

