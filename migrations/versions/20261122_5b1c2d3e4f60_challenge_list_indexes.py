"""challenge list: (sort key, id) indexes for the default multi-state list, with and without a domain

Revision ID: 5b1c2d3e4f60
Revises: e641bb8609ba
Create Date: 2026-11-22 03:40:00

"""
from alembic import op


revision = '5b1c2d3e4f60'
down_revision = 'e641bb8609ba'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_challenges_published": ["published_at", "id"],
    "ix_challenges_deadline": ["deadline", "id"],
    "ix_challenges_budget": ["budget_fen", "id"],
    "ix_challenges_domain_published": ["domain", "published_at", "id"],
    "ix_challenges_domain_deadline": ["domain", "deadline", "id"],
    "ix_challenges_domain_budget": ["domain", "budget_fen", "id"],
}


def upgrade():
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
