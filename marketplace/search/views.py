from flask import render_template, request

from marketplace.core.domains import DOMAINS
from marketplace.search import bp
from marketplace.search.index import IndexUnavailable
from marketplace.search.query import FACET_LABELS, search


def search_args():
    page = request.args.get("page", "1")
    return {
        "q": request.args.get("q", ""),
        "type": request.args.get("type"),
        "domain": request.args.get("domain"),
        "status": request.args.get("status"),
        "department": request.args.get("department"),
        "page": int(page) if page.isdigit() and len(page) < 6 else 1,
    }


@bp.get("/search")
def results():
    args = search_args()
    try:
        result = search(**args)
        unavailable = False
    except IndexUnavailable:
        result, unavailable = search("", **{k: v for k, v in args.items() if k != "q"}), True
        result.query = args["q"]
    return render_template("search/results.html", result=result, facet_labels=FACET_LABELS,
                           domains=DOMAINS, unavailable=unavailable)
