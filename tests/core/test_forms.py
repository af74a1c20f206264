"""JSON bodies go through the same WTForms classes as the pages (core.forms)."""

import pytest
from wtforms import BooleanField, DateField, FieldList, FormField, IntegerField, SelectChoice, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from marketplace.core.errors import BadRequest, ValidationFailed
from marketplace.core.forms import BaseForm, MultiCheckboxField, SubForm, clean_text, flatten_json, validate_json
from marketplace.providers.forms import AdmitForm, PartnerApplicationForm


def test_flatten_scalars():
    assert flatten_json({"title": "智慧养老", "slots": 3, "ratio": 0.5}) == [
        ("title", "智慧养老"), ("slots", "3"), ("ratio", "0.5")]


def test_flatten_booleans_and_null():
    assert flatten_json({"is_blind": True, "is_public": False, "note": None}) == [("is_blind", "y")]


def test_flatten_list_of_scalars_repeats_the_key():
    assert flatten_json({"domains": ["养老", "医疗"]}) == [("domains", "养老"), ("domains", "医疗")]
    assert flatten_json({"domains": []}) == []


def test_flatten_nested_lists_of_objects():
    payload = {"rounds": [
        {"name": "方案评审", "criteria": [{"name": "技术方案", "weight": 60}, {"name": "报价", "weight": 40}]},
        {"name": "终期评审", "blind": True, "criteria": []},
    ]}
    assert flatten_json(payload) == [
        ("rounds-0-name", "方案评审"),
        ("rounds-0-criteria-0-name", "技术方案"),
        ("rounds-0-criteria-0-weight", "60"),
        ("rounds-0-criteria-1-name", "报价"),
        ("rounds-0-criteria-1-weight", "40"),
        ("rounds-1-name", "终期评审"),
        ("rounds-1-blind", "y"),
    ]


def test_flatten_mixed_list_uses_indexes():
    assert flatten_json({"x": [1, {"a": 2}, [3]]}) == [("x-0", "1"), ("x-1-a", "2"), ("x-2", "3")]


def test_flatten_nested_object():
    assert flatten_json({"contact": {"name": "王", "phone": "021"}}) == [
        ("contact-name", "王"), ("contact-phone", "021")]


def test_clean_text_drops_control_characters_and_lone_surrogates():
    assert clean_text("  智慧\x00养老\x1f\ud800 ") == "智慧养老"
    assert clean_text("第一行\n第二行\t") == "第一行\n第二行"
    assert clean_text(5) == 5


# --- validate_json with a form like the real ones ----------------------------------------------

class CriterionForm(SubForm):
    name = StringField(validators=[InputRequired("请填写评审标准名称")])
    weight = IntegerField(validators=[InputRequired("请填写权重"), NumberRange(0, 100, "权重应在 0–100 之间")])


class RoundForm(SubForm):
    name = StringField(validators=[InputRequired("请填写轮次名称")])
    blind = BooleanField()
    criteria = FieldList(FormField(CriterionForm), min_entries=1)


class PlanForm(BaseForm):
    title = StringField(validators=[InputRequired("请填写标题")])
    deadline = DateField(validators=[Optional()])
    domains = MultiCheckboxField(choices=[SelectChoice("养老"), SelectChoice("医疗")], validators=[Optional()])
    rounds = FieldList(FormField(RoundForm), min_entries=1)


GOOD = {
    "title": "为老服务一键通",
    "deadline": "2026-09-30",
    "domains": ["养老"],
    "rounds": [{"name": "方案评审", "blind": True,
                "criteria": [{"name": "技术方案", "weight": 60}, {"name": "报价", "weight": 40}]}],
}


def test_validate_json_accepts_nested_data(app):
    form = validate_json(PlanForm, GOOD)
    assert form.title.data == "为老服务一键通"
    assert form.domains.data == ["养老"]
    assert form.rounds[0].form.blind.data is True
    assert [c.form.weight.data for c in form.rounds[0].form.criteria] == [60, 40]


def test_validate_json_false_boolean(app):
    payload = {**GOOD, "rounds": [{**GOOD["rounds"][0], "blind": False}]}
    assert validate_json(PlanForm, payload).rounds[0].form.blind.data is False


def _fields(form_cls, payload):
    with pytest.raises(ValidationFailed) as caught:
        validate_json(form_cls, payload)
    assert caught.value.status == 422
    return caught.value.fields


@pytest.mark.parametrize("payload, field", [
    ({**GOOD, "title": None}, "title"),
    ({**GOOD, "title": {"zh": "标题"}}, "title"),
    ({**GOOD, "deadline": 20260930}, "deadline"),
    ({**GOOD, "deadline": "明天"}, "deadline"),
    ({**GOOD, "deadline": ["2026-09-30", "x"]}, "deadline"),
    ({**GOOD, "title": ["为老服务一键通", "x"]}, None),  # a list for a text field: first value used
    ({**GOOD, "domains": ["火星"]}, "domains"),
    ({**GOOD, "rounds": [{"name": "方案评审", "criteria": [{"name": "技术方案", "weight": "六十"}]}]},
     "rounds.0.criteria.0.weight"),
    ({**GOOD, "rounds": [{"name": "方案评审", "criteria": [{"name": "技术方案", "weight": 160}]}]},
     "rounds.0.criteria.0.weight"),
    ({**GOOD, "rounds": [{"name": "方案评审", "criteria": [{"weight": 10}]}]}, "rounds.0.criteria.0.name"),
    ({**GOOD, "rounds": [{"name": "方案评审", "criteria": [{"name": "技术方案", "weight": True}]}]},
     "rounds.0.criteria.0.weight"),
    ({**GOOD, "rounds": "方案评审"}, "rounds.0.name"),
])
def test_wrong_types_give_field_errors_not_exceptions(app, payload, field):
    if field is None:
        assert validate_json(PlanForm, payload).title.data == "为老服务一键通"
        return
    fields = _fields(PlanForm, payload)
    assert field in fields
    assert any("\u4e00" <= ch <= "\u9fff" for ch in fields[field])


@pytest.mark.parametrize("payload", [None, [], ["title"], "title", 3, True])
def test_non_object_body_is_a_bad_request(app, payload):
    with pytest.raises(BadRequest) as caught:
        validate_json(PlanForm, payload)
    assert caught.value.status == 400


def test_real_partner_application_form(app):
    fields = _fields(PartnerApplicationForm, {"credit_code": "91350100M000100Y44", "domains": "养老",
                                              "qualifications": "ISO", "reference_cases": ["案例"]})
    assert set(fields) == {"credit_code"}
    assert "校验位" in fields["credit_code"]
    form = validate_json(PartnerApplicationForm, {"credit_code": " 91350100m000100y43 ", "domains": ["养老"],
                                                  "qualifications": "ISO", "reference_cases": "案例"})
    assert form.credit_code.data == "91350100M000100Y43"


@pytest.mark.parametrize("payload", [{}, {"credit_code": 123, "domains": {"a": 1}, "qualifications": False,
                                          "reference_cases": None}])
def test_real_partner_application_form_missing_everything(app, payload):
    fields = _fields(PartnerApplicationForm, payload)
    assert {"credit_code", "domains", "qualifications", "reference_cases"} <= set(fields)


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", 5, True, ["x"], {"y": 1}])
def test_real_admit_form_bad_dates(app, value):
    assert "valid_until" in _fields(AdmitForm, {"valid_until": value})


# --- hostile nesting ----------------------------------------------------------------------------

def _nested(depth, leaf=1):
    payload = leaf
    for _ in range(depth):
        payload = {"a": payload}
    return payload


@pytest.mark.parametrize("depth", [50, 950, 5000])
def test_deep_nesting_is_a_bad_request_not_a_recursion_error(app, depth):
    with pytest.raises(BadRequest) as caught:
        validate_json(PlanForm, {"title": "x", "deep": _nested(depth)})
    assert caught.value.status == 400


def test_reasonable_nesting_still_flattens():
    assert flatten_json(_nested(10, "v")) == [("-".join(["a"] * 10), "v")]


@pytest.mark.parametrize("body", [
    '{"a":' * 950 + "1" + "}" * 950,
    '{"a":' * 100000 + "1" + "}" * 100000,
    "[" * 3000 + "]" * 3000,
])
def test_api_body_with_deep_nesting_is_a_400(app, body):
    """Whether the JSON parser or the flattening gives up first, the API answers 400."""
    from marketplace.api import json_body

    request = app.test_request_context("/api/v1/x", method="POST", data=body, content_type="application/json")
    with request, pytest.raises(BadRequest) as caught:
        validate_json(PlanForm, json_body())
    assert caught.value.code == "malformed_json"

