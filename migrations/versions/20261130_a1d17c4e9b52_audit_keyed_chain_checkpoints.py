"""audit: keyed chain (HMAC from a switch-over seq), daily checkpoints, TRUNCATE refused

Existing events keep their plain SHA-256 hashes (scheme 'sha256') and stay verifiable; the head
records `keyed_from_seq` = the next sequence number, from which every event is HMAC-SHA256 under
AUDIT_HMAC_KEY. On PostgreSQL, TRUNCATE (which row triggers do not see) is refused on the audit
tables, checkpoints are append-only and the head row cannot be deleted.

Revision ID: a1d17c4e9b52
Revises: 175d60b11cad
Create Date: 2026-11-30 04:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a1d17c4e9b52'
down_revision = '175d60b11cad'
branch_labels = None
depends_on = None

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql
"""
TRIGGERS = [
    ("audit_events_no_truncate", "BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT"),
    ("audit_chain_head_no_truncate", "BEFORE TRUNCATE ON audit_chain_head FOR EACH STATEMENT"),
    ("audit_chain_head_no_delete", "BEFORE DELETE ON audit_chain_head FOR EACH ROW"),
    ("audit_checkpoints_no_truncate", "BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT"),
    ("audit_checkpoints_append_only", "BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW"),
]


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.String(length=16), server_default='sha256', nullable=False))
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed_from_seq', sa.BigInteger(), server_default='1', nullable=False))
    # Every event written so far is plain SHA-256; the next one is the first keyed event.
    op.execute("UPDATE audit_chain_head SET keyed_from_seq = seq + 1")

    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('keyed_from_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    sa.UniqueConstraint('day', name=op.f('uq_audit_checkpoints_day'))
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(REFUSE_FUNCTION)
        for name, when in TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION audit_refuse_change()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, when in TRIGGERS:
            table = when.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
    op.drop_table('audit_checkpoints')
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('keyed_from_seq')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('scheme')
