"""needs, need batches, domain subscriptions, challenges.need_id

Revision ID: 89e402bf65ff
Revises: 175d60b11cad
Create Date: 2026-11-30 04:41:38.577831

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '89e402bf65ff'
down_revision = '175d60b11cad'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('domain_subscriptions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_domain_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'domain', name=op.f('pk_domain_subscriptions'))
    )
    with op.batch_alter_table('domain_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domain_subscriptions_domain'), ['domain'], unique=False)

    op.create_table('need_batches',
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_need_batches_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_need_batches_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_batches')),
    sa.UniqueConstraint('number', name=op.f('uq_need_batches_number'))
    )
    op.create_table('needs',
    sa.Column('submitter_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('scenario', sa.Text(), nullable=False),
    sa.Column('beneficiaries', sa.Text(), nullable=False),
    sa.Column('expected_outcomes', sa.Text(), nullable=False),
    sa.Column('data_available', sa.Text(), nullable=False),
    sa.Column('keywords', sa.String(length=200), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('budget_source', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'returned', 'accepted', 'rejected', 'merged', 'published', 'converted', name='need_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('triage_note', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('converted_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state <> 'merged' OR merged_into_id IS NOT NULL", name=op.f('ck_needs_merged_has_survivor')),
    sa.CheckConstraint("state NOT IN ('published', 'converted') OR assignee_id IS NOT NULL", name=op.f('ck_needs_accepted_has_assignee')),
    sa.CheckConstraint('budget_fen IS NULL OR budget_fen >= 0', name=op.f('ck_needs_budget_non_negative')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_needs_not_merged_into_itself')),
    sa.ForeignKeyConstraint(['assignee_id'], ['organisations.id'], name=op.f('fk_needs_assignee_id_organisations')),
    sa.ForeignKeyConstraint(['batch_id'], ['need_batches.id'], name=op.f('fk_needs_batch_id_need_batches')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['needs.id'], name=op.f('fk_needs_merged_into_id_needs')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_needs_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['submitter_id'], ['organisations.id'], name=op.f('fk_needs_submitter_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_needs_domain_state', ['domain', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index('ix_needs_state_submitted', ['state', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_submitter_id'), ['submitter_id'], unique=False)

    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('need_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_challenges_need_id'), ['need_id'])
        batch_op.create_foreign_key(batch_op.f('fk_challenges_need_id_needs'), 'needs', ['need_id'], ['id'])



def downgrade():
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_challenges_need_id_needs'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_challenges_need_id'), type_='unique')
        batch_op.drop_column('need_id')

    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_submitter_id'))
        batch_op.drop_index('ix_needs_state_submitted')
        batch_op.drop_index(batch_op.f('ix_needs_merged_into_id'))
        batch_op.drop_index('ix_needs_domain_state')
        batch_op.drop_index(batch_op.f('ix_needs_batch_id'))
        batch_op.drop_index(batch_op.f('ix_needs_assignee_id'))

    op.drop_table('needs')
    op.drop_table('need_batches')
    with op.batch_alter_table('domain_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domain_subscriptions_domain'))

    op.drop_table('domain_subscriptions')
