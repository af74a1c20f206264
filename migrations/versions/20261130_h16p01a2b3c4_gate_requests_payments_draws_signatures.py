"""gate requests (return with a reason), payment date / voucher number / void, panel draws
(redraw with a reason), acceptance members' own signatures (dissent, recorded refusal)

Revision ID: h16p01a2b3c4
Revises: h10x02b3c4d5
Create Date: 2026-11-30 07:51:28.207209

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'h16p01a2b3c4'
down_revision = 'h10x02b3c4d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('panel_draws',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('previous_members', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_panel_draws_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_rounds.id'], name=op.f('fk_panel_draws_round_id_evaluation_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_draws'))
    )
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_draws_round_id'), ['round_id'], unique=False)

    op.create_table('project_gate_requests',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('application', 'feasibility', 'approval', 'procurement', 'build', 'rollout', 'acceptance', 'operation', 'terminated', name='project_stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'returned', name='gate_request_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_project_gate_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_gate_requests_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_project_gate_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_gate_requests'))
    )
    with op.batch_alter_table('project_gate_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_gate_requests_project_id'), ['project_id'], unique=False)
        batch_op.create_index('uq_gate_requests_one_pending', ['project_id'], unique=True, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    with op.batch_alter_table('acceptance_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dissent', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('refusal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('refusal_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_acceptance_members_refusal_recorded_by_id_users'), 'users', ['refusal_recorded_by_id'], ['id'])

    # Payments made before this revision: their date is the Beijing day they were recorded on
    # (created_at is stored in UTC; the rows have no better date).
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE payments SET paid_on = DATE(created_at, '+8 hours')")
    else:
        op.execute("UPDATE payments SET paid_on = CAST(created_at + INTERVAL '8 hours' AS DATE)")
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.alter_column('paid_on', existing_type=sa.Date(), nullable=False)
        batch_op.add_column(sa.Column('voucher_no', sa.String(length=50), server_default='', nullable=False))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_payments_voided_by_id_users'), 'users', ['voided_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payments_voided_by_id_users'), type_='foreignkey')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('voucher_no')
        batch_op.drop_column('paid_on')

    with op.batch_alter_table('acceptance_members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_acceptance_members_refusal_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('refusal_recorded_by_id')
        batch_op.drop_column('refusal_reason')
        batch_op.drop_column('refused_at')
        batch_op.drop_column('dissent')

    with op.batch_alter_table('project_gate_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_gate_requests_one_pending', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_project_gate_requests_project_id'))

    op.drop_table('project_gate_requests')
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_draws_round_id'))

    op.drop_table('panel_draws')
