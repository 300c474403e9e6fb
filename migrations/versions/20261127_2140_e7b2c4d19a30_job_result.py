"""A job's result as data (an import's counts and bad rows), shown by the page that waited on it.

Revision ID: e7b2c4d19a30
Revises: c3e1f0a9b2d4
Create Date: 2026-11-27 21:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e7b2c4d19a30"
down_revision = "c3e1f0a9b2d4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_column("result")
