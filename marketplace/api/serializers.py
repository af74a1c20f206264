"""Objects as the API sends them: ids, statuses, times in +08:00, money as decimal strings."""

from marketplace.core.timeutil import isoformat


def organisation_json(org):
    return {
        "id": org.id, "name": org.name, "kind": org.kind.value, "credit_code": org.credit_code,
        "contact_name": org.contact_name, "created_at": isoformat(org.created_at),
    }


def user_json(user):
    return {
        "id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
        "organisation_id": user.organisation_id,
        "organisation": organisation_json(user.organisation) if user.organisation else None,
        "is_active": user.is_active, "created_at": isoformat(user.created_at),
    }


def application_json(app):
    return {
        "id": app.id, "organisation_id": app.organisation_id,
        "organisation_name": app.organisation.name, "credit_code": app.credit_code,
        "domains": app.domains, "qualifications": app.qualifications,
        "reference_cases": app.reference_cases, "status": app.effective_state.value,
        "valid_until": isoformat(app.valid_until), "reason": app.status_reason or None,
        "created_at": isoformat(app.created_at), "decided_at": isoformat(app.decided_at),
    }


def provider_json(app, solutions=None):
    org = app.organisation
    data = {
        "id": org.id, "organisation_id": org.id, "name": org.name, "credit_code": org.credit_code,
        "domains": app.domains, "status": app.effective_state.value,
        "valid_until": isoformat(app.valid_until), "application_id": app.id,
    }
    if solutions is not None:
        data["solutions"] = [solution_json(s) for s in solutions]
    return data


def solution_json(solution):
    return {
        "id": solution.id, "organisation_id": solution.organisation_id,
        "provider_name": solution.organisation.name, "title": solution.title,
        "domain": solution.domain, "summary": solution.summary,
        "status": "active" if solution.is_active else "withdrawn",
        "created_at": isoformat(solution.created_at),
    }


def notification_json(note):
    return {
        "id": note.id, "kind": note.kind, "title": note.title, "body": note.body, "link": note.link,
        "read": note.read_at is not None, "read_at": isoformat(note.read_at),
        "created_at": isoformat(note.created_at),
    }


def audit_event_json(event):
    return {
        "id": event.id, "seq": event.seq, "created_at": isoformat(event.created_at),
        "actor_id": event.actor_id, "actor": event.actor_label, "action": event.action,
        "object_type": event.object_type, "object_id": event.object_id,
        "before": event.before, "after": event.after, "source_ip": event.source_ip,
        "prev_hash": event.prev_hash, "hash": event.hash,
    }


def money(fen):
    from marketplace.core.money import fen_to_yuan

    value = fen_to_yuan(fen)
    return None if value is None else f"{value:.2f}"


def round_json(r):
    return {
        "id": r.id, "position": r.position, "name": r.name, "status": r.status.value,
        "aggregation": r.aggregation.value, "blind": r.blind, "advance_top": r.advance_top,
        "advance_threshold": None if r.advance_threshold is None else f"{r.advance_threshold:.2f}",
        "min_panel": r.min_panel,
        "tie_break": r.tie_break_criterion.name if r.criteria else None,
        "normalise": r.normalise, "template_version_id": r.template_id,
        "criteria": [{"id": c.id, "name": c.name, "description": c.description, "weight": c.weight,
                      "max_points": c.max_points, "kind": c.kind,
                      **({"formula": c.formula} if c.kind == "metric" else {}),
                      **({"guidance": c.guidance} if c.guidance else {})} for c in r.criteria],
    }


def challenge_json(challenge, *, submission_count=None, detail=True, attachments=None):
    data = {
        "id": challenge.id, "title": challenge.title, "domain": challenge.domain,
        "status": challenge.state.value, "department_id": challenge.department_id,
        "department_name": challenge.department.name, "budget_yuan": money(challenge.budget_fen),
        "deadline": isoformat(challenge.deadline), "required_domains": challenge.required_domains,
        "race_slots": challenge.race_slots, "min_submissions": challenge.min_submissions,
        "notice_days": challenge.notice_days, "published_at": isoformat(challenge.published_at),
        "submission_count": submission_count,
    }
    if detail:
        data.update({
            "description": challenge.description, "pain_points": challenge.pain_points,
            "outcomes": challenge.outcomes, "contact": challenge.contact,
            "reason": challenge.status_reason or None, "created_at": isoformat(challenge.created_at),
            "rounds": [round_json(r) for r in challenge.rounds],
            "pilot_budget_yuan": money(challenge.pilot_budget_fen) if challenge.pilot_budget_fen is not None else None,
            "race_milestones": [{"title": m.title, "due_days": m.due_days, "evidence": m.evidence}
                                for m in challenge.race_milestones],
        })
        if attachments is not None:
            data["attachments"] = attachments
    return data


def question_json(question):
    """The asker is never shown."""
    return {"id": question.id, "challenge_id": question.challenge_id, "text": question.text,
            "answer": question.answer, "answered": question.answer is not None,
            "created_at": isoformat(question.created_at), "answered_at": isoformat(question.answered_at)}


def _declared_metrics(submission):
    from marketplace.review.operations import declared_metrics

    return {str(k): v for k, v in declared_metrics(submission).items()}


def submission_json(submission, *, hide_provider=False, versions=False, files=None):
    data = {
        "id": submission.id, "challenge_id": submission.challenge_id, "entry_number": submission.entry_number,
        "status": submission.state.value, "version": submission.version,
        "summary": submission.summary, "technical_plan": submission.technical_plan,
        "price_yuan": money(submission.price_fen), "timeline": submission.timeline, "team": submission.team,
        "received_at": isoformat(submission.submitted_at), "submitted_at": isoformat(submission.submitted_at),
        "created_at": isoformat(submission.created_at),
        "metrics": _declared_metrics(submission),
    }
    if hide_provider:
        # Blind: nothing that names the provider, the free-text team included.
        del data["team"]
    else:
        data["provider_org_id"] = submission.provider_id
        data["provider_name"] = submission.provider.name
    if submission.excluded_reason:
        data["excluded_reason"] = submission.excluded_reason
    if files is not None:
        data["files"] = files
    if versions:
        data["versions"] = [{"version": v.version, "change": v.change, "received_at": isoformat(v.created_at),
                             "price_yuan": money(v.price_fen), "files": v.files} for v in submission.versions]
    return data


def receipt_json(receipt):
    return {**receipt, "received_at": isoformat(receipt["received_at"])}
