"""Alembic migrations of the relay schema (§9.3), applied by relay.migrate at start-up."""
