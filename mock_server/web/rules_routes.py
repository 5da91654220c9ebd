"""The control API, second part: scenario rules, faults and the request journal.

``GET/POST/DELETE /_mock/scenarios``, ``GET/POST/DELETE /_mock/faults`` (and ``DELETE .../{id}``),
``GET/DELETE /_mock/requests``. ``register`` also wires the fault injector and journal around the
app, their reset, and the admin-token guard.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, request

from ..core import ControlInputError, FaultBook, RequestJournal
from ..core.faults import HTTP_METHODS
from ..core.masking import mask_secret
from ..core.scenarios import ScenarioRule
from .guards import FaultInjector, install_admin_guard, install_answer_capture
from .paging import PAGING_PARAMETERS, page_view, paging_arguments
from .responses import json_response, read_control_json
from .state import MockState, get_state

__all__ = ["register", "rules"]

rules = Blueprint("rules", __name__, url_prefix="/_mock")

_JOURNAL_FILTERS = ("method", "path", "api_key")


def register(app: Flask, state: MockState) -> None:
    """Wire faults, the journal, their reset, the admin guard and the routes into ``app``."""
    state.faults = FaultBook(seed=state.config.seed)
    state.journal = RequestJournal(capacity=state.config.journal_size)

    def restore_faults() -> None:
        # As with scenarios, a reset goes back to the rules the mock was started with.
        state.faults.clear()
        for raw in state.config.faults:
            state.faults.add(raw)

    restore_faults()
    state.engine.on_reset(restore_faults)
    state.engine.on_reset(lambda: state.journal.clear())
    install_admin_guard(app, state)
    install_answer_capture(app)
    app.wsgi_app = FaultInjector(app.wsgi_app, state=state)  # type: ignore[method-assign]
    app.register_blueprint(rules)


def _no_content() -> Response:
    return Response(status=204)


def _scenario_view(rule: ScenarioRule) -> dict[str, Any]:
    view = rule.to_json()
    if "api_key" in view["match"]:
        view["match"]["api_key"] = mask_secret(view["match"]["api_key"])
    return view


# -- scenarios -------------------------------------------------------------------------------
@rules.get("/scenarios")
def list_scenarios() -> Response:
    """The scenario rules in the order they are tried (keys masked)."""
    book = get_state().engine.scenarios
    return json_response({"data": [_scenario_view(rule) for rule in book.list()]})


@rules.post("/scenarios")
def add_scenario() -> Response:
    """Add a rule for tasks created from now on: 201 with the rule and its id."""
    rule = get_state().engine.scenarios.add(read_control_json())
    return json_response(_scenario_view(rule), status=201)


@rules.delete("/scenarios")
def clear_scenarios() -> Response:
    """Remove every scenario rule (those from ``--scenarios`` too, until the next reset)."""
    get_state().engine.scenarios.clear()
    return _no_content()


@rules.delete("/scenarios/<rule_id>")
def delete_scenario(rule_id: str) -> Response:
    """Remove one rule; 404 for an unknown id."""
    get_state().engine.scenarios.delete(rule_id)
    return _no_content()


# -- faults ----------------------------------------------------------------------------------
@rules.get("/faults")
def list_faults() -> Response:
    """The fault rules in the order they are tried."""
    return json_response({"data": [rule.to_json() for rule in get_state().faults.list()]})


@rules.post("/faults")
def add_fault() -> Response:
    """Add a fault for requests arriving from now on: 201 with the rule and its id."""
    rule = get_state().faults.add(read_control_json())
    return json_response(rule.to_json(), status=201)


@rules.delete("/faults")
def clear_faults() -> Response:
    """Remove every fault rule."""
    get_state().faults.clear()
    return _no_content()


@rules.delete("/faults/<rule_id>")
def delete_fault(rule_id: str) -> Response:
    """Remove one fault; 404 for an unknown id."""
    get_state().faults.delete(rule_id)
    return _no_content()


# -- the journal -----------------------------------------------------------------------------
def _journal_filters() -> dict[str, str | None]:
    unknown = sorted(set(request.args) - set(_JOURNAL_FILTERS) - set(PAGING_PARAMETERS))
    if unknown:
        raise ControlInputError(
            f"unknown query parameter(s): {', '.join(unknown)} "
            f"(filters are {', '.join(_JOURNAL_FILTERS)}; paging: limit, since)"
        )
    filters: dict[str, str | None] = {}
    for name in _JOURNAL_FILTERS:
        values = request.args.getlist(name)
        if len(values) > 1:
            raise ControlInputError(f"'{name}' may be given once")
        filters[name] = values[0] if values and values[0] else None
    method = filters["method"]
    if method is not None and method.upper() not in HTTP_METHODS:
        raise ControlInputError(f"'method' must be one of {', '.join(sorted(HTTP_METHODS))}")
    path = filters["path"]
    if path is not None:
        if not (path.startswith("/") or path == "*"):
            raise ControlInputError("'path' must start with '/' (or be '*')")
        if "*" in path[:-1]:
            raise ControlInputError("'path' may only end in '*' (a prefix), not contain it")
    return filters


@rules.get("/requests")
def list_requests() -> Response:
    """Journaled requests, oldest first, filtered by method, path (exact or prefix*) and key,
    with the paging fields (``?limit=`` the newest N, ``?since=`` see ``web/paging.py``)."""
    filters = _journal_filters()
    limit, since = paging_arguments()
    page = get_state().journal.page(
        method=filters["method"],
        path=filters["path"],
        api_key=filters["api_key"],
        since=since,
        limit=limit,
    )
    return json_response(page_view(page, lambda entry: entry.to_json()))


@rules.delete("/requests")
def clear_requests() -> Response:
    """Forget every journaled request."""
    get_state().journal.clear()
    return _no_content()
