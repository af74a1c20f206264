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
