"""The public case list (最佳实践案例库, issue 16 item 7): the total, each case's publication date,
and 上一页 on page 2."""

import re

from marketplace.cases import operations as case_ops
from marketplace.extensions import db
from marketplace.projects.states import ProjectStage as S
from tests.page_helpers import page

_PREV_PAGE = re.compile(r'<a class="page-link" href="([^"#]+)">上一页</a>')


def test_case_list_total_dates_and_previous_page(client, make_project, admin):
    for n in range(3):
        project = make_project(S.operation, title=f"便捷就医服务{n}")
        case_ops.publish_case(admin, project, summary=f"案例概述{n}", outcomes="候诊缩短 57%", replication="先试点后推广")
        db.session.commit()
    second = page(client, "/cases?per_page=2&page=2")
    text = re.sub(r"<[^>]+>", "", second)
    assert "共 3 个案例，第 2 / 2 页" in text and "发布于" in text
    assert re.search(r'<time datetime="[^"]+">\d{4}-\d{2}-\d{2}</time>', second)
    previous = _PREV_PAGE.search(second).group(1).replace("&amp;", "&")
    assert "page=1" in previous
    assert len(re.findall(r'href="/cases/\d+"', page(client, previous))) == 2
    assert "共 1 家服务商" in re.sub(r"<[^>]+>", "", page(client, "/excellent-providers"))
