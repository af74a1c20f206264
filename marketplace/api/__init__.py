"""JSON API v1 (see shared/API.md). Bearer tokens only; same operations as the pages.

Every route is declared with `endpoint(...)`, which also records what the OpenAPI document
needs (method, path, summary, request form, auth), so the document follows the real routes.
"""

from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, g, request

from marketplace.core.errors import BadRequest, NotAllowed, NotAuthenticated
from marketplace.core.pagination import page_args
from marketplace.extensions import db

bp = Blueprint("api", __name__)


@dataclass
class RouteSpec:
    rule: str
    methods: tuple
    endpoint: str
    summary: str
    tag: str
    auth: bool
    roles: tuple | None
    form: type | None
    query: dict = field(default_factory=dict)
    success: int = 200
    multipart: bool = False
    throttled: bool = False  # may answer 429 (login throttling)


ROUTES: list[RouteSpec] = []


def _bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Authorization 头格式应为 Bearer <token>", code="invalid_token")
    return token.strip()


def _authenticate():
    from marketplace.accounts.operations import user_for_token

    token = _bearer_token()
    if token is None:
        return None
    user = user_for_token(token)
    if user is None:
        raise NotAuthenticated("访问令牌无效、已过期或已撤销", code="invalid_token")
    return user


def endpoint(rule, methods=("GET",), *, summary, tag, auth=True, roles=None, form=None,
             query=None, success=None, multipart=False, throttled=False):
    methods = tuple(methods)

    def decorator(fn):
        @wraps(fn)
        def view(**kwargs):
            user = _authenticate()
            if auth and user is None:
                raise NotAuthenticated()
            if roles and (user is None or user.role.value not in roles):
                raise NotAllowed()
            g.api_user = user
            result = fn(**kwargs)
            db.session.commit()
            return result

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=list(methods))
        ROUTES.append(RouteSpec(
            rule=rule, methods=methods, endpoint=fn.__name__, summary=summary, tag=tag, auth=auth,
            roles=tuple(roles) if roles else None, form=form, query=query or {},
            success=success or (201 if "POST" in methods and summary.startswith("创建") else 200),
            multipart=multipart, throttled=throttled,
        ))
        return view

    return decorator


def api_user():
    return g.get("api_user")


def json_body():
    """The request's JSON object; 400 for malformed JSON or a non-object body."""
    if not request.get_data(cache=True):
        return {}
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:  # nesting deeper than the parser's stack; `silent` catches ValueError only
        data = None
    if data is None:
        raise BadRequest("请求体不是合法的 JSON", code="malformed_json")
    if not isinstance(data, dict):
        raise BadRequest("请求体必须是 JSON 对象", code="malformed_json")
    return data


def paged(select, serialize):
    page, per_page = page_args(20)
    result = db.paginate(select, page=page, per_page=per_page, error_out=False, count=True)
    return {"items": [serialize(obj) for obj in result.items], "total": result.total,
            "page": page, "per_page": per_page}


from marketplace.api import (  # noqa: E402,F401
    accounts,
    audit,
    challenges,
    matching,
    needs,
    notifications,
    openapi,
    projects,
    providers,
    review,
    search,
    templates,
)
