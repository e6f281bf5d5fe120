"""The language of a case and of a queued conversation (issue 15: Welsh and English).

``cases.language``: every later message about a case (status updates,
notifications weeks later) is written in the language of the conversation
that made it. ``escalations.language``: staff see it in the queue. Both
nullable: rows made before are in the council's default language.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=True))
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("language")
