"""Unit codes name a unit together with the day (no longer unique); units keep their official type.

Revision ID: a8d4e2c6b1f9
Revises: f1a2c3d4e5b6
Create Date: 2026-12-04 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8d4e2c6b1f9'
down_revision = 'f1a2c3d4e5b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint('uq_unit_code', type_='unique')
        batch_op.create_index('ix_unit_code', ['code'], unique=False)
        batch_op.add_column(sa.Column('unit_type', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('unit_type')
        batch_op.drop_index('ix_unit_code')
        batch_op.create_unique_constraint('uq_unit_code', ['code'])
