from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.core.forms import EmptyForm
from marketplace.core.pagination import paginate
from marketplace.extensions import db
from marketplace.notifications import bp
from marketplace.notifications import operations as ops


@bp.get("/notifications")
@login_required
def inbox():
    unread_only = request.args.get("unread") == "1"
    page = paginate(ops.inbox_query(current_user, unread_only=unread_only))
    return render_template("notifications/inbox.html", page=page, unread_only=unread_only, action_form=EmptyForm())


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id):
    note = ops.get_own_notification(current_user, notification_id)
    if EmptyForm().validate_on_submit():
        ops.mark_read(current_user, note)
        db.session.commit()
        if note.link and note.link.startswith("/") and not note.link.startswith("//"):
            return redirect(note.link)
    return redirect(url_for("notifications.inbox"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    if EmptyForm().validate_on_submit():
        ops.mark_all_read(current_user)
        db.session.commit()
        flash("已全部标记为已读", "success")
    return redirect(url_for("notifications.inbox"))
