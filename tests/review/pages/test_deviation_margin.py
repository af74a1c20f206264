"""Issue 9: the 评分偏离 flag honours DEVIATION_MARGIN instead of a fixed 20 points."""

import csv
import io

import pytest

from tests.review.pages.test_admin_pages import _closed_round


def _deviations(f, round_id, provider_name):
    raw = f.admin.get(f"/rounds/{round_id}/results.csv").get_data().decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(raw)) if r[2] == provider_name)
    return row[6]


@pytest.mark.parametrize(("margin", "flagged"), [("20", [0]), ("10", [0, 1, 2, 3]), ("50", [])])
def test_deviation_flag_uses_the_configured_margin(app, monkeypatch, world, flow, margin, flagged):
    # The second entry's totals: 100 from evaluator 0 and 40 from the other three; the mean is 55,
    # so evaluator 0 strays by 45 points and each of the others by 15.
    monkeypatch.setitem(app.config, "DEVIATION_MARGIN", margin)
    w, f, round_id, _ = _closed_round(world, flow)
    text = _deviations(f, round_id, w.providers[1][0].name)
    for index, evaluator in enumerate(w.evaluators):
        assert (f"评分偏离：{evaluator.name}" in text) == (index in flagged), (margin, text)
