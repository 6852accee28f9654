"""Alembic environment: runs on the connection that relay.migrate hands over (the async engine, bridged).

`target_metadata` is the relay's models, so `alembic revision --autogenerate` and the schema test compare the
migrated database with them."""

from alembic import context

from relay.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
