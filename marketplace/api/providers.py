"""API: partner applications, the provider directory and the solution catalogue."""

from flask import request

from marketplace.accounts.models import Organisation, Role
from marketplace.api import api_user, endpoint, json_body, paged
from marketplace.api.serializers import application_json, provider_json, solution_json
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import NotAllowed, NotFound
from marketplace.core.forms import validate_json
from marketplace.core.permissions import require
from marketplace.extensions import db
from marketplace.providers import operations as ops
from marketplace.providers import permissions, queries
from marketplace.providers.forms import AdmitForm, NoteForm, PartnerApplicationForm, ReasonForm, SolutionForm
from marketplace.providers.models import PartnerApplication, Solution
from marketplace.providers.states import PartnerState

DOMAIN_QUERY = {"domain": "领域，如 养老、医疗", "q": "名称关键词", "page": "页码", "per_page": "每页条数（≤100）"}


def _domain_arg():
    domain = request.args.get("domain")
    return domain if domain in DOMAINS else None


def _q_arg():
    return (request.args.get("q") or "").strip()[:100] or None


@endpoint("/partner-applications", ["POST"], roles=["provider"], form=PartnerApplicationForm,
          tag="伙伴清单", summary="创建伙伴清单申请（服务商）", success=201)
def create_application():
    form = validate_json(PartnerApplicationForm, json_body())
    app = ops.apply_for_partner_list(
        api_user(), credit_code=form.credit_code.data, domains=form.domains.data,
        qualifications=form.qualifications.data, reference_cases=form.reference_cases.data)
    return application_json(app), 201


@endpoint("/partner-applications", ["GET"], roles=["admin", "provider"], tag="伙伴清单",
          summary="伙伴清单申请列表（管理员：全部；服务商：本单位）",
          query={"status": "applied | admitted | rejected | suspended | expired | removed"})
def list_applications():
    user = api_user()
    status = request.args.get("status")
    status = status if PartnerState.get(status) else None
    query = queries.applications_query(state=status)
    if user.role != Role.admin:
        query = query.where(PartnerApplication.organisation_id == user.organisation_id)
    return paged(query, application_json)


def _application(app_id):
    app = db.session.get(PartnerApplication, app_id)
    if app is None or not permissions.can_view_application(api_user(), app):
        raise NotFound()
    return app


@endpoint("/partner-applications/<int:app_id>", tag="伙伴清单", summary="申请详情")
def get_application(app_id):
    return application_json(_application(app_id))


@endpoint("/partner-applications/<int:app_id>/admit", ["POST"], roles=["admin"], form=AdmitForm,
          tag="伙伴清单", summary="准入（管理员），需给出有效期截止日期")
def admit_application(app_id):
    app = _application(app_id)
    form = validate_json(AdmitForm, json_body())
    return application_json(ops.admit_application(api_user(), app, valid_until=form.valid_until.data))


@endpoint("/partner-applications/<int:app_id>/reject", ["POST"], roles=["admin"], form=ReasonForm,
          tag="伙伴清单", summary="驳回（管理员），需给出理由")
def reject_application(app_id):
    app = _application(app_id)
    form = validate_json(ReasonForm, json_body())
    return application_json(ops.reject_application(api_user(), app, reason=form.reason.data))


@endpoint("/providers", auth=False, tag="伙伴清单", summary="服务商名录（已入库且在有效期内）",
          query=DOMAIN_QUERY)
def list_providers():
    return paged(queries.directory_query(domain=_domain_arg(), q=_q_arg()), provider_json)


@endpoint("/providers/<int:org_id>", auth=False, tag="伙伴清单", summary="服务商详情")
def get_provider(org_id):
    org = db.session.get(Organisation, org_id)
    app = queries.latest_application(org_id) if org is not None else None
    if app is None or not permissions.can_view_provider(api_user(), org, app):
        raise NotFound()
    return provider_json(app, solutions=queries.solutions_of(org_id))


def _provider_org(org_id):
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    return org


@endpoint("/providers/<int:org_id>/suspend", ["POST"], roles=["admin"], form=ReasonForm,
          tag="伙伴清单", summary="暂停服务商（管理员）")
def suspend_provider(org_id):
    org = _provider_org(org_id)
    form = validate_json(ReasonForm, json_body())
    return provider_json(ops.suspend_provider(api_user(), org, reason=form.reason.data))


@endpoint("/providers/<int:org_id>/reinstate", ["POST"], roles=["admin"], form=NoteForm,
          tag="伙伴清单", summary="恢复服务商（管理员）")
def reinstate_provider(org_id):
    org = _provider_org(org_id)
    form = validate_json(NoteForm, json_body())
    return provider_json(ops.reinstate_provider(api_user(), org, note=form.note.data))


@endpoint("/providers/<int:org_id>/remove", ["POST"], roles=["admin"], form=ReasonForm,
          tag="伙伴清单", summary="移出清单（管理员）")
def remove_provider(org_id):
    org = _provider_org(org_id)
    form = validate_json(ReasonForm, json_body())
    return provider_json(ops.remove_provider(api_user(), org, reason=form.reason.data))


@endpoint("/catalogue", ["POST"], roles=["provider"], form=SolutionForm, tag="解决方案清单",
          summary="创建解决方案（已入库服务商）", success=201)
def create_solution():
    form = validate_json(SolutionForm, json_body())
    solution = ops.create_solution(api_user(), title=form.title.data, domain=form.domain.data,
                                   summary=form.summary.data)
    return solution_json(solution), 201


@endpoint("/catalogue", auth=False, tag="解决方案清单", summary="解决方案清单", query=DOMAIN_QUERY)
def list_catalogue():
    return paged(queries.catalogue_query(domain=_domain_arg(), q=_q_arg()), solution_json)


def _solution(solution_id):
    solution = db.session.get(Solution, solution_id)
    if solution is None:
        raise NotFound()
    admitted = queries.admitted_listing(solution.organisation_id) is not None
    if not permissions.can_view_solution(api_user(), solution, admitted):
        raise NotFound()
    return solution


@endpoint("/catalogue/<int:solution_id>", auth=False, tag="解决方案清单", summary="解决方案详情")
def get_solution(solution_id):
    return solution_json(_solution(solution_id))


@endpoint("/catalogue/<int:solution_id>", ["PATCH"], roles=["provider"], form=SolutionForm,
          tag="解决方案清单", summary="修改本单位的解决方案")
def update_solution(solution_id):
    solution = _solution(solution_id)
    require(permissions.can_edit_solution(api_user(), solution), hide=True)
    body = {"title": solution.title, "domain": solution.domain, "summary": solution.summary}
    body.update(json_body())
    form = validate_json(SolutionForm, body)
    ops.update_solution(api_user(), solution, title=form.title.data, domain=form.domain.data,
                        summary=form.summary.data)
    return solution_json(solution)


@endpoint("/catalogue/<int:solution_id>/withdraw", ["POST"], roles=["provider"], tag="解决方案清单",
          summary="下架本单位的解决方案")
def withdraw_solution(solution_id):
    solution = _solution(solution_id)
    if not permissions.can_edit_solution(api_user(), solution):
        raise NotAllowed()
    return solution_json(ops.withdraw_solution(api_user(), solution))


