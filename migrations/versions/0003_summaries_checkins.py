"""Handover summaries (issue 16): facts behind an expiring token, in the records database.

Revision ID: 0003_summaries_checkins
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_summaries_checkins"
down_revision = "0001"
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


def downgrade() -> None:
    op.drop_index("ix_summaries_expires_at", table_name="summaries")
    op.drop_index("ix_summaries_conversation_key", table_name="summaries")
    op.drop_table("summaries")
