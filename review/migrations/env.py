"""Alembic environment: migrate the connection review/db.py hands over (online mode only)."""
from __future__ import annotations

from alembic import context

from review.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, version_table="review_alembic_version")
with context.begin_transaction():
    context.run_migrations()
