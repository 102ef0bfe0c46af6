"""Alembic environment: LocalOcean passes its own connection and the schema's metadata in
`config.attributes`."""

from alembic import context

connection = context.config.attributes["connection"]
metadata = context.config.attributes["metadata"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
