"""horse race: unified pilot milestones and pilot budget of a challenge; pilot projects (kind),
evidence due per milestone, measured indicators per progress report

Revision ID: e6f7a8b9c0d1
Revises: d4e5f6a7b8c9
Create Date: 2026-11-30 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e6f7a8b9c0d1'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'race_milestones',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('challenge_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('due_days', sa.Integer(), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.CheckConstraint('due_days BETWEEN 1 AND 730', name=op.f('ck_race_milestones_due_days_range')),
        sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_race_milestones_challenge_id_challenges'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_race_milestones')),
        sa.UniqueConstraint('challenge_id', 'position', name=op.f('uq_race_milestones_challenge_id_position')),
    )
    with op.batch_alter_table('race_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_race_milestones_challenge_id'), ['challenge_id'], unique=False)
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pilot_budget_fen', sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_challenges_pilot_budget_within_budget'),
                                         'pilot_budget_fen IS NULL OR pilot_budget_fen * race_slots <= budget_fen')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), server_default='main', nullable=False))
        batch_op.create_check_constraint(op.f('ck_projects_project_kind'), "kind IN ('pilot', 'main')")
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indicators', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.drop_column('indicators')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('evidence')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_projects_project_kind'), type_='check')
        batch_op.drop_column('kind')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_challenges_pilot_budget_within_budget'), type_='check')
        batch_op.drop_column('pilot_budget_fen')
    with op.batch_alter_table('race_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_race_milestones_challenge_id'))
    op.drop_table('race_milestones')
