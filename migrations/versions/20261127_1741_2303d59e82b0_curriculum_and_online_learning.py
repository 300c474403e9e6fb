"""Curriculum (programs, modules, lessons, quizzes, attachments) and online learning (enrollment, lesson views, quiz attempts, material access).

Revision ID: 2303d59e82b0
Revises: 99a9f60535a0
Create Date: 2026-11-27 17:41:48.436117

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2303d59e82b0'
down_revision = '99a9f60535a0'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('program',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.Column('completion', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_program_code_version'))
    )
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.create_index('ix_program_code_current', ['code', 'is_current'], unique=False)

    op.create_table('program_module',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('is_final', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_program_module_program_id_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_module'))
    )
    with op.batch_alter_table('program_module', schema=None) as batch_op:
        batch_op.create_index('ix_program_module_program_id', ['program_id'], unique=False)

    op.create_table('attachment',
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['program_module.id'], name=op.f('fk_attachment_module_id_program_module'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_module_id', ['module_id'], unique=False)

    op.create_table('lesson',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['program_module.id'], name=op.f('fk_lesson_module_id_program_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_lesson_program_id_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson'))
    )
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.create_index('ix_lesson_module_id', ['module_id'], unique=False)
        batch_op.create_index('ix_lesson_program_slug', ['program_id', 'slug'], unique=False)

    op.create_table('lesson_view',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('program_code', sa.String(length=40), nullable=False),
    sa.Column('lesson_slug', sa.String(length=120), nullable=False),
    sa.Column('first_opened_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_lesson_view_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_view')),
    sa.UniqueConstraint('person_id', 'program_code', 'lesson_slug', name=op.f('uq_lesson_view_person_id_program_code_lesson_slug'))
    )
    op.create_table('quiz',
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('pass_score', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['program_module.id'], name=op.f('fk_quiz_module_id_program_module'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz')),
    sa.UniqueConstraint('module_id', name=op.f('uq_quiz_module_id'))
    )
    op.create_table('enrollment',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('program_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('enrolled_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('completed_program_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['completed_program_id'], ['program.id'], name=op.f('fk_enrollment_completed_program_id_program')),
    sa.ForeignKeyConstraint(['enrolled_by_id'], ['user_account.id'], name=op.f('fk_enrollment_enrolled_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_enrollment_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment')),
    sa.UniqueConstraint('person_id', 'program_code', name=op.f('uq_enrollment_person_id_program_code'))
    )
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.create_index('ix_enrollment_program_code_status', ['program_code', 'status'], unique=False)

    op.create_table('material_access',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('accessed_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_material_access_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_material_access_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_access')),
    sa.UniqueConstraint('person_id', 'kind', name=op.f('uq_material_access_person_id_kind'))
    )
    with op.batch_alter_table('material_access', schema=None) as batch_op:
        batch_op.create_index('ix_material_access_accessed_on', ['accessed_on'], unique=False)

    op.create_table('quiz_attempt',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('program_code', sa.String(length=40), nullable=False),
    sa.Column('quiz_hash', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('correct_count', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_quiz_attempt_person_id_person')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_quiz_attempt_quiz_id_quiz')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt'))
    )
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_attempt_person_quiz', ['person_id', 'quiz_id'], unique=False)

    op.create_table('quiz_question',
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('correct', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_quiz_question_quiz_id_quiz'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_question'))
    )
    with op.batch_alter_table('quiz_question', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_question_quiz_id', ['quiz_id'], unique=False)




def downgrade():

    with op.batch_alter_table('quiz_question', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_question_quiz_id')

    op.drop_table('quiz_question')
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_attempt_person_quiz')

    op.drop_table('quiz_attempt')
    with op.batch_alter_table('material_access', schema=None) as batch_op:
        batch_op.drop_index('ix_material_access_accessed_on')

    op.drop_table('material_access')
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollment_program_code_status')

    op.drop_table('enrollment')
    op.drop_table('quiz')
    op.drop_table('lesson_view')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index('ix_lesson_program_slug')
        batch_op.drop_index('ix_lesson_module_id')

    op.drop_table('lesson')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_module_id')

    op.drop_table('attachment')
    with op.batch_alter_table('program_module', schema=None) as batch_op:
        batch_op.drop_index('ix_program_module_program_id')

    op.drop_table('program_module')
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.drop_index('ix_program_code_current')

    op.drop_table('program')

