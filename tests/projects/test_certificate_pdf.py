"""The acceptance certificate (验收证书) as a PDF once the panel has concluded; 404 before."""

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.pdf import PDF_ISSUED, content_sha256
from marketplace.extensions import db
from marketplace.projects import operations as ops
from marketplace.projects.states import ProjectStage
from tests import factories
from tests.conftest import login
from tests.pdf_text import flat, pdf_text, printed_sha
from tests.projects.conftest import pdf

S = ProjectStage


def test_certificate_after_the_panel_concludes(client, new_client, make_project, dept, panel):
    project = make_project(S.acceptance)
    ops.add_document(dept[1], project, stage="acceptance", title="验收报告", upload=pdf())
    acceptance = ops.convene_acceptance(dept[1], project, panel_ids=[u.id for u in panel[:2]],
                                        checklist=[{"item": "功能按合同全部上线"}, {"item": "量化指标达到预期"}])
    db.session.commit()
    login(client, dept[1])
    url = f"/acceptances/{acceptance.id}/certificate.pdf"
    assert client.get(url).status_code == 404  # nothing concluded yet
    assert "下载验收证书" not in client.get(f"/acceptances/{acceptance.id}").get_data(as_text=True)
    for member in panel[:2]:
        ops.sign_acceptance(member, acceptance, conclusion="pass", results={1: (True, "已上线"), 2: (True, "达标")})
    db.session.commit()
    assert "下载验收证书" in client.get(f"/acceptances/{acceptance.id}").get_data(as_text=True)

    text = pdf_text(client.get(url))
    assert "项目验收证书" in text and project.title in text and "第 1 次验收" in text
    assert "功能按合同全部上线" in text and "已上线" in text and "通过" in text
    assert all(m.name in flat(text) for m in panel[:2])
    sha = printed_sha(text)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == PDF_ISSUED)).one()
    assert event.object_type == "acceptance" and event.object_id == acceptance.id
    assert event.after == {"document": "acceptance_certificate", "sha256": sha} and event.actor_id == dept[1].id
    assert sha != content_sha256({})

    # Someone with no business on the project gets a 404, and nothing is recorded for them.
    stranger = factories.create_user("department", org=factories.create_org("department", name="区文化旅游局"))
    db.session.commit()
    other = new_client()
    login(other, stranger)
    assert other.get(url).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == PDF_ISSUED)) == 1
