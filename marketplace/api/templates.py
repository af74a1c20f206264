"""API: the evaluation template library (评审方案模板, issue 13)."""

from marketplace.api import api_user, endpoint, json_body
from marketplace.challenges.forms import encode_plan
from marketplace.core.errors import BadRequest
from marketplace.core.forms import validate_json
from marketplace.review import templates
from marketplace.review.forms import TemplateForm


def template_payload(body):
    """The JSON body with its plan encoded for the flattened form fields."""
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象", code="malformed_json")
    return {**body, "rounds": encode_plan(body.get("rounds"))}


@endpoint("/evaluation-templates", roles=["department", "admin"], tag="评审方案模板",
          summary="评审方案模板列表（每个模板的当前版本）")
def list_templates():
    return {"items": [templates.template_json(t) for t in templates.current_templates()]}


@endpoint("/evaluation-templates/<int:template_id>", roles=["department", "admin"], tag="评审方案模板",
          summary="评审方案模板详情（当前版本）及历史版本号")
def get_template(template_id):
    template = templates.get_current(template_id)
    return {**templates.template_json(template), "versions": [t.version for t in templates.versions(template_id)]}


@endpoint("/evaluation-templates", ["POST"], roles=["admin"], form=TemplateForm, tag="评审方案模板",
          summary="创建评审方案模板（管理员）", success=201)
def create_template():
    form = validate_json(TemplateForm, template_payload(json_body()))
    template = templates.create_template(api_user(), name=form.name.data, description=form.description.data or "",
                                         rounds=templates.plan_json(form.plan()))
    return templates.template_json(template), 201


@endpoint("/evaluation-templates/<int:template_id>", ["PUT"], roles=["admin"], form=TemplateForm, tag="评审方案模板",
          summary="修改评审方案模板（生成新版本；已创建的榜单不受影响）")
def edit_template(template_id):
    template = templates.get_current(template_id)
    form = validate_json(TemplateForm, template_payload(json_body()))
    new = templates.edit_template(api_user(), template, name=form.name.data, description=form.description.data or "",
                                  rounds=templates.plan_json(form.plan()))
    return templates.template_json(new)


@endpoint("/evaluation-templates/<int:template_id>/versions", roles=["admin"], tag="评审方案模板",
          summary="评审方案模板的全部版本（新到旧）：每版相对上一版的改动，以及复制了该版本的榜单（管理员）")
def template_versions(template_id):
    from marketplace.core.timeutil import isoformat

    return {"items": [{**templates.template_json(h["template"]), "current": h["template"].current,
                       "created_at": isoformat(h["template"].created_at), "changes": h["changes"],
                       "challenges": [{"id": c.id, "title": c.title, "status": c.state.value} for c in h["challenges"]]}
                      for h in templates.history(template_id)]}
