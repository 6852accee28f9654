"""Alembic environment: runs on the connection that relay.migrate hands over (the async engine, bridged)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
