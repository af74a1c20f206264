"""GET /api/v1/openapi.json — built from the registered routes and their WTForms classes."""

import re

from flask import current_app
from wtforms import fields as f

from marketplace.api import ROUTES, endpoint

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
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


def build_spec():
    paths = {}
    for spec in ROUTES:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", spec.rule)
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "integer"}}
                  for n in re.findall(r"{(\w+)}", path)]
        params += [{"name": k, "in": "query", "required": False, "description": v,
                    "schema": {"type": "string"}} for k, v in spec.query.items()]
        for method in spec.methods:
            op = {"operationId": f"{spec.endpoint}_{method.lower()}", "summary": spec.summary,
                  "tags": [spec.tag], "parameters": params,
                  "responses": {str(spec.success): {"description": "成功"},
                                "400": {"description": "请求格式错误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
            if spec.auth:
                op["security"] = [{"bearer": []}]
                op["responses"]["401"] = {"description": "未登录或令牌无效"}
            if spec.roles:
                op["description"] = "角色：" + "、".join(spec.roles)
                op["responses"]["403"] = {"description": "无权执行"}
            if params and any(p["in"] == "path" for p in params):
                op["responses"]["404"] = {"description": "不存在或无权查看"}
            if spec.form is not None:
                content_type = "multipart/form-data" if spec.multipart else "application/json"
                op["requestBody"] = {"required": True, "content": {content_type: {"schema": _form_schema(spec.form)[0]}}}
                op["responses"]["422"] = {"description": "字段校验失败", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            if method in ("POST", "PUT", "PATCH") and spec.rule.rsplit("/", 1)[-1] not in ("token",):
                op["responses"].setdefault("409", {"description": "当前状态下不能执行"})
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "揭榜挂帅场景平台 API", "version": "1.0.0",
                 "description": "JSON API v1。时间为 ISO 8601（+08:00），金额为“元”的十进制字符串。"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }


@endpoint("/openapi.json", auth=False, tag="文档", summary="OpenAPI 3 文档")
def openapi_json():
    return build_spec()
