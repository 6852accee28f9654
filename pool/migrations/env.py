"""Alembic environment: runs on the connection pool.migrate hands over (an async connection, bridged)."""

from alembic import context

from pool.models import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
