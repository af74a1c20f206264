from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type
from marketplace.core.enums import LabeledEnum
from marketplace.extensions import db


class OrganisationKind(LabeledEnum):
    department = "department", "发榜单位"
    provider = "provider", "服务商"


class Role(LabeledEnum):
    admin = "admin", "平台管理员"
    department = "department", "发榜单位用户"
    provider = "provider", "服务商用户"
    evaluator = "evaluator", "评审专家"


# Which organisation kind a role must belong to (None: organisation optional).
ROLE_ORGANISATION_KIND = {
    Role.admin: None,
    Role.department: OrganisationKind.department,
    Role.provider: OrganisationKind.provider,
    Role.evaluator: None,
}


class Organisation(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "organisations"
    __audit_type__ = "organisation"

    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind, "organisation_kind"), index=True)
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    def __repr__(self):
        return f"<Organisation {self.id} {self.name}>"


class User(UserMixin, IdMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __audit_type__ = "user"
    __table_args__ = (
        sa.CheckConstraint(
            "role NOT IN ('department', 'provider') OR organisation_id IS NOT NULL",
            name="org_required_for_role",
        ),
    )

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every web session's identity (see `get_id`): raising it ends every session signed
    # in before, which a client-side session cookie cannot otherwise be made to forget.
    session_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")

    def __repr__(self):
        return f"<User {self.id} {self.email}>"

    def get_id(self):
        """Flask-Login's session identity: the id and the session version, so that a cookie
        issued before a logout, password change or deactivation no longer loads the user."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self):
        return self.role == Role.admin

    def has_role(self, *roles):
        return self.role in roles


class ApiToken(IdMixin, TimestampMixin, db.Model):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
