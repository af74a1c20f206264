"""Paging helpers shared by pages and the API."""

from flask import request

MAX_PER_PAGE = 100
MAX_PAGE = 100_000


def page_args(default_per_page=20):
    page = request.args.get("page", 1, type=int) or 1
    per_page = request.args.get("per_page", default_per_page, type=int) or default_per_page
    return min(max(page, 1), MAX_PAGE), min(max(per_page, 1), MAX_PER_PAGE)


def paginate(select, default_per_page=20):
    from marketplace.extensions import db

    page, per_page = page_args(default_per_page)
    return db.paginate(select, page=page, per_page=per_page, error_out=False, count=True)
