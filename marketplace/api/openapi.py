"""GET /api/v1/openapi.json — built from the registered routes and their WTForms classes."""

import re

from flask import current_app
from wtforms import fields as f

from marketplace.api import ROUTES, endpoint

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {
        "code": {"type": "string", "example": "validation_failed"},
        "message": {"type": "string", "example": "提交的内容有误，请检查标出的字段"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
}


def _choice_value(choice):
    value = getattr(choice, "value", None)  # a SelectChoice; its value may be "" (a blank option)
    return value if value is not None else choice[0]


def _field_schema(field):
    if isinstance(field, f.FieldList):
        return {"type": "array", "items": _field_schema(field.unbound_field.bind(form=None, name="x", _meta=field.meta))}
    if isinstance(field, f.FormField):
        return _form_schema(field.form_class)[0]
    if isinstance(field, f.SelectMultipleField):
        schema = {"type": "array", "items": {"type": "string"}}
        if field.choices:
            schema["items"]["enum"] = [_choice_value(c) for c in field.choices]
        return schema
    if isinstance(field, f.BooleanField):
        return {"type": "boolean"}
    if isinstance(field, f.IntegerField):
        return {"type": "integer"}
    if isinstance(field, f.DecimalField):
        return {"type": "string", "format": "decimal"}
    if isinstance(field, f.DateTimeLocalField | f.DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, f.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, f.SelectField):
        return {"type": "string", "enum": [_choice_value(c) for c in field.choices or []]}
    if isinstance(field, f.FileField):
        return {"type": "string", "format": "binary"}
    return {"type": "string"}


def _form_schema(form_class):
    from werkzeug.datastructures import MultiDict

    with current_app.test_request_context():
        form = form_class(formdata=MultiDict(), meta={"csrf": False})
    properties, required = {}, []
    for field in form:
        schema = _field_schema(field)
        if field.label and field.label.text:
            schema["description"] = field.label.text
        properties[field.name] = schema
        if field.flags.required:
            required.append(field.name)
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema, required


# Every error answer has the same body (API.md "Conventions"); each is declared once here and
# referenced by the operations it applies to.
ERROR_RESPONSES = {
    "400": ("BadRequest", "请求格式错误（如不是合法的 JSON）"),
    "401": ("Unauthorized", "未登录，或访问令牌无效、已过期、已撤销"),
    "403": ("Forbidden", "当前角色无权执行此操作"),
    "404": ("NotFound", "对象不存在，或您无权查看"),
    "409": ("Conflict", "当前状态下不能执行此操作"),
    "422": ("ValidationFailed", "字段校验失败，fields 给出各字段的中文说明"),
    "429": ("TooManyRequests", "请求过于频繁，请稍后再试（响应头 Retry-After）"),
}
MAX_ID = 2**31 - 1


def _error(status):
    return {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}


def _answers(spec, method, path_params):
    """The status codes an operation may answer with, besides its success."""
    # 401 everywhere: a public route still refuses a malformed or expired bearer token.
    codes = ["400", "401"]
    if spec.roles:
        codes.append("403")
    if path_params:
        codes.append("404")
    writes = method in ("POST", "PUT", "PATCH", "DELETE")
    if writes and spec.endpoint not in ("create_token", "revoke_token"):
        codes.append("409")
    if spec.form is not None or spec.query or writes:
        codes.append("422")
    if spec.throttled:
        codes.append("429")
    return codes


def build_spec():
    paths = {}
    for spec in ROUTES:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", spec.rule)
        path_names = re.findall(r"{(\w+)}", path)
        # <int:…> accepts 1 … 2^31 - 1 only; anything else is a 404 (BoundedIntConverter).
        params = [{"name": n, "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}} for n in path_names]
        params += [{"name": k, "in": "query", "required": False, "description": v,
                    "schema": {"type": "string"}} for k, v in spec.query.items()]
        for method in spec.methods:
            op = {"operationId": f"{spec.endpoint}_{method.lower()}", "summary": spec.summary,
                  "tags": [spec.tag], "parameters": params,
                  "responses": {str(spec.success): {"description": "成功"}}}
            for code in _answers(spec, method, path_names):
                op["responses"][code] = _error(code)
            # Public routes take a token when one is sent (and answer more to it).
            op["security"] = [{"bearer": []}] if spec.auth or spec.roles else [{}, {"bearer": []}]
            if spec.roles:
                op["description"] = "角色：" + "、".join(spec.roles)
            if spec.form is not None:
                content_type = "multipart/form-data" if spec.multipart else "application/json"
                op["requestBody"] = {"required": True, "content": {content_type: {"schema": _form_schema(spec.form)[0]}}}
            paths.setdefault(path, {})[method.lower()] = op
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "揭榜挂帅场景平台 API", "version": "1.0.0",
                 "description": "JSON API v1。时间为 ISO 8601（+08:00），金额为“元”的十进制字符串。"
                                "出错时返回 {\"error\": {\"code\", \"message\", \"fields\"}}，任何输入都不会得到 500。"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {name: {"description": description, "content": error_content}
                          for name, description in ERROR_RESPONSES.values()},
        },
    }


@endpoint("/openapi.json", auth=False, tag="文档", summary="OpenAPI 3 文档")
def openapi_json():
    return build_spec()
