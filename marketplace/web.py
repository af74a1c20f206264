"""Cross-cutting web concerns: error pages and JSON errors, security headers, template helpers."""

import logging
import time
from urllib.parse import urlsplit

from flask import redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from marketplace.core import money, timeutil
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import DomainError
from marketplace.core.forms import KEPT_ON_FORM, flash_refusal
from marketplace.core.markup import render_markdown
from marketplace.extensions import db

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有执行此操作的权限"),
    404: ("not_found", "未找到该页面或对象，或您无权查看"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "当前状态下不能执行此操作"),
    413: ("payload_too_large", "上传内容过大"),
    422: ("validation_failed", "提交的内容有误"),
    429: ("too_many_requests", "操作过于频繁，请稍后再试"),
    500: ("server_error", "服务器内部错误，请稍后再试"),
}


def wants_json():
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status, code, message, fields=None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return body, status
    template = f"errors/{status}.html" if status in (403, 404, 409, 500) else "errors/error.html"
    return render_template(template, status=status, message=message, fields=fields or {}), status


BUTTON_FIELDS = {"csrf_token", "next"}


def button_origin():
    """For a refused POST button (a form that carried nothing typed: only its CSRF token), the
    page the button was on (the same-origin Referer, path and query), else None."""
    if wants_json() or request.method != "POST" or request.files or set(request.form) - BUTTON_FIELDS:
        return None
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/") or referrer.path == request.path:
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def register_errorhandlers(app):
    @app.errorhandler(DomainError)
    def handle_domain_error(exc):
        db.session.rollback()
        # A button refused (two admins clicked at once, the state moved on) that its view did not
        # answer itself: back on the page it was on with the reason, never a bare error page.
        if isinstance(exc, KEPT_ON_FORM) and (origin := button_origin()):
            flash_refusal(exc)
            return redirect(origin, 303)
        body, status = error_response(exc.status, exc.code, exc.message, exc.fields)
        return body, status, getattr(exc, "headers", None) or {}

    @app.errorhandler(CSRFError)
    def handle_csrf(exc):
        return error_response(400, "csrf_failed", "表单已过期或缺少安全令牌，请刷新页面后重试")

    @app.errorhandler(HTTPException)
    def handle_http(exc):
        code, message = HTTP_MESSAGES.get(exc.code, ("error", exc.description or "请求无法处理"))
        if exc.code == 413:
            limit = app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)
            message = f"上传内容过大，单个文件不能超过 {limit} MB"
        response = error_response(exc.code or 500, code, message)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            return response[0], response[1], {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "server_error", HTTP_MESSAGES[500][1])


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class DeadlineClock:
    """When this process next has to look for challenges past their deadline.

    Checking on every request cost a query per request. Instead each process remembers the
    earliest deadline of a published challenge (capped at RECHECK seconds, which covers changes
    made by other processes: a new deadline is always at least a minute away) and does nothing
    before it. Any change to a challenge seen by this process (challenges/watch.py) makes the
    next request look again."""

    RECHECK = 30.0

    def __init__(self):
        self.next_check = 0.0

    def invalidate(self):
        self.next_check = 0.0

    def due(self, now):
        return now >= self.next_check

    def schedule(self, now, earliest_deadline):
        until = now + self.RECHECK
        if earliest_deadline is not None:
            until = min(until, earliest_deadline.timestamp())
        self.next_check = until


deadline_clock = DeadlineClock()


def register_deadline_sync(app):
    """Deadlines close challenges on the first request after them — no cron job needed — at
    the cost of one indexed query per process every DeadlineClock.RECHECK seconds, not one
    per request."""
    from marketplace.challenges import watch

    watch.install(db)
    watch.on_change(deadline_clock.invalidate)

    @app.before_request
    def close_due_challenges():
        if request.endpoint in (None, "static", "main.healthz", "prometheus_metrics"):
            return
        now = time.time()
        if not deadline_clock.due(now):
            return
        import sqlalchemy as sa

        from marketplace.challenges.models import Challenge
        from marketplace.challenges.operations import close_due_challenges as close_due
        from marketplace.challenges.states import ChallengeState

        earliest = sa.select(sa.func.min(Challenge.deadline)).where(Challenge.state == ChallengeState.published)
        first = db.session.scalar(earliest)
        if first is not None and first.timestamp() <= now:
            if close_due():
                db.session.commit()
            first = db.session.scalar(earliest)
        deadline_clock.schedule(time.time(), first)


def register_security_headers(app):
    @app.before_request
    def refuse_nul_in_query():
        # PostgreSQL text cannot hold NUL: a query string carrying one is malformed input (400),
        # not a database error (500) in every view that filters by a query argument.
        if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
            return error_response(400, "bad_request", HTTP_MESSAGES[400][1])

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if current_user and getattr(current_user, "is_authenticated", False):
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def register_template_helpers(app):
    app.jinja_env.filters["dt"] = timeutil.format_datetime
    app.jinja_env.filters["until"] = timeutil.format_until
    app.jinja_env.filters["yuan"] = money.format_yuan
    app.jinja_env.filters["label"] = lambda value: getattr(value, "label", value) if value is not None else ""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["iso"] = timeutil.isoformat
    app.jinja_env.filters["dict_without"] = lambda d, *keys: {k: v for k, v in d.items() if k not in keys}
    # A global, not only a context variable: macros imported without context (domain_filter) need it.
    app.jinja_env.globals["DOMAINS"] = DOMAINS

    @app.context_processor
    def inject():
        def unread_notifications():
            from marketplace.notifications.operations import unread_count

            if current_user.is_authenticated:
                return unread_count(current_user)
            return 0

        return {"DOMAINS": DOMAINS, "unread_notifications": unread_notifications}
