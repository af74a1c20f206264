"""evaluation rounds, panels, sheets, notices, objections

Revision ID: e641bb8609ba
Revises: 6df35d5893e3
Create Date: 2026-11-22 03:05:29.425932

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e641bb8609ba'
down_revision = '6df35d5893e3'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('evaluator_domains',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evaluator_domains_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'domain', name=op.f('pk_evaluator_domains'))
    )
    with op.batch_alter_table('evaluator_domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluator_domains_domain'), ['domain'], unique=False)

    op.create_table('notices',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.Column('winner_submission_id', sa.Integer(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_notices_challenge_id_challenges')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_rounds.id'], name=op.f('fk_notices_round_id_evaluation_rounds')),
    sa.ForeignKeyConstraint(['winner_submission_id'], ['submissions.id'], name=op.f('fk_notices_winner_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('panel_members',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('evaluator_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=True),
    sa.Column('sheet_status', sa.Enum('pending', 'draft', 'submitted', name='sheet_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['evaluator_id'], ['users.id'], name=op.f('fk_panel_members_evaluator_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_rounds.id'], name=op.f('fk_panel_members_round_id_evaluation_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('round_id', 'evaluator_id', name=op.f('uq_panel_members_round_id_evaluator_id'))
    )
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_members_evaluator_id'), ['evaluator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_members_round_id'), ['round_id'], unique=False)

    op.create_table('round_entries',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=10), nullable=False),
    sa.Column('score_centi', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('advanced', sa.Boolean(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_rounds.id'], name=op.f('fk_round_entries_round_id_evaluation_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_round_entries_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_entries')),
    sa.UniqueConstraint('round_id', 'submission_id', name=op.f('uq_round_entries_round_id_submission_id'))
    )
    with op.batch_alter_table('round_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_entries_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_entries_submission_id'), ['submission_id'], unique=False)

    op.create_table('declared_conflicts',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'], name=op.f('fk_declared_conflicts_member_id_panel_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_declared_conflicts_provider_id_organisations')),
    sa.PrimaryKeyConstraint('member_id', 'provider_id', name=op.f('pk_declared_conflicts'))
    )
    op.create_table('objections',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'dismissed', 'upheld', name='objection_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_objections_challenge_id_challenges')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_objections_notice_id_notices')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_objections_provider_id_organisations')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_objections_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_objections_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objections_notice_id'), ['notice_id'], unique=False)

    op.create_table('scores',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('points_centi', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint('points_centi >= 0', name=op.f('ck_scores_points_non_negative')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_scores_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'], name=op.f('fk_scores_member_id_panel_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_scores_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores')),
    sa.UniqueConstraint('member_id', 'submission_id', 'criterion_id', name=op.f('uq_scores_member_id_submission_id_criterion_id'))
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('evaluation_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tie_break_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('results_note', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('evaluation_rounds', schema=None) as batch_op:
        batch_op.drop_column('results_note')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('opened_at')
        batch_op.drop_column('tie_break_position')

    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_member_id'))

    op.drop_table('scores')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_notice_id'))
        batch_op.drop_index(batch_op.f('ix_objections_challenge_id'))

    op.drop_table('objections')
    op.drop_table('declared_conflicts')
    with op.batch_alter_table('round_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_entries_submission_id'))
        batch_op.drop_index(batch_op.f('ix_round_entries_round_id'))

    op.drop_table('round_entries')
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_members_round_id'))
        batch_op.drop_index(batch_op.f('ix_panel_members_evaluator_id'))

    op.drop_table('panel_members')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_challenge_id'))

    op.drop_table('notices')
    with op.batch_alter_table('evaluator_domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluator_domains_domain'))

    op.drop_table('evaluator_domains')

