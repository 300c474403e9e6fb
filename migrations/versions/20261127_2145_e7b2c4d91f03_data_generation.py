"""Data generations: a token per name that changes with the rows a cache depends on.

Revision ID: e7b2c4d91f03
Revises: e7b2c4d19a30
Create Date: 2026-11-27 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b2c4d91f03'
down_revision = 'e7b2c4d19a30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_generation',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_generation'))
    )


def downgrade():
    op.drop_table('data_generation')
