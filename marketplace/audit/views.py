from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from marketplace.audit import bp
from marketplace.audit.checkpoints import checkpoint_json, published_checkpoints
from marketplace.audit.operations import verify_chain
from marketplace.audit.queries import events_query_from_args, present
from marketplace.core.forms import EmptyForm
from marketplace.core.pagination import paginate
from marketplace.core.permissions import require_role


@bp.get("/admin/audit")
@login_required
def log():
    require_role("admin")
    page = paginate(events_query_from_args(), default_per_page=50)
    return render_template("audit/log.html", page=page, rows=present(page.items), verify_form=EmptyForm())


@bp.post("/admin/audit/verify")
@login_required
def verify():
    require_role("admin")
    if EmptyForm().validate_on_submit():
        result = verify_chain()
        flash(result.message, "success" if result.ok else "danger")
    return redirect(url_for("audit.log"))


@bp.get("/audit/checkpoints")
def checkpoints():
    """Public: the daily checkpoints of the audit chain, for anyone to archive."""
    items = published_checkpoints()
    if request.args.get("format") == "json":
        return _json([checkpoint_json(c) for c in items])
    return render_template("audit/checkpoints.html", items=items)


@bp.get("/audit/checkpoints.json")
def checkpoints_json():
    return _json([checkpoint_json(c) for c in published_checkpoints()])


def _json(items):
    response = jsonify({"items": items, "total": len(items)})
    # Archivers should always get the current list, never a cached one.
    response.headers["Cache-Control"] = "no-cache"
    return response
