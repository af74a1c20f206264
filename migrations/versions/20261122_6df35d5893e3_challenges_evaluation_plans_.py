"""challenges, evaluation plans, clarifications, sealed submissions, files

Revision ID: 6df35d5893e3
Revises: a7b5c8ab66d7
Create Date: 2026-11-22 02:52:57.243758

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6df35d5893e3'
down_revision = 'a7b5c8ab66d7'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('challenges',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('pain_points', sa.Text(), nullable=False),
    sa.Column('outcomes', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('race_slots', sa.Integer(), nullable=False),
    sa.Column('min_submissions', sa.Integer(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'pending_review', 'published', 'closed', 'evaluating', 'racing', 'notice', 'awarded', 'cancelled', 'failed', name='challenge_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('reminder_sent_for', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('budget_fen >= 0', name=op.f('ck_challenges_budget_non_negative')),
    sa.CheckConstraint('min_submissions >= 1', name=op.f('ck_challenges_min_submissions_positive')),
    sa.CheckConstraint('notice_days BETWEEN 0 AND 30', name=op.f('ck_challenges_notice_days_range')),
    sa.CheckConstraint('race_slots >= 1', name=op.f('ck_challenges_race_slots_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_challenges_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['organisations.id'], name=op.f('fk_challenges_department_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index('ix_challenges_department_state', ['department_id', 'state'], unique=False)
        batch_op.create_index('ix_challenges_domain_state_published', ['domain', 'state', 'published_at', 'id'], unique=False)
        batch_op.create_index('ix_challenges_state_budget', ['state', 'budget_fen', 'id'], unique=False)
        batch_op.create_index('ix_challenges_state_deadline', ['state', 'deadline', 'id'], unique=False)
        batch_op.create_index('ix_challenges_state_published', ['state', 'published_at', 'id'], unique=False)

    op.create_table('files',
    sa.Column('owner_type', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_files')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_files_storage_key'))
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index('ix_files_owner', ['owner_type', 'owner_id'], unique=False)

    op.create_table('challenge_domains',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_domains_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', 'domain', name=op.f('pk_challenge_domains'))
    )
    op.create_table('challenge_follows',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_follows_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_challenge_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', 'user_id', name=op.f('pk_challenge_follows'))
    )
    with op.batch_alter_table('challenge_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_follows_user_id'), ['user_id'], unique=False)

    op.create_table('evaluation_rounds',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('aggregation', sa.Enum('mean', 'median', 'trimmed_mean', name='aggregation', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('advance_top', sa.Integer(), nullable=True),
    sa.Column('advance_threshold_centi', sa.Integer(), nullable=True),
    sa.Column('blind', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('min_panel', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('setup', 'open', 'closed', name='round_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint('advance_top IS NULL OR advance_top >= 1', name=op.f('ck_evaluation_rounds_advance_top_positive')),
    sa.CheckConstraint('min_panel >= 1', name=op.f('ck_evaluation_rounds_min_panel_positive')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_evaluation_rounds_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_rounds')),
    sa.UniqueConstraint('challenge_id', 'position', name=op.f('uq_evaluation_rounds_challenge_id_position'))
    )
    with op.batch_alter_table('evaluation_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_rounds_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('questions',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_questions_asked_by_id_users')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_questions_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('submissions',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('submitted', 'withdrawn', name='submission_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('technical_plan', sa.Text(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('timeline', sa.Text(), nullable=False),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('price_fen >= 0', name=op.f('ck_submissions_price_non_negative')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_submissions_challenge_id_challenges')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_submissions_provider_id_organisations')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_submissions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_challenge_state', ['challenge_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('uq_submissions_live_per_provider', ['challenge_id', 'provider_id'], unique=True, sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))

    op.create_table('criteria',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('max_points', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint('max_points > 0', name=op.f('ck_criteria_max_points_positive')),
    sa.CheckConstraint('weight > 0 AND weight <= 100', name=op.f('ck_criteria_weight_range')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_rounds.id'], name=op.f('fk_criteria_round_id_evaluation_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria')),
    sa.UniqueConstraint('round_id', 'position', name=op.f('uq_criteria_round_id_position'))
    )
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_round_id'), ['round_id'], unique=False)

    op.create_table('submission_versions',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('technical_plan', sa.Text(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('timeline', sa.Text(), nullable=False),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_submission_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_versions_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_versions')),
    sa.UniqueConstraint('submission_id', 'version', name=op.f('uq_submission_versions_submission_id_version'))
    )
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_versions_submission_id'), ['submission_id'], unique=False)




def downgrade():

    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_versions_submission_id'))

    op.drop_table('submission_versions')
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_round_id'))

    op.drop_table('criteria')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('uq_submissions_live_per_provider', sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))
        batch_op.drop_index(batch_op.f('ix_submissions_provider_id'))
        batch_op.drop_index('ix_submissions_challenge_state')

    op.drop_table('submissions')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_challenge_id'))

    op.drop_table('questions')
    with op.batch_alter_table('evaluation_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_rounds_challenge_id'))

    op.drop_table('evaluation_rounds')
    with op.batch_alter_table('challenge_follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_follows_user_id'))

    op.drop_table('challenge_follows')
    op.drop_table('challenge_domains')
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index('ix_files_owner')

    op.drop_table('files')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_index('ix_challenges_state_published')
        batch_op.drop_index('ix_challenges_state_deadline')
        batch_op.drop_index('ix_challenges_state_budget')
        batch_op.drop_index('ix_challenges_domain_state_published')
        batch_op.drop_index('ix_challenges_department_state')

    op.drop_table('challenges')

