from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from marketplace.audit import bp
from marketplace.audit.operations import verify_chain
from marketplace.audit.queries import events_query_from_args
from marketplace.core.forms import EmptyForm
from marketplace.core.pagination import paginate
from marketplace.core.permissions import require_role


@bp.get("/admin/audit")
@login_required
def log():
    require_role("admin")
    page = paginate(events_query_from_args(), default_per_page=50)
    return render_template("audit/log.html", page=page, verify_form=EmptyForm())


@bp.post("/admin/audit/verify")
@login_required
def verify():
    require_role("admin")
    if EmptyForm().validate_on_submit():
        result = verify_chain()
        if result.ok:
            flash(f"审计链完整：共 {result.events} 条事件，未发现改动或删除。", "success")
        else:
            flash(f"审计链被破坏：第一个异常事件 id={result.first_bad_id}（{result.reason}）", "danger")
    return redirect(url_for("audit.log"))
