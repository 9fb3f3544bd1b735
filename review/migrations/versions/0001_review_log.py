"""The review log's first tables: turns and settings.

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


def upgrade() -> None:
    op.create_table(
        "review_turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("turn", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(80)),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("program", sa.Integer),
        sa.Column("feedback", sa.String(8)),
        sa.Column("feedback_at", sa.DateTime(timezone=True)),
        sa.Column("mark", sa.String(20)),
        sa.Column("mark_program", sa.Integer),
        sa.Column("marked_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("conversation", "turn", name="uq_review_turns_conversation_turn"),
    )
    for column in ("conversation", "at", "channel", "kind", "program", "mark"):
        op.create_index(f"ix_review_turns_{column}", "review_turns", [column])
    op.create_table(
        "review_settings",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_settings")
    op.drop_table("review_turns")
