"""API: public full-text search over challenges, the provider directory and the catalogue."""

from marketplace.api import endpoint
from marketplace.core.errors import DomainError
from marketplace.search.index import IndexUnavailable
from marketplace.search.query import search
from marketplace.search.views import search_args


class SearchUnavailable(DomainError):
    status = 503


@endpoint("/search", auth=False, tag="搜索", summary="全文搜索公开信息（榜单、服务商名录、解决方案清单）",
          query={"q": "关键词（中文分词，如 养老、一网通办、5G）", "type": "challenge | provider | solution | case | notice",
                 "domain": "领域", "status": "状态（如 征集中）", "department": "发榜单位名称", "page": "页码（每页 10 条）"})
def search_public():
    try:
        result = search(**search_args())
    except IndexUnavailable as exc:
        raise SearchUnavailable("搜索服务暂时不可用，请稍后再试", code="search_unavailable") from exc
    return {
        "items": [hit.as_json() for hit in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "facets": result.facets,
        "suggestion": result.suggestion,
        # true while the index is missing or being rebuilt: titles of challenges only, from the database
        "rebuilding": result.rebuilding,
    }
