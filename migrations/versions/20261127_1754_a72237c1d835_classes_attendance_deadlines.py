"""Classes, sessions, class enrollment, attendance, notifications; the 6-month deadline on memberships.

Revision ID: a72237c1d835
Revises: d64382e4e9f3
Create Date: 2026-11-27 17:54:06.475520

"""
from alembic import op
from dateutil.relativedelta import relativedelta
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a72237c1d835'
down_revision = 'd64382e4e9f3'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('notification',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('emailed_at', sa.DateTime(), nullable=True),
    sa.Column('delivery', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notification_person_id_person')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('key', name=op.f('uq_notification_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('training_class',
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('program_code', sa.String(length=40), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('venue', sa.String(length=300), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('min_attendance', sa.Integer(), nullable=False),
    sa.Column('assessment', sa.String(length=20), nullable=False),
    sa.Column('pass_score', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_training_class_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_training_class_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_class'))
    )
    with op.batch_alter_table('training_class', schema=None) as batch_op:
        batch_op.create_index('ix_training_class_starts_on', ['starts_on'], unique=False)
        batch_op.create_index('ix_training_class_unit_id', ['unit_id'], unique=False)

    op.create_table('class_enrollment',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['training_class.id'], name=op.f('fk_class_enrollment_class_id_training_class'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_class_enrollment_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_enrollment')),
    sa.UniqueConstraint('class_id', 'person_id', name=op.f('uq_class_enrollment_class_id_person_id'))
    )
    with op.batch_alter_table('class_enrollment', schema=None) as batch_op:
        batch_op.create_index('ix_class_enrollment_person_id', ['person_id'], unique=False)

    op.create_table('class_session',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('ends_at', sa.Time(), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=True),
    sa.Column('checkin_code', sa.String(length=40), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['training_class.id'], name=op.f('fk_class_session_class_id_training_class'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_session')),
    sa.UniqueConstraint('checkin_code', name=op.f('uq_class_session_checkin_code'))
    )
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.create_index('ix_class_session_class_id', ['class_id'], unique=False)

    op.create_table('class_trainer',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['training_class.id'], name=op.f('fk_class_trainer_class_id_training_class'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_class_trainer_person_id_person')),
    sa.PrimaryKeyConstraint('class_id', 'person_id', name=op.f('pk_class_trainer'))
    )
    op.create_table('attendance',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_attendance_person_id_person')),
    sa.ForeignKeyConstraint(['session_id'], ['class_session.id'], name=op.f('fk_attendance_session_id_class_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'person_id', name=op.f('pk_attendance'))
    )
    with op.batch_alter_table('mediator_membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_mediator_membership_deadline'), ['deadline'], unique=False)

    # backfill: recognition date + 6 calendar months (relativedelta clamps 31 Aug to 28/29 Feb)
    conn = op.get_bind()
    membership = sa.table('mediator_membership', sa.column('id', sa.Integer), sa.column('recognized_on', sa.Date), sa.column('deadline', sa.Date))
    rows = conn.execute(sa.select(membership.c.id, membership.c.recognized_on)).all()
    for start in range(0, len(rows), 5000):
        batch = [{'mid': r.id, 'd': r.recognized_on + relativedelta(months=6)} for r in rows[start:start + 5000] if r.recognized_on]
        if batch:
            conn.execute(membership.update().where(membership.c.id == sa.bindparam('mid')).values(deadline=sa.bindparam('d')), batch)



def downgrade():

    with op.batch_alter_table('mediator_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediator_membership_deadline'))
        batch_op.drop_column('deadline')

    op.drop_table('attendance')
    op.drop_table('class_trainer')
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.drop_index('ix_class_session_class_id')

    op.drop_table('class_session')
    with op.batch_alter_table('class_enrollment', schema=None) as batch_op:
        batch_op.drop_index('ix_class_enrollment_person_id')

    op.drop_table('class_enrollment')
    with op.batch_alter_table('training_class', schema=None) as batch_op:
        batch_op.drop_index('ix_training_class_unit_id')
        batch_op.drop_index('ix_training_class_starts_on')

    op.drop_table('training_class')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')

    op.drop_table('notification')

