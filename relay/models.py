"""The relay's tables (§9.1) as SQLAlchemy models, for queries. Alembic migrations own the schema."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.infra.replay import ledger_table

# BIGINT everywhere except SQLite, where only INTEGER PRIMARY KEY aliases the rowid.
BigInt = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    """Naive UTC now: the columns are TIMESTAMP WITHOUT TIME ZONE holding UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class MiningResult(Base):
    __tablename__ = "mining_results"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    miner_hotkey: Mapped[str] = mapped_column(String(48), unique=True)
    task_id: Mapped[str] = mapped_column(Text)
    algorithm_result: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    validator_verified: Mapped[str | None] = mapped_column(String(48))
    signature: Mapped[str | None] = mapped_column(Text)
    timestamp_message: Mapped[str | None] = mapped_column(Text)


class TestSubmission(Base):
    __tablename__ = "test_submissions"
    __test__ = False  # not a pytest test class
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    submitter_hotkey: Mapped[str] = mapped_column(String(48), index=True)
    task_id: Mapped[str] = mapped_column(Text)
    algorithm_result: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(48), index=True)
    signature: Mapped[str | None] = mapped_column(Text)
    timestamp_message: Mapped[str | None] = mapped_column(Text)


class BlacklistVote(Base):
    __tablename__ = "blacklist_votes"
    __table_args__ = (UniqueConstraint("miner_hotkey", "validator_hotkey", name="uq_blacklist_votes_pair"),)
    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    miner_hotkey: Mapped[str] = mapped_column(String(48), index=True)
    validator_hotkey: Mapped[str] = mapped_column(String(48))
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InvitationCode(Base):
    __tablename__ = "invitation_codes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    miner_hotkey: Mapped[str | None] = mapped_column(String(48), unique=True)
    coldkey_address: Mapped[str | None] = mapped_column(String(128))
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SotaCache(Base):
    __tablename__ = "sota_cache"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_type: Mapped[str] = mapped_column(String(64), unique=True)
    sota_value: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SotaVote(Base):
    __tablename__ = "sota_votes"
    __table_args__ = (
        UniqueConstraint("validator_hotkey", name="uq_sota_votes_validator_round"),
        Index("ix_sota_votes_candidate", "miner_hotkey", "score_int"),
    )
    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    validator_hotkey: Mapped[str] = mapped_column(String(48))
    miner_hotkey: Mapped[str] = mapped_column(String(48))
    score_int: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float] = mapped_column(Float)
    result_id: Mapped[str | None] = mapped_column(String(64))
    seen_block: Mapped[int] = mapped_column(BigInteger, default=0)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SotaEvent(Base):
    __tablename__ = "sota_events"
    __table_args__ = (UniqueConstraint("miner_hotkey", "score_int", name="uq_sota_events_candidate"),)
    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    miner_hotkey: Mapped[str] = mapped_column(String(48), index=True)
    score_int: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float] = mapped_column(Float)
    result_id: Mapped[str | None] = mapped_column(String(64))
    decision_block: Mapped[int] = mapped_column(BigInteger)
    start_block: Mapped[int] = mapped_column(BigInteger, index=True)
    end_block: Mapped[int] = mapped_column(BigInteger)
    alignment_mod: Mapped[int] = mapped_column(BigInteger)
    t2_blocks: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class RecentClaim(Base):
    """A solution hash and when it was last submitted (the 5-minute duplicate check, relay.claims)."""

    __tablename__ = "recent_claims"
    solution_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[float] = mapped_column(Float, index=True)


class SubmissionTime(Base):
    """One submission attempt of a miner (the optional hourly rate limit, relay.claims)."""

    __tablename__ = "submission_times"
    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    miner_hotkey: Mapped[str] = mapped_column(String(48), index=True)
    at: Mapped[float] = mapped_column(Float)


# Spent signatures (core.infra.replay); shared by every relay process on this database.
ReplayLedgerTable = ledger_table(Base.metadata)
