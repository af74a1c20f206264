"""The 推荐服务商 panel and 为我推荐 pages."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.matching.models import Invitation
from tests.conftest import csrf_token, login, make_client


def test_department_panel_invites_and_provider_opens(app, world, dept):
    client = make_client(app)
    login(client, dept)
    challenge = world["challenge"]
    page = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert f"/challenges/{challenge.id}/matches" in page
    html = client.get(f"/challenges/{challenge.id}/matches").get_data(as_text=True)
    assert html.index("上海数智医联科技有限公司") < html.index("上海健康云数据服务有限公司") < html.index("上海通用软件有限公司")
    for name in ("上海颐康智慧养老科技有限公司", "上海停牌科技有限公司", "上海过期科技有限公司"):
        assert name not in html
    token = csrf_token(client, f"/challenges/{challenge.id}/matches")
    response = client.post(f"/challenges/{challenge.id}/invitations",
                           data={"csrf_token": token, "provider_org_ids": [world["triage"].id, world["care"].id]})
    assert response.status_code == 302
    html = client.get(f"/challenges/{challenge.id}/matches").get_data(as_text=True)
    assert "已邀请 2 家服务商" in html and html.count("未查看") == 2
    assert client.post(f"/challenges/{challenge.id}/invitations", data={"provider_org_ids": [1]}).status_code == 400

    provider = make_client(app)
    login(provider, world["triage_user"])
    listing = provider.get("/me/recommendations").get_data(as_text=True)
    assert challenge.title in listing and "收到的邀请" in listing
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.provider_id == world["triage"].id))
    assert provider.get(f"/invitations/{invitation.id}").status_code == 302
    html = client.get(f"/challenges/{challenge.id}/matches").get_data(as_text=True)
    assert html.count("未查看") == 1
    # Another provider cannot see that invitation, nor the panel.
    other = make_client(app)
    login(other, world["care_user"])
    assert other.get(f"/invitations/{invitation.id}").status_code == 404
    assert other.get(f"/challenges/{challenge.id}/matches").status_code == 404
