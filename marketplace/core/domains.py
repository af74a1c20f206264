"""Capability / scenario domains (应用场景领域). Stored and sent as these Chinese names."""

from wtforms import SelectChoice

DOMAINS = (
    "数字治理",
    "普惠民生",
    "医疗",
    "教育",
    "养老",
    "文旅",
    "交通",
    "社区",
    "经济",
)

DOMAIN_CHOICES = [SelectChoice(d, d) for d in DOMAINS]
