"""initial schema: accounts, organisations, audit chain, notifications, partner list, catalogue

Revision ID: a7b5c8ab66d7
Revises: 
Create Date: 2026-11-22 02:44:50.674992

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7b5c8ab66d7'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""


def upgrade():
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('source_ip', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_events_seq'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)

    op.create_table('organisations',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('department', 'provider', name='organisation_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_organisations_credit_code')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_kind'), ['kind'], unique=False)

    op.create_table('solutions',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_solutions_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solutions'))
    )
    with op.batch_alter_table('solutions', schema=None) as batch_op:
        batch_op.create_index('ix_solutions_domain_active', ['domain', 'is_active'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('users',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'department', 'provider', 'evaluator', name='user_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role NOT IN ('department', 'provider') OR organisation_id IS NOT NULL", name=op.f('ck_users_org_required_for_role')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('api_tokens',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('notifications',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('partner_applications',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('qualifications', sa.Text(), nullable=False),
    sa.Column('reference_cases', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('applied', 'admitted', 'rejected', 'suspended', 'expired', 'removed', name='partner_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_partner_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partner_applications_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_partner_applications_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_applications'))
    )
    with op.batch_alter_table('partner_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_applications_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_partner_applications_state_valid', ['state', 'valid_until'], unique=False)
        batch_op.create_index('uq_partner_applications_live_per_org', ['organisation_id'], unique=True, sqlite_where=sa.text("state IN ('applied', 'admitted', 'suspended')"), postgresql_where=sa.text("state IN ('applied', 'admitted', 'suspended')"))

    op.create_table('partner_application_domains',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['partner_applications.id'], name=op.f('fk_partner_application_domains_application_id_partner_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_id', 'domain', name=op.f('pk_partner_application_domains'))
    )
    with op.batch_alter_table('partner_application_domains', schema=None) as batch_op:
        batch_op.create_index('ix_partner_application_domains_domain', ['domain', 'application_id'], unique=False)

    # The audit chain starts from one head row (sequence 0, the genesis hash).
    op.execute("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, '" + "0" * 64 + "')")
    if op.get_bind().dialect.name == "postgresql":
        # Append-only in the database too: the application never updates or deletes events.
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table('partner_application_domains', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_application_domains_domain')

    op.drop_table('partner_application_domains')
    with op.batch_alter_table('partner_applications', schema=None) as batch_op:
        batch_op.drop_index('uq_partner_applications_live_per_org', sqlite_where=sa.text("state IN ('applied', 'admitted', 'suspended')"), postgresql_where=sa.text("state IN ('applied', 'admitted', 'suspended')"))
        batch_op.drop_index('ix_partner_applications_state_valid')
        batch_op.drop_index(batch_op.f('ix_partner_applications_organisation_id'))

    op.drop_table('partner_applications')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')

    op.drop_table('notifications')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))

    op.drop_table('users')
    with op.batch_alter_table('solutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solutions_organisation_id'))
        batch_op.drop_index('ix_solutions_domain_active')

    op.drop_table('solutions')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_kind'))

    op.drop_table('organisations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index(batch_op.f('ix_audit_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('audit_chain_head')
