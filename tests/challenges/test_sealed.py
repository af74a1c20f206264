"""Sealed entries: before the deadline only the submitting provider's users see an entry, its files
and its existence; everyone else gets 404. After the deadline the admin and the owning department
may read them; nobody else."""

from datetime import timedelta

import pytest

from tests.challenges.conftest import assert_error, move_deadline, pdf_bytes, upload

ENTRY_TEXT = "密封方案正文-绝不外泄"


@pytest.fixture
def sealed(api, create_challenge, submit_entry, dept, provider, rival):
    """Two entries with one attachment each on a published challenge."""
    _, owner, _ = provider
    _, rival_user, _ = rival
    challenge = create_challenge(dept)
    mine = submit_entry(owner, challenge, summary=ENTRY_TEXT)
    theirs = submit_entry(rival_user, challenge, summary="另一家的方案")
    mine_file = upload(api(owner), f"/submissions/{mine.id}/attachments", pdf_bytes(), "技术方案.pdf").get_json()
    theirs_file = upload(api(rival_user), f"/submissions/{theirs.id}/attachments", pdf_bytes(), "报价.pdf").get_json()
    return {"challenge": challenge, "mine": mine, "theirs": theirs, "mine_file": mine_file["id"],
            "theirs_file": theirs_file["id"], "owner": owner, "rival": rival_user}


@pytest.fixture
def outsiders(create_user, create_provider, admin, other_dept):
    _, other_provider, _ = create_provider(admin=admin)
    return {"other provider": other_provider, "evaluator": create_user("evaluator"), "admin": admin,
            "other department": other_dept}


def _probe_ids(*ids):
    low, high = min(ids), max(ids)
    return range(max(1, low - 2), high + 4)


def test_owner_sees_its_entry_and_file(api, browser, sealed):
    as_owner = api(sealed["owner"])
    data = as_owner.get(f"/submissions/{sealed['mine'].id}").get_json()
    assert data["summary"] == ENTRY_TEXT and data["files"][0]["id"] == sealed["mine_file"]
    assert as_owner.get(f"/files/{sealed['mine_file']}").status_code == 200
    page = browser(sealed["owner"])
    assert ENTRY_TEXT in page.get(f"/submissions/{sealed['mine'].id}").get_data(as_text=True)
    assert page.get(f"/files/{sealed['mine_file']}").status_code == 200
    # …but not the rival's, in the same challenge.
    assert_error(as_owner.get(f"/submissions/{sealed['theirs'].id}"), 404)
    assert_error(as_owner.get(f"/files/{sealed['theirs_file']}"), 404)
    assert page.get(f"/submissions/{sealed['theirs'].id}").status_code == 404
    assert page.get(f"/files/{sealed['theirs_file']}").status_code == 404


def test_before_the_deadline_everyone_else_gets_404(api, browser, sealed, outsiders, dept):
    mine = sealed["mine"]
    people = {**outsiders, "department": dept, "rival": sealed["rival"]}
    submission_ids = _probe_ids(mine.id, sealed["theirs"].id)
    file_ids = _probe_ids(sealed["mine_file"], sealed["theirs_file"])
    for who, user in people.items():
        as_user = api(user)
        own = {"rival": (sealed["theirs"].id, sealed["theirs_file"])}.get(who, (None, None))
        bodies = set()
        for submission_id in submission_ids:
            if submission_id != own[0]:
                response = as_user.get(f"/submissions/{submission_id}")
                assert response.status_code == 404, (who, submission_id)
                assert_error(response, 404)
                bodies.add(response.get_data())
        for file_id in file_ids:
            if file_id != own[1]:
                response = as_user.get(f"/files/{file_id}")
                assert response.status_code == 404, (who, file_id)
                bodies.add(response.get_data())
        assert len(bodies) == 1, f"{who}: an existing sealed entry must answer exactly as a missing one"
        # Changing it is 404 as well, never 403.
        if user.role.value == "provider":
            assert_error(as_user.put(f"/submissions/{mine.id}", json={"summary": "篡改"}), 404)
            assert_error(as_user.post(f"/submissions/{mine.id}/withdraw"), 404)
            assert_error(upload(as_user, f"/submissions/{mine.id}/attachments", pdf_bytes(), "x.pdf"), 404)
    assert api(sealed["owner"]).get(f"/submissions/{mine.id}").get_json()["summary"] == ENTRY_TEXT
    assert api(sealed["owner"]).get(f"/submissions/{mine.id}").get_json()["version"] == 2


def test_before_the_deadline_pages_and_file_urls_are_404(browser, sealed, outsiders, dept):
    for who, user in {**outsiders, "department": dept}.items():
        page = browser(user)
        for submission_id in _probe_ids(sealed["mine"].id, sealed["theirs"].id):
            assert page.get(f"/submissions/{submission_id}").status_code == 404, who
            assert page.get(f"/submissions/{submission_id}/edit").status_code == 404, who
        for file_id in _probe_ids(sealed["mine_file"], sealed["theirs_file"]):
            response = page.get(f"/files/{file_id}")
            assert response.status_code == 404 and b"%PDF" not in response.get_data(), who
        detail = page.get(f"/challenges/{sealed['challenge'].id}").get_data(as_text=True)
        assert ENTRY_TEXT not in detail and "另一家的方案" not in detail, who


def test_public_gets_404_or_401(api, browser, sealed):
    anonymous = api()
    for submission_id in _probe_ids(sealed["mine"].id, sealed["theirs"].id):
        assert anonymous.get(f"/submissions/{submission_id}").status_code in (401, 404)
    for file_id in _probe_ids(sealed["mine_file"], sealed["theirs_file"]):
        assert_error(anonymous.get(f"/files/{file_id}"), 404)
        assert browser().get(f"/files/{file_id}").status_code == 404
    assert anonymous.get(f"/challenges/{sealed['challenge'].id}/submissions").status_code in (401, 404)
    page = browser().get(f"/submissions/{sealed['mine'].id}")
    assert page.status_code in (302, 404)


def test_counts_before_the_deadline(api, browser, sealed, dept, admin, outsiders):
    challenge_id = sealed["challenge"].id
    # The entries list is for the admin and the owning department; others learn nothing from it.
    for who in ("other provider", "evaluator", "other department"):
        response = api(outsiders[who]).get(f"/challenges/{challenge_id}/submissions")
        assert response.status_code in (403, 404), who
        assert ENTRY_TEXT not in response.get_data(as_text=True) and "items" not in response.get_json()
    assert api().get(f"/challenges/{challenge_id}").get_json()["submission_count"] is None
    assert api(sealed["owner"]).get(f"/challenges/{challenge_id}").get_json()["submission_count"] is None
    assert api(outsiders["evaluator"]).get(f"/challenges/{challenge_id}").get_json()["submission_count"] is None
    public_list = api().get("/challenges").get_json()["items"]
    assert [c["submission_count"] for c in public_list] == [None]
    for user in (dept, admin):
        assert api(user).get(f"/challenges/{challenge_id}").get_json()["submission_count"] == 2
        listing = api(user).get(f"/challenges/{challenge_id}/submissions")
        assert listing.status_code == 200
        body = listing.get_json()
        assert body["items"] == [] and body["sealed"] is True and body["submission_count"] == 2
        assert ENTRY_TEXT not in listing.get_data(as_text=True)
    # The page shows the department only the number.
    page = browser(dept)
    detail = page.get(f"/challenges/{challenge_id}").get_data(as_text=True)
    assert 'data-testid="submission-count">2<' in detail and ENTRY_TEXT not in detail
    listing_page = page.get(f"/challenges/{challenge_id}/submissions")
    assert listing_page.status_code == 302  # back to the detail page: sealed
    assert 'data-testid="submission-count"' not in browser().get(f"/challenges/{challenge_id}").get_data(as_text=True)


def test_after_the_deadline_admin_and_department_read_entries(api, browser, sealed, dept, admin, outsiders):
    move_deadline(sealed["challenge"], -timedelta(seconds=1))
    challenge_id = sealed["challenge"].id
    assert api().get(f"/challenges/{challenge_id}").get_json()["status"] == "closed"
    for user in (dept, admin):
        as_user = api(user)
        data = as_user.get(f"/submissions/{sealed['mine'].id}").get_json()
        assert data["summary"] == ENTRY_TEXT
        assert "receipt" not in data and "versions" not in data
        file_response = as_user.get(f"/files/{sealed['mine_file']}")
        assert file_response.status_code == 200 and file_response.get_data() == pdf_bytes()
        listing = as_user.get(f"/challenges/{challenge_id}/submissions").get_json()
        assert listing["sealed"] is False and {s["id"] for s in listing["items"]} == {
            sealed["mine"].id, sealed["theirs"].id}
        page = browser(user)
        assert ENTRY_TEXT in page.get(f"/submissions/{sealed['mine'].id}").get_data(as_text=True)
        assert sealed["mine"].entry_number in page.get(f"/challenges/{challenge_id}/submissions").get_data(as_text=True)
        assert page.get(f"/files/{sealed['mine_file']}").status_code == 200
    assert api().get(f"/challenges/{challenge_id}").get_json()["submission_count"] == 2


def test_after_the_deadline_others_still_get_404(api, browser, sealed, outsiders):
    move_deadline(sealed["challenge"], -timedelta(seconds=1))
    for who in ("other provider", "evaluator", "other department"):
        as_user = api(outsiders[who])
        for submission_id in (sealed["mine"].id, sealed["theirs"].id):
            assert_error(as_user.get(f"/submissions/{submission_id}"), 404)
        for file_id in (sealed["mine_file"], sealed["theirs_file"]):
            assert_error(as_user.get(f"/files/{file_id}"), 404)
        page = browser(outsiders[who])
        assert page.get(f"/submissions/{sealed['mine'].id}").status_code == 404, who
        assert page.get(f"/files/{sealed['mine_file']}").status_code == 404, who
        response = as_user.get(f"/challenges/{sealed['challenge'].id}/submissions")
        assert response.status_code in (403, 404) and ENTRY_TEXT not in response.get_data(as_text=True)


def test_withdrawn_entry_stays_with_its_owner(api, sealed, dept, admin):
    as_owner = api(sealed["owner"])
    assert as_owner.post(f"/submissions/{sealed['mine'].id}/withdraw").status_code == 200
    assert as_owner.get(f"/submissions/{sealed['mine'].id}").get_json()["status"] == "withdrawn"
    assert api(dept).get(f"/challenges/{sealed['challenge'].id}").get_json()["submission_count"] == 1
    assert_error(api(admin).get(f"/submissions/{sealed['mine'].id}"), 404)
