"""The workbench tests build their worlds through the real operations: the evaluated challenge of
tests/review (`world`) and the project library of tests/projects (`make_project`), re-exported."""

from decimal import Decimal

from marketplace.extensions import db
from marketplace.review import operations as review_ops
from tests.projects.conftest import dept, make_project, provider  # noqa: F401  (fixtures re-exported)
from tests.review.conftest import as_user, world  # noqa: F401  (fixtures re-exported)
from tests.review.pages.conftest import browser  # noqa: F401  (fixture re-exported)


def open_first_round(w, evaluators=None):
    w.scenario.panel(evaluators or w.evaluators, round=1).open_round(round=1)
    return w.rounds[0]


def declare(round_, evaluator):
    review_ops.sign_declaration(evaluator, round_, conflict_provider_ids=[])
    db.session.commit()


def score(round_, evaluator, *, submit=True, declare_first=True):
    """The evaluator scores every entry at 70% of each criterion (no comment needed there)."""
    if declare_first:
        declare(round_, evaluator)
    member = review_ops.require_membership(evaluator, round_)
    review_ops.save_sheet(evaluator, round_, [
        {"submission_id": e.submission_id, "criterion_id": c.id, "points": str(Decimal(c.max_points) * Decimal("0.7"))}
        for e in review_ops.entries_for(member) for c in round_.criteria])
    if submit:
        review_ops.submit_sheet(evaluator, round_)
    db.session.commit()
