"""Alembic environment: migrate the connection handover/db.py hands over (online mode only).

The version table is handover's own, so these migrations and the review log's (review/migrations/) share one
database without sharing a revision history."""
from __future__ import annotations

from alembic import context

from handover.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, version_table="handover_alembic_version")
with context.begin_transaction():
    context.run_migrations()
