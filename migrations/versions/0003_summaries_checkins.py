"""Handover summaries and check-ins (issue 16), in the records database.

Revision ID: 0003_summaries_checkins
Revises: 0002_staff_console
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_summaries_checkins"
down_revision = "0002_staff_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summaries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("reference", sa.String(9), nullable=False, unique=True),
        sa.Column("conversation_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.JSON, nullable=False),
    )
    op.create_index("ix_summaries_conversation_key", "summaries", ["conversation_key"])
    op.create_index("ix_summaries_expires_at", "summaries", ["expires_at"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=True),
        sa.Column("disposition", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claim", sa.String(36), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_checkins_conversation_key", "checkins", ["conversation_key"])
    op.create_index("ix_checkins_due_at", "checkins", ["due_at"])
    op.create_index("ix_checkins_state", "checkins", ["state"])


def downgrade() -> None:
    op.drop_index("ix_checkins_state", table_name="checkins")
    op.drop_index("ix_checkins_due_at", table_name="checkins")
    op.drop_index("ix_checkins_conversation_key", table_name="checkins")
    op.drop_table("checkins")
    op.drop_index("ix_summaries_expires_at", table_name="summaries")
    op.drop_index("ix_summaries_conversation_key", table_name="summaries")
    op.drop_table("summaries")
