"""Form base classes shared by the HTML pages and the JSON API.

The API validates a JSON body with the same WTForms class as the page: `validate_json`
flattens the JSON into form data (lists → repeated keys, nested objects → `a-0-b` names, as
FieldList/FormField expect), so every field rule and Chinese message exists once.
"""

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField, SelectMultipleField, widgets
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, StopValidation

from marketplace.core.errors import BadRequest, Conflict, NotAllowed, ValidationFailed
from marketplace.core.inputs import UNSAFE_CHARS, valid_id

ID_MESSAGE = "请填写有效的编号"


def clean_text(value):
    """Strip surrounding space and drop control characters and lone surrogates."""
    if isinstance(value, str):
        return UNSAFE_CHARS.sub("", value).strip()
    return value


class RequiredAfterCleaning(InputRequired):
    """InputRequired that judges the cleaned value: "   " is nothing typed, not an amount or a
    name (InputRequired alone looks at the raw input, so a space got past it)."""

    def __call__(self, form, field):
        super().__call__(form, field)
        if isinstance(field.data, str) and not field.data:
            field.errors[:] = []
            raise StopValidation(self.message or field.gettext("This field is required."))


def ids_in_range(form, field):
    """Every `*_id` / `*_ids` field: ids the database can hold (1 … 2^31 - 1), else a field error
    before any validator or operation looks the id up (a driver overflow was a 500)."""
    data = field.data
    values = data if isinstance(data, list | tuple) else [data]
    if any(isinstance(v, int) and not valid_id(v) for v in values):
        field.data = [] if isinstance(data, list | tuple) else None
        raise StopValidation(ID_MESSAGE)


class _CleanMeta:
    locales = ("zh",)  # WTForms' own messages ("不是有效的日期值。") in Chinese

    def bind_field(self, form, unbound_field, options):
        # Cleaning, "required" and id ranges are added here, for every field of every form, so
        # that no field can forget them. FieldList and FormField refuse filters; their enclosed
        # fields get cleaned instead.
        if issubclass(unbound_field.field_class, FieldList | FormField):
            return unbound_field.bind(form=form, **options)
        kwargs = dict(unbound_field.kwargs)
        filters = kwargs.get("filters", ())
        if clean_text not in filters:
            kwargs["filters"] = (clean_text, *filters)
        args = list(unbound_field.args)
        if len(args) > 1:  # validators given positionally
            kwargs["validators"], args = args[1], args[:1]
        validators = [RequiredAfterCleaning(v.message) if type(v) is InputRequired else v
                      for v in kwargs.get("validators") or ()]
        if options.get("name", "").endswith(("_id", "_ids")):
            validators.append(ids_in_range)
        if validators:
            kwargs["validators"] = validators
        return UnboundField(unbound_field.field_class, *args, **kwargs).bind(form=form, **options)


class BaseForm(FlaskForm):
    """HTML forms: CSRF-protected, every text field cleaned."""

    class Meta(_CleanMeta, FlaskForm.Meta):
        pass


class SubForm(Form):
    """Nested forms inside FieldList/FormField (the parent carries the CSRF token)."""

    class Meta(_CleanMeta, Form.Meta):
        pass


class EmptyForm(BaseForm):
    """A CSRF-only form for POST buttons."""


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args, **kwargs):
        # WTForms' zh catalogue lacks this (plural) message; without it the API answers in English.
        kwargs.setdefault("invalid_choice_message", lambda count: "包含无效的选项")
        super().__init__(*args, **kwargs)


MAX_JSON_DEPTH = 20  # our deepest form (rounds → criteria) needs 4; deeper is an attack


def flatten_json(payload, prefix="", _depth=0):
    if _depth > MAX_JSON_DEPTH:
        raise BadRequest("请求体的嵌套层级过深", code="malformed_json")
    items = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            name = f"{prefix}-{key}" if prefix else str(key)
            items.extend(flatten_json(value, name, _depth + 1))
    elif isinstance(payload, list):
        if any(isinstance(v, dict | list) for v in payload):
            for index, value in enumerate(payload):
                items.extend(flatten_json(value, f"{prefix}-{index}", _depth + 1))
        else:
            for value in payload:
                items.extend(flatten_json(value, prefix, _depth + 1))
    elif payload is None:
        pass
    elif isinstance(payload, bool):
        if payload:
            items.append((prefix, "y"))
    else:
        items.append((prefix, str(payload)))
    return items


def form_errors(form):
    """{field: first message}, nested names joined by dots (rounds.0.criteria.1.weight).

    Walks the fields themselves rather than `form.errors`, so errors that a form-level validator
    adds to nested fields after they were validated are reported too.
    """
    from wtforms.fields import FieldList, FormField

    out = {}

    def walk(fields, prefix):
        for field in fields:
            name = f"{prefix}.{field.short_name}" if prefix else field.short_name
            if isinstance(field, FieldList):
                for index, entry in enumerate(field.entries):
                    if isinstance(entry, FormField):
                        walk(entry.form, f"{name}.{index}")
                    elif entry.errors:
                        out.setdefault(f"{name}.{index}", entry.errors[0])
                own = [e for e in field.errors if isinstance(e, str)]
            elif isinstance(field, FormField):
                walk(field.form, name)
                own = field.form.form_errors
            else:
                own = [e for e in field.errors if isinstance(e, str)]
            if own:
                out.setdefault(name, own[0])

    walk(form, "")
    if getattr(form, "form_errors", None):
        out.setdefault("form", form.form_errors[0])
    return out


def validate_json(form_cls, payload, **kwargs):
    """Build and validate `form_cls` from a JSON object; ValidationFailed (422) with fields."""
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", code="malformed_json")
    form = form_cls(formdata=MultiDict(flatten_json(payload)), meta={"csrf": False}, **kwargs)
    if not form.validate():
        raise ValidationFailed(fields=form_errors(form))
    return form


def apply_field_errors(form, exc: ValidationFailed):
    """Show an operation's field errors next to the fields of an HTML form."""
    placed = False
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
            placed = True
    return placed


def commit_operation(form, operation):
    """Run one operation for a validated form and commit it.

    Field errors the operation raises (ValidationFailed) roll the transaction back and are shown
    at the form's fields. Returns (ok, the operation's result).
    """
    from marketplace.extensions import db

    try:
        result = operation()
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return False, None
    return True, result


def place_refusal(form, exc):
    """Put a refusal on the form: field errors at their fields, everything else (a message about
    the whole form, a field the form does not show) at the top of the form (`form.form_errors`,
    shown by the form_errors macro)."""
    fields = getattr(exc, "fields", None) or {}
    form.refused_fields = fields  # for inputs drawn outside the form class (a page may place them)
    unplaced = [message for name, message in fields.items() if getattr(form, name, None) is None]
    apply_field_errors(form, exc)
    if not fields or unplaced:
        top = list(getattr(form, "form_errors", None) or [])
        for message in unplaced or [exc.message]:
            if message not in top:
                top.append(message)
        form.form_errors = top


# Refusals a page answers by showing the form again (never 404s: they hide what one may not see).
KEPT_ON_FORM = (ValidationFailed, Conflict, NotAllowed, BadRequest)


def run_form(form, operation):
    """Run one operation for a validated form and commit it; a refusal never loses what was typed.

    Returns (result, None) on success. On a refusal (field errors, the deadline passed, a state
    conflict, not allowed) the transaction rolls back, the reason is placed on the form
    (place_refusal) and (None, status) comes back: the caller renders the form again with that
    status, the typed values still in it."""
    from marketplace.extensions import db

    try:
        result = operation()
        db.session.commit()
    except KEPT_ON_FORM as exc:
        db.session.rollback()
        place_refusal(form, exc)
        return None, exc.status
    return result, None


def errors_text(form) -> str:
    """All of a form's messages in one line, for a flash after a POST-only button."""
    return "；".join(e for errors in form.errors.values() for e in errors if isinstance(e, str))


REFUSAL_CATEGORY = {409: "warning", 410: "warning"}  # the state moved on; else "danger"


def flash_refusal(exc):
    """Flash a refusal's Chinese reason (its field messages, or its message) for a page that
    goes back to where the button was: a state conflict as a warning, anything else as an error."""
    from flask import flash

    flash("；".join(dict.fromkeys(exc.fields.values())) if exc.fields else exc.message,
          REFUSAL_CATEGORY.get(exc.status, "danger"))


def commit_and_flash(operation, success):
    """For a POST-only button: run one operation, commit and flash `success` (a message, or a
    function of the operation's result). A refusal (field errors, a state conflict — another
    admin clicked first, the deadline passed —, not allowed now) rolls back and its reason is
    flashed instead, so the caller's redirect lands back on the page the button was on rather
    than on a bare error page. NotFound still goes on to the 404 page (it hides what one may
    not see). Returns ok."""
    from flask import flash

    from marketplace.extensions import db

    try:
        result = operation()
        db.session.commit()
    except KEPT_ON_FORM as exc:
        db.session.rollback()
        flash_refusal(exc)
        return False
    flash(success(result) if callable(success) else success, "success")
    return True
