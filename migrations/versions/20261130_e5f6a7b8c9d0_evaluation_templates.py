"""evaluation templates (versioned), computed criteria (price, metric), declared metric values,
per-round normalisation

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-11-30 06:00:00

"""
from alembic import op
import sqlalchemy as sa



revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'evaluation_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('rounds', sa.JSON(), nullable=False),
        sa.Column('current', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_evaluation_templates_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_templates')),
        sa.UniqueConstraint('family_id', 'version', name=op.f('uq_evaluation_templates_family_id_version')),
    )
    with op.batch_alter_table('evaluation_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_templates_family_id'), ['family_id'], unique=False)

    op.create_table(
        'entry_metrics',
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=40), nullable=False),
        sa.Column('declared_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_entry_metrics_criterion_id_criteria'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_entry_metrics_submission_id_submissions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('submission_id', 'criterion_id', name=op.f('pk_entry_metrics')),
    )

    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='judged', nullable=False))
        batch_op.add_column(sa.Column('formula', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('guidance', sa.JSON(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_criteria_criterion_kind'), "kind IN ('judged', 'price', 'metric')")
        batch_op.create_check_constraint(op.f('ck_criteria_metric_has_formula'),
                                         "kind != 'metric' OR formula IS NOT NULL")

    with op.batch_alter_table('evaluation_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('normalise', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_rounds_template_id_evaluation_templates'),
                                    'evaluation_templates', ['template_id'], ['id'])


def downgrade():
    with op.batch_alter_table('evaluation_rounds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evaluation_rounds_template_id_evaluation_templates'),
                                 type_='foreignkey')
        batch_op.drop_column('template_id')
        batch_op.drop_column('normalise')
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_criteria_metric_has_formula'), type_='check')
        batch_op.drop_constraint(op.f('ck_criteria_criterion_kind'), type_='check')
        batch_op.drop_column('guidance')
        batch_op.drop_column('formula')
        batch_op.drop_column('kind')
    op.drop_table('entry_metrics')
    with op.batch_alter_table('evaluation_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_templates_family_id'))
    op.drop_table('evaluation_templates')
