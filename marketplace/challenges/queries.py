"""Read side of challenges. The public list is the busiest page: it pages by keyset (a cursor
holding the last row's sort key and id), so page 5,000 costs what page 1 costs; 上一页 seeks
the same way backwards. The total above the list is one count over the filtered rows."""

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.challenges import watch
from marketplace.challenges.models import Challenge, ChallengeFollow, Question
from marketplace.challenges.states import LISTED_STATES, PUBLIC_STATES, ChallengeState
from marketplace.core.domains import DOMAINS
from marketplace.core.money import parse_yuan, yuan_to_fen
from marketplace.extensions import db

SORTS = {
    # name: (column, descending, label)
    "newest": (Challenge.published_at, True, "最新发布"),
    "deadline": (Challenge.deadline, False, "截止时间最近"),
    "budget": (Challenge.budget_fen, True, "预算最高"),
}


@dataclass
class ChallengeFilters:
    status: str | None = None
    domain: str | None = None
    department_id: int | None = None
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    q: str | None = None
    sort: str = "newest"
    owner_id: int | None = None  # only this department's challenges (its own drafts)
    status_error: str | None = None  # a status the caller may not list: a field error, never all

    @classmethod
    def from_args(cls, args, *, public=True, own_department_id=None):
        """`public`: only the public states may be asked for; a department (`own_department_id`)
        may also ask for its own challenges in the other states (draft, pending review)."""
        status = args.get("status") or None
        allowed = {s.value for s in (PUBLIC_STATES if public else ChallengeState)}
        owner_id = status_error = None
        if status is not None and status not in allowed:
            if own_department_id is not None and ChallengeState.get(status) is not None:
                owner_id = own_department_id
            else:
                status_error = ("只能按公开榜单的状态筛选" if ChallengeState.get(status) is not None
                                else "状态取值无效")
                status = None
        department = args.get("department", type=int) or args.get("department_id", type=int)

        def money(name):
            try:
                return yuan_to_fen(parse_yuan(args.get(name))) if args.get(name) else None
            except ValueError:
                return None

        sort = args.get("sort")
        return cls(
            status=status, owner_id=owner_id, status_error=status_error,
            domain=args.get("domain") if args.get("domain") in DOMAINS else None,
            department_id=department if department and 0 < department < 2**31 else None,
            budget_min_fen=money("budget_min"), budget_max_fen=money("budget_max"),
            q=(args.get("q") or "").strip()[:100] or None,
            sort=sort if sort in SORTS else "newest",
        )


def _filtered(filters: ChallengeFilters, states):
    query = sa.select(Challenge)
    if filters.status:
        query = query.where(Challenge.state == filters.status)
    else:
        query = query.where(Challenge.state.in_(states))
    if filters.owner_id is not None:
        query = query.where(Challenge.department_id == filters.owner_id)
    if filters.domain:
        query = query.where(Challenge.domain == filters.domain)
    if filters.department_id:
        query = query.where(Challenge.department_id == filters.department_id)
    if filters.budget_min_fen is not None:
        query = query.where(Challenge.budget_fen >= filters.budget_min_fen)
    if filters.budget_max_fen is not None:
        query = query.where(Challenge.budget_fen <= filters.budget_max_fen)
    if filters.q:
        query = query.where(Challenge.title.contains(filters.q, autoescape=True))
    return query


def _order(query, sort):
    column, desc, _ = SORTS[sort]
    if desc:
        return query.order_by(column.desc(), Challenge.id.desc())
    return query.order_by(column.asc(), Challenge.id.asc())


def encode_cursor(challenge, sort):
    column = SORTS[sort][0]
    value = getattr(challenge, column.key)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, challenge.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, sort):
    """(value, id) from a cursor, or None when it is malformed or for another sort order."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        name, value, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if name != sort or not _is_int(last_id, 2**31):
            return None
        column = SORTS[sort][0]
        if column.key in ("published_at", "deadline"):
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:  # the UTC columns refuse naive times
                return None
            value = value.astimezone(UTC)
        elif not _is_int(value, 2**63):
            return None
        return value, last_id
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError):
        return None


def _is_int(value, bound):
    """A plain int the database column can hold (bool is an int to Python, not to SQL)."""
    return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound


def public_page(filters: ChallengeFilters, *, cursor=None, per_page=20, states=LISTED_STATES):
    """One page of the public list and the cursor of the next page (None on the last page)."""
    column, desc, _ = SORTS[filters.sort]
    query = _filtered(filters, states)
    position = decode_cursor(cursor, filters.sort)
    if position is not None:
        value, last_id = position
        # A row-value comparison: both backends seek an index on (…, column, id) with it, where the
        # equivalent OR of two comparisons made them collect and sort every row past the cursor.
        key, after = sa.tuple_(column, Challenge.id), sa.tuple_(value, last_id)
        query = query.where(key < after if desc else key > after)
    if filters.sort == "newest":
        query = query.where(Challenge.published_at.is_not(None))
    # The department's name is on every list item: one join instead of a query per department.
    rows = db.session.scalars(_order(query, filters.sort).limit(per_page + 1)
                              .options(joinedload(Challenge.department, innerjoin=True))).all()
    next_cursor = encode_cursor(rows[per_page - 1], filters.sort) if len(rows) > per_page else None
    return rows[:per_page], next_cursor


class CountCache:
    """Totals of filtered lists, per process: a `count(*)` over 100,000 rows costs as much as
    a whole page, so it runs at most once per TTL per filter (and again at once after a change
    to a challenge in this process, see watch.py); other processes' changes show within TTL."""

    TTL = 30.0
    MAX = 512

    def __init__(self):
        self._totals = {}
        self._lock = threading.Lock()

    def clear(self):
        with self._lock:
            self._totals.clear()

    def count(self, query, key):
        """`key` must name everything the query depends on (filters, states, whose view)."""
        now = time.monotonic()
        hit = self._totals.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        with self._lock:
            if len(self._totals) >= self.MAX:
                self._totals.clear()
            self._totals[key] = (now + self.TTL, total)
        return total


count_cache = CountCache()
watch.on_change(count_cache.clear)


class PositionIndex:
    """Deep `?page=N` of an offset-paged list without OFFSET over every row before it: the sort
    key of every STRIDE-th row of a filtered list, read in one pass (a window function) at most
    once per TTL per filter and process, and dropped on a change in this process like the
    totals. Page N then seeks the nearest anchor before its first row by keyset and skips at
    most STRIDE - 1 rows. Between two reads the rows may move by what others changed, exactly
    as with OFFSET; the result is what OFFSET gives on the same rows."""

    STRIDE = 100
    TTL = 30.0
    MAX = 128

    def __init__(self):
        self._anchors = {}
        self._lock = threading.Lock()

    def clear(self):
        with self._lock:
            self._anchors.clear()

    def anchors(self, query, sort, key):
        """[(value, id)] of rows STRIDE, 2·STRIDE, … of `query` (ordered by `sort`), or None when
        keyset seeking cannot stand in for OFFSET (NULL sort keys, whose place differs by backend)."""
        now = time.monotonic()
        hit = self._anchors.get((key, sort))
        if hit is not None and hit[0] > now:
            return hit[1]
        column, desc, _ = SORTS[sort]
        base = query.order_by(None)
        if column.key == "published_at" and db.session.scalar(
                base.with_only_columns(Challenge.id).where(column.is_(None)).limit(1)) is not None:
            anchors = None
        else:
            order = (column.desc(), Challenge.id.desc()) if desc else (column.asc(), Challenge.id.asc())
            ranked = base.with_only_columns(column.label("value"), Challenge.id.label("id"),
                                            sa.func.row_number().over(order_by=order).label("rn")).subquery()
            anchors = [tuple(r) for r in db.session.execute(
                sa.select(ranked.c.value, ranked.c.id).where(ranked.c.rn % self.STRIDE == 0).order_by(ranked.c.rn))]
        with self._lock:
            if len(self._anchors) >= self.MAX:
                self._anchors.clear()
            self._anchors[(key, sort)] = (now + self.TTL, anchors)
        return anchors

    def page(self, query, sort, key, *, offset, limit):
        """`query` (ordered by `sort`) with OFFSET `offset` LIMIT `limit`, seeking the nearest
        anchor first when the offset is deep."""
        if offset < self.STRIDE:
            return query.limit(limit).offset(offset)
        anchors = self.anchors(query, sort, key)
        if not anchors:
            return query.limit(limit).offset(offset)
        k = min(offset // self.STRIDE, len(anchors))
        value, last_id = anchors[k - 1]
        column, desc, _ = SORTS[sort]
        keyset, at = sa.tuple_(column, Challenge.id), sa.tuple_(value, last_id)
        return query.where(keyset < at if desc else keyset > at).limit(limit).offset(offset - k * self.STRIDE)


positions = PositionIndex()
watch.on_change(positions.clear)


def previous_page(filters: ChallengeFilters, *, before, per_page=20, states=LISTED_STATES):
    """The page just before the row a cursor names (the first row of the page being read), best
    first, and whether rows come before that page too. None for a malformed cursor. The same
    keyset seek as public_page, walked the other way."""
    column, desc, _ = SORTS[filters.sort]
    position = decode_cursor(before, filters.sort)
    if position is None:
        return None
    value, first_id = position
    key, at = sa.tuple_(column, Challenge.id), sa.tuple_(value, first_id)
    query = _filtered(filters, states).where(key > at if desc else key < at)
    if filters.sort == "newest":
        query = query.where(Challenge.published_at.is_not(None))
    backwards = (column.asc(), Challenge.id.asc()) if desc else (column.desc(), Challenge.id.desc())
    rows = db.session.scalars(query.order_by(*backwards).limit(per_page + 1)).all()
    return list(reversed(rows[:per_page])), len(rows) > per_page


def public_count(filters: ChallengeFilters, states=LISTED_STATES) -> int:
    """How many challenges the list holds with these filters (shown above the list), through the
    per-process count cache: not a `count(*)` per request."""
    query = _filtered(filters, states)
    if filters.sort == "newest":
        query = query.where(Challenge.published_at.is_not(None))
    return count_cache.count(query, ("page", repr(filters), tuple(states)))


def listing_query(filters: ChallengeFilters, states):
    """For offset paging where a total is needed (admin lists, the API's page/per_page)."""
    return _order(_filtered(filters, states), filters.sort)


def department_query(department_id, status=None):
    query = sa.select(Challenge).where(Challenge.department_id == department_id)
    if status and ChallengeState.get(status):
        query = query.where(Challenge.state == status)
    return query.order_by(Challenge.id.desc())


def answered_questions(challenge_id):
    return db.session.scalars(
        sa.select(Question).where(Question.challenge_id == challenge_id, Question.answer.is_not(None))
        .order_by(Question.answered_at)
    ).all()


def unanswered_counts(challenge_ids) -> dict[int, int]:
    """{challenge id: questions still waiting for an answer} in one query (absent: none)."""
    if not challenge_ids:
        return {}
    rows = db.session.execute(sa.select(Question.challenge_id, sa.func.count()).where(
        Question.challenge_id.in_(challenge_ids), Question.answer.is_(None)).group_by(Question.challenge_id))
    return dict(rows.all())


def all_questions(challenge_id):
    return db.session.scalars(sa.select(Question).where(Question.challenge_id == challenge_id)
                              .order_by(Question.id)).all()


def own_questions(challenge_id, user_id):
    return db.session.scalars(sa.select(Question).where(
        Question.challenge_id == challenge_id, Question.asked_by_id == user_id).order_by(Question.id)).all()


def is_following(challenge_id, user_id) -> bool:
    return db.session.get(ChallengeFollow, (challenge_id, user_id)) is not None
