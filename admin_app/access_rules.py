"""Which endpoints write the access log (admin_app/registers/seen.py): each one declares, next to its view,
that it logs every client whose data it shows, or that it shows no client's record. A test
(tests/admin_app/test_access_log.py) fails on an endpoint that declares neither."""

#: Every endpoint declares one of these, next to its view (tests/admin_app/test_access_log.py checks):
#: it writes an access row for each client whose data it shows, or it shows no client's record (a
#: page about something else, a list or a lookup of names, a form to fill in, a write that redirects).
LOGS_ACCESS = "logs access"
SHOWS_NO_PERSON = "shows no person"


def logs_access(view):
    """Declare that ``view`` logs each client whose data it shows."""
    view.access_rule = LOGS_ACCESS
    return view


def shows_no_person(view):
    """Declare that ``view`` shows no client's record."""
    view.access_rule = SHOWS_NO_PERSON
    return view


def declare_endpoints(app, rule: str, *endpoints: str) -> None:
    """Declare the rule of endpoints whose view is not ours to decorate (a library's, a static folder)."""
    app.extensions.setdefault("juhtum_access_rules", {}).update(dict.fromkeys(endpoints, rule))


def access_rule(app, endpoint: str) -> str | None:
    """The declared rule of ``endpoint``: on its function, in a Flask-Admin view's ``access_rules``
    (by method name, the class's own over those it inherits), or declared for the app; else None."""
    declared = app.extensions.get("juhtum_access_rules", {}).get(endpoint)
    if declared:
        return declared
    rule = getattr(app.view_functions.get(endpoint), "access_rule", None)
    if rule:
        return rule
    blueprint, _, method = endpoint.rpartition(".")
    for admin in app.extensions.get("admin", []):
        for view in admin._views:
            if view.endpoint == blueprint:
                rule = getattr(getattr(view, method, None), "access_rule", None)
                for cls in type(view).__mro__:
                    rule = rule or cls.__dict__.get("access_rules", {}).get(method)
                return rule
    return None
