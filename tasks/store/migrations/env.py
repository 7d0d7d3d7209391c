"""Alembic environment: Steward passes its own connection (see ``database.upgrade``)."""

from alembic import context

from tasks.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
