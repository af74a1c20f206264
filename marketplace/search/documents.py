"""What is searchable: a small registry of document types and of the rows that feed them.

A document type says how to load the *public* documents for some ids (an id that is not
public, or gone, loads as nothing and is removed from the index) and how to list every public
id for a rebuild. A source says which documents a changed row affects. A new type is one
`@document_type` loader plus one `track` line for its model; nothing else in the search area
changes.

Only public data enters the index: published-and-later challenges (not cancelled), listings
admitted and in validity, active solutions of such providers, published best-practice cases,
and result notices while public (公示中 or after the award; a notice withdrawn after an upheld
objection, or superseded by a 递补 notice, disappears). Sealed entries, drafts, scores and objections have no document type, so
they can never be found.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Organisation
from marketplace.cases.models import Case
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import PUBLIC_STATES, ChallengeState
from marketplace.notices.models import Notice
from marketplace.providers.models import ApplicationDomain, PartnerApplication, Solution
from marketplace.providers.queries import admitted_condition

EXCERPT_CHARS = 600  # stored for snippets; the whole text is indexed but not stored


@dataclass(frozen=True)
class DocType:
    name: str
    label: str
    endpoint: str  # url_for endpoint of the public page
    id_arg: str
    load: Callable[[Session, list[int]], dict[int, dict]]
    all_ids: Callable[[Session], Iterable[int]]


DOC_TYPES: dict[str, DocType] = {}
# source kind -> fn(session, object_id) -> [(doc_type, doc_id)]
SOURCES: dict[str, Callable[[Session, int], list[tuple[str, int]]]] = {}
# model class -> (source kind, fn(obj) -> object_id, attribute names that matter or None for all)
TRACKED: dict[type, tuple[str, Callable, tuple | None]] = {}


def document_type(name, label, endpoint, id_arg, all_ids):
    """Register a loader `fn(session, ids) -> {id: fields}` as a document type; the type is
    also a source of itself (a change to row N refreshes document N)."""

    def decorator(load):
        DOC_TYPES[name] = DocType(name, label, endpoint, id_arg, load, all_ids)
        SOURCES.setdefault(name, lambda session, object_id: [(name, object_id)])
        return load

    return decorator


def source(kind):
    def decorator(fn):
        SOURCES[kind] = fn
        return fn

    return decorator


def track(model, kind, object_id=lambda obj: obj.id, attributes=None):
    TRACKED[model] = (kind, object_id, tuple(attributes) if attributes else None)


_MARKDOWN = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`#>|~]+|^\s*[-+]\s+|<[^>]+>", re.M)


def plain(*texts) -> str:
    """Text without Markdown punctuation, for indexing and snippets."""
    out = []
    for text in texts:
        if text:
            out.append(_MARKDOWN.sub(lambda m: m.group(1) or " ", str(text)).strip())
    return "\n".join(t for t in out if t)


def _date_key(value) -> str | None:
    return value.strftime("%Y%m%d") if value else None


# --- challenges -----------------------------------------------------------------------------

SEARCHABLE_CHALLENGE_STATES = tuple(s for s in PUBLIC_STATES if s != ChallengeState.cancelled)


def _challenge_ids(session):
    return session.scalars(sa.select(Challenge.id).where(Challenge.state.in_(SEARCHABLE_CHALLENGE_STATES))
                           .order_by(Challenge.id)).yield_per(2000)


@document_type("challenge", "榜单", "challenges.detail", "challenge_id", _challenge_ids)
def load_challenges(session, ids):
    # Plain rows with the department's name joined, not ORM objects: a rebuild loads 100,000.
    rows = session.execute(
        sa.select(Challenge.id, Challenge.title, Challenge.description, Challenge.pain_points, Challenge.outcomes,
                  Challenge.domain, Challenge.state, Organisation.name.label("department"))
        .join(Organisation, Organisation.id == Challenge.department_id)
        .where(Challenge.id.in_(ids), Challenge.state.in_(SEARCHABLE_CHALLENGE_STATES))
    )
    out = {}
    for c in rows:
        body = plain(c.description, c.pain_points, c.outcomes)
        out[c.id] = {
            "title": c.title,
            "content": "\n".join([c.title, body, c.department, c.domain]),
            "excerpt": body[:EXCERPT_CHARS],
            "domain": [c.domain],
            "status": c.state.label,
            "department": c.department,
            "subtitle": f"{c.department} · {c.domain} · {c.state.label}",
        }
    return out


# --- provider directory ---------------------------------------------------------------------

def _provider_ids(session):
    return session.scalars(sa.select(PartnerApplication.organisation_id).where(admitted_condition())
                           .order_by(PartnerApplication.organisation_id)).yield_per(2000)


@document_type("provider", "服务商", "providers.provider_detail", "org_id", _provider_ids)
def load_providers(session, ids):
    rows = session.scalars(
        sa.select(PartnerApplication).where(PartnerApplication.organisation_id.in_(ids), admitted_condition())
        .options(selectinload(PartnerApplication.organisation))
    )
    out = {}
    for app in rows:
        org = app.organisation
        body = plain(app.qualifications, app.reference_cases)
        domains = app.domains
        out[org.id] = {
            "title": org.name,
            "content": "\n".join([org.name, "、".join(domains), body]),
            "excerpt": ("能力领域：" + "、".join(domains) + "。" + body)[:EXCERPT_CHARS],
            "domain": domains,
            "status": "在库",
            "expires": _date_key(app.valid_until),
            "subtitle": "、".join(domains) + (f" · 有效期至 {app.valid_until}" if app.valid_until else ""),
        }
    return out


# --- solution catalogue ---------------------------------------------------------------------

def _listed_orgs():
    return sa.select(PartnerApplication.organisation_id).where(admitted_condition())


def _solution_ids(session):
    return session.scalars(sa.select(Solution.id).where(Solution.is_active,
                                                        Solution.organisation_id.in_(_listed_orgs()))
                           .order_by(Solution.id)).yield_per(2000)


@document_type("solution", "解决方案", "providers.solution_detail", "solution_id", _solution_ids)
def load_solutions(session, ids):
    rows = session.execute(
        sa.select(Solution, PartnerApplication.valid_until)
        .join(PartnerApplication, sa.and_(PartnerApplication.organisation_id == Solution.organisation_id,
                                          admitted_condition()))
        .where(Solution.id.in_(ids), Solution.is_active)
        .options(selectinload(Solution.organisation))
    )
    out = {}
    for s, valid_until in rows:
        body = plain(s.summary)
        out[s.id] = {
            "title": s.title,
            "content": "\n".join([s.title, body, s.organisation.name, s.domain]),
            "excerpt": body[:EXCERPT_CHARS],
            "domain": [s.domain],
            "expires": _date_key(valid_until),
            "subtitle": f"{s.organisation.name} · {s.domain}",
        }
    return out


# --- best-practice cases (最佳实践) ------------------------------------------------------------

def _case_ids(session):
    return session.scalars(sa.select(Case.id).order_by(Case.id)).yield_per(2000)


@document_type("case", "最佳实践", "cases.detail", "case_id", _case_ids)
def load_cases(session, ids):
    rows = session.scalars(sa.select(Case).where(Case.id.in_(ids))
                           .options(selectinload(Case.provider), selectinload(Case.department)))
    out = {}
    for c in rows:
        provider = c.provider.name if c.provider else ""
        body = plain(c.summary, c.outcomes, c.replication)
        out[c.id] = {
            "title": c.title,
            "content": "\n".join([c.title, body, provider, c.department.name, c.domain]),
            "excerpt": body[:EXCERPT_CHARS],
            "domain": [c.domain],
            "status": "最佳实践",
            "department": c.department.name,
            "subtitle": " · ".join(part for part in (provider, c.department.name, c.domain) if part),
        }
    return out


# --- result notices (结果公示), one per challenge: its current, public notice (not withdrawn, not
#     superseded by a 递补 notice) -------------------------------------------------------------

NOTICE_STATES = (ChallengeState.notice, ChallengeState.awarded)


def _current_notices(session, challenge_ids=None):
    query = (sa.select(Notice, Challenge).join(Challenge, Challenge.id == Notice.challenge_id)
             .where(Notice.withdrawn_at.is_(None), Notice.superseded_at.is_(None),
                    Challenge.state.in_(NOTICE_STATES)))
    if challenge_ids is not None:
        query = query.where(Notice.challenge_id.in_(challenge_ids))
    return session.execute(query.order_by(Notice.id))


def _notice_ids(session):
    return sorted({notice.challenge_id for notice, _ in _current_notices(session)})


@document_type("notice", "结果公示", "notices.notice", "challenge_id", _notice_ids)
def load_notices(session, ids):
    out = {}
    for notice, challenge in _current_notices(session, ids):  # later notices overwrite earlier ones
        winner = next((r for r in notice.ranking if r["submission_id"] == notice.winner_submission_id), None)
        verb = "挂帅单位" if challenge.state == ChallengeState.awarded else "拟挂帅单位"
        ranking = "；".join(f"第 {r['rank']} 名 {r['provider_name']} {r['score']} 分" for r in notice.ranking)
        lead = f"{verb}：{winner['provider_name']}。" if winner else ""
        out[challenge.id] = {
            "title": f"{challenge.title} 评审结果{'' if challenge.state == ChallengeState.awarded else '公示'}",
            "content": "\n".join([challenge.title, lead, ranking, challenge.department.name, challenge.domain]),
            "excerpt": (lead + ranking)[:EXCERPT_CHARS],
            "domain": [challenge.domain],
            "status": challenge.state.label,
            "department": challenge.department.name,
            "subtitle": f"{challenge.department.name} · {challenge.domain} · {challenge.state.label}",
        }
    return out


# --- which rows feed which documents --------------------------------------------------------

@source("challenge")
def _challenge_docs(session, challenge_id):
    """A challenge's state decides both its own document and its result notice's."""
    return [("challenge", challenge_id), ("notice", challenge_id)]


@source("organisation")
def _organisation_docs(session, org_id):
    """A renamed organisation: its listing, its solutions and the challenges it posted."""
    docs = [("provider", org_id)]
    docs += [("solution", i) for i in session.scalars(sa.select(Solution.id).where(Solution.organisation_id == org_id))]
    docs += [("challenge", i) for i in session.scalars(sa.select(Challenge.id).where(Challenge.department_id == org_id))]
    return docs


@source("partner_application")
def _application_docs(session, app_id):
    """Admission, suspension, removal or expiry shows or hides the provider and its solutions."""
    org_id = session.scalar(sa.select(PartnerApplication.organisation_id).where(PartnerApplication.id == app_id))
    if org_id is None:
        return []
    docs = [("provider", org_id)]
    docs += [("solution", i) for i in session.scalars(sa.select(Solution.id).where(Solution.organisation_id == org_id))]
    return docs


track(Challenge, "challenge")
track(Case, "case")
track(Notice, "notice", object_id=lambda notice: notice.challenge_id)
track(Solution, "solution")
track(PartnerApplication, "partner_application")
track(ApplicationDomain, "partner_application", object_id=lambda row: row.application_id)
track(Organisation, "organisation", attributes=("name",))


def url_for_doc(doc_type: str, doc_id: int) -> str:
    from flask import current_app, has_request_context, url_for

    spec = DOC_TYPES[doc_type]
    values = {spec.id_arg: doc_id}
    if has_request_context():
        return url_for(spec.endpoint, **values)
    return current_app.url_map.bind("localhost").build(spec.endpoint, values)  # CLI, jobs, tests
