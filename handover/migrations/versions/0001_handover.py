"""Handover's first tables: handovers, their messages, call-back requests and staff presence.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE_WHERE = "state IN ('queued', 'connected')"


def upgrade() -> None:
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(128)),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("focus", sa.Integer),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True)),
        sa.Column("taken_by", sa.String(80)),
        sa.Column("taken_by_name", sa.String(80)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20)),
    )
    for column in ("sender", "state", "requested_at", "ended_at"):
        op.create_index(f"ix_handovers_{column}", "handovers", [column])
    op.create_index("uq_handovers_active_sender", "handovers", ["sender"], unique=True,
                    sqlite_where=sa.text(ACTIVE_WHERE), postgresql_where=sa.text(ACTIVE_WHERE))

    op.create_table(
        "handover_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handover_id", sa.Integer, sa.ForeignKey("handovers.id"), nullable=False),
        sa.Column("sender", sa.String(128)),
        sa.Column("author", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("custom", sa.JSON),
        sa.Column("key", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_by", sa.String(80)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("handover_id", "key", name="uq_handover_messages_handover_key"),
        sqlite_autoincrement=True,  # an id is never reused: it is the web chat's cursor
    )
    op.create_index("ix_handover_messages_handover_id", "handover_messages", ["handover_id"])
    op.create_index("ix_handover_messages_delivered_at", "handover_messages", ["delivered_at"])
    op.create_index("ix_handover_messages_sender_id", "handover_messages", ["sender", "id"])

    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(128)),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("section", sa.Integer),
        sa.Column("need", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_callback_requests_status", "callback_requests", ["status"])
    op.create_index("ix_callback_requests_done_at", "callback_requests", ["done_at"])

    op.create_table(
        "staff_presence",
        sa.Column("login", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_presence_last_seen", "staff_presence", ["last_seen"])


def downgrade() -> None:
    op.drop_table("staff_presence")
    op.drop_table("callback_requests")
    op.drop_table("handover_messages")
    op.drop_table("handovers")
