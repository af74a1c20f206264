from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from marketplace.audit import bp
from marketplace.audit.checkpoints import checkpoint_json, latest_checkpoint, published_checkpoints
from marketplace.audit.labels import ACTION_LABELS, OBJECT_LABELS
from marketplace.audit.operations import verify_chain
from marketplace.auditlog.queries import events_query_from_args, present
from marketplace.core.forms import EmptyForm
from marketplace.core.pagination import paginate
from marketplace.core.permissions import require_role


@bp.get("/admin/audit")
@login_required
def log():
    require_role("admin")
    page = paginate(events_query_from_args(), default_per_page=50)
    return render_template("audit/log.html", page=page, rows=present(page.items), verify_form=EmptyForm(),
                           actions=ACTION_LABELS, object_types=OBJECT_LABELS, checkpoint=latest_checkpoint())


@bp.get("/admin/audit/export.xlsx")
@login_required
def export():
    """The filtered log as XLSX, redacted exactly as the page."""
    from marketplace.auditlog.export import workbook_bytes
    from marketplace.core.timeutil import now_utc, to_shanghai

    require_role("admin")
    body, _rows = workbook_bytes(events_query_from_args())
    stamp = to_shanghai(now_utc()).strftime("%Y%m%d-%H%M")
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=audit-log-{stamp}.xlsx"})


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
