"""Certificates, their per-province settings and serial counters.

Revision ID: a15d0a852960
Revises: 2303d59e82b0
Create Date: 2026-11-27 17:44:33.008100

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a15d0a852960'
down_revision = '2303d59e82b0'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('certificate_serial_counter',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_certificate_serial_counter_unit_id_unit')),
    sa.PrimaryKeyConstraint('unit_id', 'year', name=op.f('pk_certificate_serial_counter'))
    )
    op.create_table('certificate_settings',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('serial_prefix', sa.String(length=10), nullable=False),
    sa.Column('issuer_name', sa.String(length=200), nullable=False),
    sa.Column('issuer_parent', sa.String(length=200), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_certificate_settings_unit_id_unit')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_certificate_settings'))
    )
    op.create_table('certificate',
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('verification_code', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('program_code', sa.String(length=40), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issuing_unit_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('holder_birth_year', sa.Integer(), nullable=True),
    sa.Column('issuer_name', sa.String(length=200), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('program_title', sa.String(length=300), nullable=False),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('training_from', sa.Date(), nullable=True),
    sa.Column('training_to', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=True),
    sa.Column('external_serial', sa.String(length=60), nullable=True),
    sa.Column('basis', sa.Text(), nullable=True),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('replaced_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_certificate_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_certificate_enrollment_id_enrollment')),
    sa.ForeignKeyConstraint(['issuing_unit_id'], ['unit.id'], name=op.f('fk_certificate_issuing_unit_id_unit')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_certificate_person_id_person')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_certificate_program_id_program')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['certificate.id'], name=op.f('fk_certificate_replaced_by_id_certificate')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_certificate_revoked_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_certificate_enrollment_id')),
    sa.UniqueConstraint('serial', name=op.f('uq_certificate_serial')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_certificate_verification_code'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_issuing_unit_id', ['issuing_unit_id'], unique=False)
        batch_op.create_index('ix_certificate_person_program', ['person_id', 'program_code'], unique=False)
        batch_op.create_index('ix_certificate_program_issued', ['program_code', 'issued_on'], unique=False)




def downgrade():

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_program_issued')
        batch_op.drop_index('ix_certificate_person_program')
        batch_op.drop_index('ix_certificate_issuing_unit_id')

    op.drop_table('certificate')
    op.drop_table('certificate_settings')
    op.drop_table('certificate_serial_counter')

