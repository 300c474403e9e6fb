"""Certificate lookup by person, program and issue date (the figures' EXISTS uses all three).

Without table statistics SQLite otherwise chose the (program, issued_on) index for the
per-person lookups and a province's figures took seconds instead of milliseconds.

Revision ID: c3e1f0a9b2d4
Revises: 5b5e5c544146
Create Date: 2026-11-27 18:50:00

"""
from alembic import op

revision = "c3e1f0a9b2d4"
down_revision = "5b5e5c544146"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_person_program")
        batch_op.create_index("ix_certificate_person_program", ["person_id", "program_code", "issued_on"], unique=False)


def downgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_person_program")
        batch_op.create_index("ix_certificate_person_program", ["person_id", "program_code"], unique=False)
