"""Roster: units, teams, people, roles over time, accounts, audit log.

Revision ID: 99a9f60535a0
Revises: 
Create Date: 2026-11-27 17:36:00.801837

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '99a9f60535a0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('unit',
    sa.Column('code', sa.String(length=32).with_variant(sa.String(length=32, collation='C'), 'postgresql'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('province', 'district', 'commune', 'village', name='unit_kind', native_enum=False, length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('search_key', sa.String(length=200), nullable=False),
    sa.Column('is_pilot', sa.Boolean(), nullable=False),
    sa.Column('ethnic_minority_area', sa.Boolean(), nullable=False),
    sa.Column('model_commune_year', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_id_unit')),
    sa.ForeignKeyConstraint(['successor_id'], ['unit.id'], name=op.f('fk_unit_successor_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_unit_code')),
    sa.UniqueConstraint('path', name=op.f('uq_unit_path'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index('ix_unit_parent_id', ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_search_key'), ['search_key'], unique=False)

    op.create_table('person',
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('search_key', sa.String(length=200), nullable=False),
    sa.Column('gender', sa.Enum('male', 'female', name='gender', native_enum=False, length=32), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('ethnicity', sa.String(length=60), nullable=True),
    sa.Column('is_minority', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_person_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_phone', ['phone'], unique=False)
        batch_op.create_index('ix_person_search_key', ['search_key'], unique=False)
        batch_op.create_index('ix_person_unit_id', ['unit_id'], unique=False)

    op.create_table('team',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('search_key', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('dissolved_on', sa.Date(), nullable=True),
    sa.Column('implicit', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_team_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team'))
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index('ix_team_unit_id', ['unit_id'], unique=False)

    op.create_table('legal_support',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('background', sa.Enum('judge', 'prosecutor', 'investigator', 'assessor', 'jurist', 'lawyer', 'police', 'army', 'justice_official', 'other', name='background', native_enum=False, length=32), nullable=True),
    sa.Column('from_on', sa.Date(), nullable=False),
    sa.Column('to_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_legal_support_person_id_person')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_legal_support_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_support'))
    )
    with op.batch_alter_table('legal_support', schema=None) as batch_op:
        batch_op.create_index('ix_legal_support_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_legal_support_team_id', ['team_id'], unique=False)

    op.create_table('mediator_membership',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('decision_no', sa.String(length=60), nullable=True),
    sa.Column('recognized_on', sa.Date(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('leave_decision_no', sa.String(length=60), nullable=True),
    sa.Column('leave_reason', sa.Enum('own_request', 'not_meeting_standards', 'violated_principles', 'other', name='leave_reason', native_enum=False, length=32), nullable=True),
    sa.Column('leave_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_mediator_membership_person_id_person')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_mediator_membership_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediator_membership'))
    )
    with op.batch_alter_table('mediator_membership', schema=None) as batch_op:
        batch_op.create_index('ix_mediator_membership_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_mediator_membership_recognized_on', ['recognized_on'], unique=False)
        batch_op.create_index('ix_mediator_membership_team_id', ['team_id'], unique=False)

    op.create_table('trainer_appointment',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('province', 'district', name='trainer_level', native_enum=False, length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('background', sa.Enum('judge', 'prosecutor', 'investigator', 'assessor', 'jurist', 'lawyer', 'police', 'army', 'justice_official', 'other', name='background', native_enum=False, length=32), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_trainer_appointment_person_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_trainer_appointment_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trainer_appointment'))
    )
    with op.batch_alter_table('trainer_appointment', schema=None) as batch_op:
        batch_op.create_index('ix_trainer_appointment_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_trainer_appointment_unit_id', ['unit_id'], unique=False)

    op.create_table('user_account',
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('system_admin', 'province_admin', 'district_admin', 'commune_officer', 'trainer', 'mediator', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('initial_password', sa.String(length=40), nullable=True),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_user_account_person_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_user_account_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index('ix_user_account_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_user_account_unit_id', ['unit_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=True),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_log_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)




def downgrade():

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')

    op.drop_table('audit_log')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index('ix_user_account_unit_id')
        batch_op.drop_index('ix_user_account_person_id')

    op.drop_table('user_account')
    with op.batch_alter_table('trainer_appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_trainer_appointment_unit_id')
        batch_op.drop_index('ix_trainer_appointment_person_id')

    op.drop_table('trainer_appointment')
    with op.batch_alter_table('mediator_membership', schema=None) as batch_op:
        batch_op.drop_index('ix_mediator_membership_team_id')
        batch_op.drop_index('ix_mediator_membership_recognized_on')
        batch_op.drop_index('ix_mediator_membership_person_id')

    op.drop_table('mediator_membership')
    with op.batch_alter_table('legal_support', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_support_team_id')
        batch_op.drop_index('ix_legal_support_person_id')

    op.drop_table('legal_support')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index('ix_team_unit_id')

    op.drop_table('team')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_unit_id')
        batch_op.drop_index('ix_person_search_key')
        batch_op.drop_index('ix_person_phone')

    op.drop_table('person')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_search_key'))
        batch_op.drop_index('ix_unit_parent_id')

    op.drop_table('unit')

