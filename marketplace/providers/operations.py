"""Partner-list admission (伙伴清单准入) and the solution catalogue (解决方案清单)."""

from marketplace.accounts.models import OrganisationKind, Role
from marketplace.accounts.operations import check_credit_code_available
from marketplace.audit.operations import record
from marketplace.core.db import utcnow
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.providers import events, queries
from marketplace.providers.models import ApplicationDomain, PartnerApplication, Solution
from marketplace.providers.states import PARTNER_MACHINE, REAPPLY_STATES, PartnerState


def _snapshot(app: PartnerApplication):
    return {"state": app.state, "valid_until": app.valid_until, "reason": app.status_reason}


def _transition(actor, app: PartnerApplication, action, *, reason=None, valid_until=None):
    before = _snapshot(app)
    app.state = PARTNER_MACHINE.target(app.state, action)
    if reason is not None:
        app.status_reason = reason
    if valid_until is not None:
        app.valid_until = valid_until
    if actor is not None:
        app.decided_by_id, app.decided_at = actor.id, utcnow()
    record(actor, f"partner_application.{action}", app, before=before, after=_snapshot(app))
    return app


def expire_if_due(app: PartnerApplication | None):
    """A listing whose validity date has passed becomes `expired` (recorded once, by the system)."""
    if app is not None and app.state == PartnerState.admitted and app.is_past_validity:
        _transition(None, app, "expire")
        events.listing_expired.send(app, actor=None)
    return app


def expire_due_listings() -> int:
    """Move every admitted listing whose validity has passed to `expired` (for the daily job)."""
    import sqlalchemy as sa

    due = db.session.scalars(sa.select(PartnerApplication).where(
        PartnerApplication.state == PartnerState.admitted, PartnerApplication.valid_until < today_shanghai())).all()
    for app in due:
        expire_if_due(app)
    return len(due)


def _check_domains(domains):
    unknown = [d for d in domains if d not in DOMAINS]
    if not domains:
        raise ValidationFailed(fields={"domains": "请至少选择一个能力领域"})
    if unknown:
        raise ValidationFailed(fields={"domains": f"未知的领域“{unknown[0]}”"})


def apply_for_partner_list(actor, *, credit_code, domains, qualifications, reference_cases):
    """A provider organisation applies to join the partner list (or re-applies after a
    rejection, expiry or removal). Its 统一社会信用代码 must validate and be its own."""
    if actor.role != Role.provider or actor.organisation is None:
        raise NotAllowed("只有服务商用户可以申请加入伙伴清单")
    org = actor.organisation
    code = check_credit_code_available(credit_code, org)
    if org.credit_code and org.credit_code != code:
        raise ValidationFailed(fields={"credit_code": "与本单位登记的统一社会信用代码不一致"})
    _check_domains(domains)
    current = expire_if_due(queries.latest_application(org.id))
    if current is not None and current.state not in REAPPLY_STATES:
        raise Conflict(f"本单位已有状态为“{current.state.label}”的申请，不能重复申请")
    org.credit_code = code
    app = PartnerApplication(
        organisation=org, submitted_by_id=actor.id, credit_code=code,
        qualifications=qualifications or "", reference_cases=reference_cases or "",
        state=PartnerState.applied,
        domain_rows=[ApplicationDomain(domain=d) for d in sorted(set(domains))],
    )
    db.session.add(app)
    record(actor, "partner_application.submit", app,
           after={"state": app.state, "domains": app.domains, "credit_code": code})
    events.application_submitted.send(app, actor=actor)
    return app


def admit_application(actor, app: PartnerApplication, *, valid_until):
    """Admit with a validity end date, which must lie after today (Shanghai)."""
    if valid_until <= today_shanghai():
        raise ValidationFailed(fields={"valid_until": "有效期截止日期必须晚于今天"})
    _transition(actor, app, "admit", valid_until=valid_until, reason="")
    events.application_admitted.send(app, actor=actor, valid_until=valid_until)
    return app


def reject_application(actor, app: PartnerApplication, *, reason):
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写驳回理由"})
    _transition(actor, app, "reject", reason=reason)
    events.application_rejected.send(app, actor=actor, reason=reason)
    return app


def _listing_for_action(org):
    if org is None or org.kind != OrganisationKind.provider:
        raise NotFound("未找到该服务商")
    app = expire_if_due(queries.latest_application(org.id))
    if app is None:
        raise NotFound("该服务商尚未申请加入伙伴清单")
    return app


def suspend_provider(actor, org, *, reason):
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写暂停理由"})
    app = _transition(actor, _listing_for_action(org), "suspend", reason=reason)
    events.listing_suspended.send(app, actor=actor, reason=reason)
    return app


def reinstate_provider(actor, org, *, note=""):
    app = _transition(actor, _listing_for_action(org), "reinstate", reason=note or "")
    events.listing_reinstated.send(app, actor=actor)
    return app


def remove_provider(actor, org, *, reason):
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写移出理由"})
    app = _transition(actor, _listing_for_action(org), "remove", reason=reason)
    events.listing_removed.send(app, actor=actor, reason=reason)
    return app


def provider_standing(org) -> list[str]:
    """Why this organisation may not act as a listed provider now (empty list: it may)."""
    if org is None or org.kind != OrganisationKind.provider:
        return ["您的账号不属于服务商单位"]
    app = queries.latest_application(org.id)
    if app is None:
        return ["贵单位尚未申请加入伙伴清单"]
    state = app.effective_state
    if state == PartnerState.admitted:
        return []
    reasons = {
        PartnerState.applied: "贵单位的伙伴清单申请尚在审核中",
        PartnerState.rejected: "贵单位的伙伴清单申请未通过",
        PartnerState.suspended: "贵单位的伙伴清单资格已被暂停",
        PartnerState.expired: "贵单位的伙伴清单资格已过期",
        PartnerState.removed: "贵单位已被移出伙伴清单",
    }
    return [reasons[state]]


def _require_listed_provider(actor):
    if actor.role != Role.provider:
        raise NotAllowed("只有服务商用户可以维护解决方案")
    problems = provider_standing(actor.organisation)
    if problems:
        raise Conflict(problems[0] + "，不能发布解决方案")


def _solution_snapshot(solution):
    return {"title": solution.title, "domain": solution.domain, "is_active": solution.is_active}


def _check_domain(domain):
    if domain not in DOMAINS:
        raise ValidationFailed(fields={"domain": "请选择有效的领域"})


def create_solution(actor, *, title, domain, summary):
    """An admitted provider lists a productised solution in the catalogue."""
    _require_listed_provider(actor)
    _check_domain(domain)
    solution = Solution(organisation_id=actor.organisation_id, title=title, domain=domain, summary=summary)
    db.session.add(solution)
    db.session.flush()  # is_active takes its column default only at flush
    record(actor, "solution.create", solution, after=_solution_snapshot(solution))
    return solution


def update_solution(actor, solution, *, title, domain, summary):
    _require_listed_provider(actor)
    _check_domain(domain)
    if not solution.is_active:
        raise Conflict("该解决方案已下架")
    before = _solution_snapshot(solution)
    solution.title, solution.domain, solution.summary = title, domain, summary
    record(actor, "solution.update", solution, before=before, after=_solution_snapshot(solution))
    return solution


def withdraw_solution(actor, solution):
    if not solution.is_active:
        raise Conflict("该解决方案已下架")
    before = _solution_snapshot(solution)
    solution.is_active = False
    record(actor, "solution.withdraw", solution, before=before, after=_solution_snapshot(solution))
    return solution
