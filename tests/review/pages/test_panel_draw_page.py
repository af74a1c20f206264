"""The admin evaluation page's random draw: the panel minimum, the reason a redraw needs, the
draw history."""

from tests.review.pages.conftest import page, submit, text, visible


def test_the_admin_page(world, flow):
    w = world(n_evaluators=4)
    f = flow(w)
    round_id = w.rounds[0].id
    body = page(f.admin, f.manage_url)
    assert "最少人数（3 名）" in body and f'name="d{round_id}-reason"' not in body
    small = submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "2"}, page_url=f.manage_url)
    assert "不能少于本轮专家组最少人数 3 名" in visible(text(small))
    submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "3", f"d{round_id}-seed": "11"},
           page_url=f.manage_url)
    body = page(f.admin, f.manage_url)
    assert f'name="d{round_id}-reason"' in body and "重新抽取" in body and f'for="d{round_id}-reason"' in body
    refused = submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "3", f"d{round_id}-seed": "12"},
                     page_url=f.manage_url)
    assert "重新抽取须说明理由" in visible(text(refused))
    submit(f.admin, f"/admin/rounds/{round_id}/draw",
           {f"d{round_id}-size": "3", f"d{round_id}-seed": "12", f"d{round_id}-reason": "一名专家身体不适"},
           page_url=f.manage_url)
    body = visible(page(f.admin, f.manage_url))
    assert "随机抽取记录（2 次）" in body and "一名专家身体不适" in body
