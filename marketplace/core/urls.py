"""Links inside notifications, built from endpoint names also outside a request (cron, CLI)."""

from flask import current_app, has_request_context, url_for


def link_for(endpoint, _anchor=None, **values):
    """The path of an endpoint ("/challenges/3"), with or without a request context.

    Outside a request `url_for` needs SERVER_NAME; a path needs no host, so bind the URL map to a
    placeholder one and build the path alone.
    """
    if has_request_context():
        return url_for(endpoint, _anchor=_anchor, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    path = adapter.build(endpoint, values)
    return f"{path}#{_anchor}" if _anchor else path
