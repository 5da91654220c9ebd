"""Property-based fuzz of every route: whatever a client sends, the mock never answers 500.

Every vendor route, the result file and every control route (the URL map's own list, so a
route added later is fuzzed too) gets generated requests: its own and odd methods, odd path
segments and query strings, both API key headers (repeated, empty, not ASCII), and bodies that
are valid, nearly valid, any JSON, deeply nested or not JSON, under any content type. After each
case the mock must answer its health check, must have recorded no unexpected error, and an error
answer must be JSON. Sequences of control calls (create, fault, advance, reset...) keep the
mock's own promises; any Range on a result gets 200, 206 with the right bytes, or 416. The
bounded run against a live server over raw HTTP is ``test_route_fuzz_live.py``.
``tests/profiles.py`` sets the case counts; the figures (cases, statuses seen, 500s) are written
at the end of the session under "route fuzz figures" (``route_fuzz_figures.py``).

This goes beyond ``test_control_spec.py`` (schemathesis over the control document): routes and
methods the documents do not list, hostile headers and framing, and stateful sequences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from freepik_mock.contract.loopback import LoopbackGuard
from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.contract.server_suite import resolve_webhook_hosts_offline
from freepik_mock.server.core.faults import is_control_path
from freepik_mock.server.core.journal import JournalEntry
from freepik_mock.server.web.dashboard import OPEN_PATHS as DASHBOARD_PATHS
from freepik_mock.server.web.dashboard import OPEN_PREFIX as DASHBOARD_PREFIX
from freepik_mock.server.web.dropped import DroppedConnection
from freepik_mock.server.web.state import get_state
from tests.conftest import API_KEY, OTHER_KEY
from tests.server.route_fuzz_figures import Figures, session_figures
from tests.server.route_fuzz_support import (
    ROUTES,
    VENDOR,
    FuzzRequest,
    fuzz_requests,
    fuzz_settings,
    seed_ids,
)
from tests.server.route_fuzz_values import (
    ADMIN_TOKEN,
    BAD_AUTHORIZATION,
    GOOD_AUTHORIZATION,
    RANGES,
    Ids,
)

AUTH = {"x-freepik-api-key": API_KEY}


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """The session's figures, written at the end of the terminal summary."""
    return session_figures(request.config)


@pytest.fixture
def guard() -> Iterator[LoopbackGuard]:
    """Nothing the fuzzed mock does (webhooks to generated URLs) leaves this machine."""
    with LoopbackGuard(reason="the route fuzz talks to 127.0.0.1 only") as active:
        yield active


@pytest.fixture
def fuzzed(
    make_app: Callable[..., Flask], receiver: WebhookReceiver, guard: LoopbackGuard
) -> tuple[Flask, Ids]:
    """A manual-clock mock with a task, a webhook message and rules, and no real waits."""
    app = make_app(api_keys=(API_KEY, OTHER_KEY), webhook_max_retries=1)
    resolve_webhook_hosts_offline(app)
    get_state(app).sleep = lambda seconds: None  # injected delays: the answer, not the wait
    client = app.test_client()

    def call(method: str, path: str, body: Any) -> Any:
        answer = client.open(path, method=method, json=body, headers=AUTH)
        assert answer.status_code < 300, (path, answer.status_code, answer.data)
        return answer.get_json()

    return app, seed_ids(call, receiver.url)


def send(client: FlaskClient, case: FuzzRequest) -> TestResponse | None:
    """The app's answer to ``case``; None when a fault dropped the connection."""
    try:
        return client.open(
            case.path,
            method=case.method,
            query_string=case.query,
            headers=case.headers,
            data=case.body,
            content_type=case.content_type,
        )
    except DroppedConnection:
        return None


def newest_entry(app: Flask) -> JournalEntry | None:
    """The journal's newest entry: after a request, its own if it was journaled."""
    entries = get_state(app).journal.entries()
    return entries[-1] if entries else None


def was_faulted(app: Flask, answer: TestResponse | None, *, before: JournalEntry | None) -> bool:
    """Whether a fault answered (or dropped) the request just sent; ``before`` is the newest
    journal entry from before it. (The label the injector puts on the environ does not reach
    the test client's copy, so the journal, which names the fault, is asked.)"""
    entry = newest_entry(app)
    return answer is None or (entry is not before and entry is not None and entry.fault is not None)


def check_answer(
    app: Flask,
    answer: TestResponse | None,
    *,
    before: JournalEntry | None,
    case: str,
    method: str,
    figures: Figures,
) -> bool:
    """No 500 (but an injected one), no unexpected error, a JSON error body, a healthy mock.

    Returns whether a fault answered the request.
    """
    status = "dropped" if answer is None else answer.status_code
    figures.record(target="in-process", status=status)
    unexpected = get_state(app).take_unexpected()
    faulted = was_faulted(app, answer, before=before)
    health = app.test_client().get("/_mock/health").status_code
    problems = []
    if answer is not None and answer.status_code == 500 and not faulted:
        problems.append("answered 500")
    if unexpected:
        problems.append(f"unexpected error: {unexpected[0]}")
    if health != 200:
        problems.append(f"health answered {health}")
    if answer is not None and answer.status_code >= 400 and not faulted and method != "HEAD":
        try:
            json.loads(answer.data)
        except ValueError:
            problems.append(f"error answer {answer.status_code} is not JSON: {answer.data[:200]!r}")
    if problems:
        figures.finding(f"{case}: {'; '.join(problems)}")
    assert not problems, (case, problems)
    return faulted


# -- every route -----------------------------------------------------------------------------
def test_the_fuzz_covers_every_route_the_app_serves(app: Flask) -> None:
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        served.setdefault(rule.rule, set()).update(rule.methods or ())
    fuzzed = {rule: set(methods) for rule, methods in ROUTES.items()}
    assert {rule: methods - {"HEAD", "OPTIONS"} for rule, methods in served.items()} == {
        rule: methods - {"HEAD"} for rule, methods in fuzzed.items()
    }


@pytest.mark.parametrize("rule", sorted(ROUTES))
@given(data=st.data())
@fuzz_settings(ci=40, thorough=400)
def test_no_request_to_any_route_is_answered_500(
    fuzzed: tuple[Flask, Ids], figures: Figures, rule: str, data: st.DataObject
) -> None:
    app, ids = fuzzed
    case = data.draw(fuzz_requests(rule, ids))
    before = newest_entry(app)
    answer = send(app.test_client(), case)
    check_answer(
        app, answer, before=before, case=case.describe(), method=case.method, figures=figures
    )


# -- the admin token ---------------------------------------------------------------------
@pytest.fixture
def guarded_app(make_app: Callable[..., Flask], guard: LoopbackGuard) -> Flask:
    """A mock whose control API needs the admin token (one app for all of a test's examples)."""
    app = make_app(api_keys=(API_KEY,), admin_token=ADMIN_TOKEN, webhook_max_retries=1)
    resolve_webhook_hosts_offline(app)
    get_state(app).sleep = lambda seconds: None
    return app


@given(data=st.data(), good=st.booleans())
@fuzz_settings(ci=60, thorough=2000)
def test_with_an_admin_token_every_control_call_but_health_needs_it(
    guarded_app: Flask, figures: Figures, data: st.DataObject, good: bool
) -> None:
    app = guarded_app
    rule = data.draw(st.sampled_from(sorted(ROUTES)))
    case = data.draw(fuzz_requests(rule, Ids()))
    authorization = data.draw(GOOD_AUTHORIZATION if good else BAD_AUTHORIZATION)
    case = FuzzRequest(
        method=case.method,
        path=case.path,
        query=case.query,
        # No Host header: an odd one is refused (400) before the token is looked at.
        headers=[(n, v) for n, v in case.headers if n.lower() not in ("authorization", "host")]
        + [("Authorization", authorization)],
        content_type=case.content_type,
        body=case.body,
    )
    before = newest_entry(app)
    answer = send(app.test_client(), case)
    check_answer(
        app, answer, before=before, case=case.describe(), method=case.method, figures=figures
    )
    assert answer is not None  # no fault rules in this app
    # The path the app saw (decoded; "//_mock/x" is host "_mock" to the test client). Health
    # and the dashboard's files are open: they hold no data.
    path = answer.request.path
    open_path = (
        path == "/_mock/health" or path in DASHBOARD_PATHS or path.startswith(DASHBOARD_PREFIX)
    )
    guarded = is_control_path(path) and not open_path
    if guarded and not good:
        assert answer.status_code == 401, case.describe()
        assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    elif guarded:
        assert answer.status_code != 401, case.describe()


# -- sequences -------------------------------------------------------------------------------
STEPS = st.sampled_from(
    [
        "create",
        "create",
        "get",
        "list",
        "fault",
        "clear-faults",
        "advance",
        "reset",
        "complete",
        "fail",
        "scenario",
        "download",
        "webhooks",
        "replay",
        "requests",
        "clear-requests",
    ]
)


@given(steps=st.lists(st.tuples(STEPS, st.integers(0, 10**6)), min_size=1, max_size=12))
@fuzz_settings(ci=40, thorough=1500)
def test_sequences_of_calls_keep_the_mocks_promises(
    fuzzed: tuple[Flask, Ids], figures: Figures, steps: list[tuple[str, int]]
) -> None:
    app, ids = fuzzed
    client = app.test_client()
    client.post("/_mock/reset")
    client.delete("/_mock/faults")
    client.delete("/_mock/scenarios")
    tasks: list[str] = []
    for step, number in steps:
        task_id = tasks[number % len(tasks)] if tasks else f"none-{number}"
        method, path, body = sequence_call(step, number, task_id, ids)
        before = newest_entry(app)
        try:
            answer: TestResponse | None = client.open(path, method=method, json=body, headers=AUTH)
        except DroppedConnection:
            answer = None
        case = f"{steps}: {step}"
        if check_answer(app, answer, before=before, case=case, method=method, figures=figures):
            continue
        assert answer is not None
        if step == "create" and answer.status_code == 200:
            created = answer.get_json()["data"]["task_id"]
            tasks.append(created)
            assert client.get(f"/_mock/tasks/{created}").status_code == 200
        elif step == "reset":
            assert answer.status_code == 200
            assert client.get("/_mock/tasks").get_json()["data"] == []
            tasks.clear()
        elif step in ("complete", "fail") and answer.status_code == 200:
            wanted = "COMPLETED" if step == "complete" else "FAILED"
            # Read through the control API: faults never apply there.
            assert client.get(f"/_mock/tasks/{task_id}").get_json()["status"] == wanted


def sequence_call(step: str, number: int, task_id: str, ids: Ids) -> tuple[str, str, Any]:
    """The (method, path, JSON body) of one step of a sequence."""
    webhook = ids.receiver_url if number % 2 else None
    calls: dict[str, tuple[str, str, Any]] = {
        "create": (
            "POST",
            VENDOR,
            {"prompt": f"p{number}", "music_length_seconds": 10 + number % 231}
            | ({"webhook_url": webhook} if webhook else {}),
        ),
        "get": ("GET", f"{VENDOR}/{task_id}", None),
        "list": ("GET", VENDOR, None),
        "fault": (
            "POST",
            "/_mock/faults",
            {
                "match": {"path": ["*", "/v1/*", "/results/*", VENDOR][number % 4]},
                "status": 400 + number % 200,
                "times": 1 + number % 3,
            }
            | ({"drop_connection": True, "status": None} if number % 7 == 0 else {})
            | ({"delay_seconds": 5} if number % 5 == 0 else {}),
        ),
        "clear-faults": ("DELETE", "/_mock/faults", None),
        "advance": ("POST", "/_mock/clock/advance", {"seconds": [0, 1, 5, 60, 10**9][number % 5]}),
        "reset": ("POST", "/_mock/reset", None),
        "complete": ("POST", f"/_mock/tasks/{task_id}/complete", None),
        "fail": ("POST", f"/_mock/tasks/{task_id}/fail", None),
        "scenario": (
            "POST",
            "/_mock/scenarios",
            {
                "match": {"prompt_contains": f"p{number % 10}"},
                "outcome": ["COMPLETED", "FAILED"][number % 2],
            },
        ),
        "download": ("GET", f"/results/{task_id}.mp3", None),
        "webhooks": ("GET", "/_mock/webhooks", None),
        "replay": ("POST", f"/_mock/webhooks/{ids.webhook_id}/replay", None),
        "requests": ("GET", "/_mock/requests", None),
        "clear-requests": ("DELETE", "/_mock/requests", None),
    }
    return calls[step]


# -- Range on results ------------------------------------------------------------------------
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@given(
    header=RANGES,
    method=st.sampled_from(["GET", "HEAD"]),
    if_range=st.sampled_from(
        [None, "x", '"x"', "{etag}", "W/{etag}", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 99 Foo"]
    ),
)
@fuzz_settings(ci=60, thorough=2000)
def test_any_range_on_a_result_gets_the_whole_file_the_right_bytes_or_416(
    fuzzed: tuple[Flask, Ids], figures: Figures, header: str, method: str, if_range: str | None
) -> None:
    app, ids = fuzzed
    client = app.test_client()
    path = f"/results/{ids.task_id}.mp3"
    full = client.get(path)
    whole = full.data
    etag = full.headers["ETag"]
    headers = {"Range": header} | ({"If-Range": if_range.format(etag=etag)} if if_range else {})
    before = newest_entry(app)
    answer = client.open(path, method=method, headers=headers)
    case = f"{method} Range: {header!r}"
    check_answer(app, answer, before=before, case=case, method=method, figures=figures)
    assert answer.status_code in (200, 206, 416), (header, answer.status_code)
    if answer.status_code == 200 and method == "GET":
        assert answer.data == whole
    elif answer.status_code == 206:
        found = _CONTENT_RANGE.match(answer.headers["Content-Range"])
        assert found, answer.headers["Content-Range"]
        first, last, total = (int(part) for part in found.groups())
        assert total == len(whole)
        assert first <= last < total
        assert int(answer.headers["Content-Length"]) == last - first + 1
        if method == "GET":
            assert answer.data == whole[first : last + 1]
    elif answer.status_code == 416:
        assert answer.headers["Content-Range"] == f"bytes */{len(whole)}"


# -- findings --------------------------------------------------------------------------------
def test_send_to_a_url_with_an_unclosed_ipv6_bracket_is_a_400_not_a_500(app: Flask) -> None:
    # Found by this fuzz: urlsplit raises ValueError on "http://[::1", which answered 500.
    answer = app.test_client().post("/_mock/webhooks/send", json={"url": "http://[::1"})
    assert answer.status_code == 400
    assert "'url' must be an absolute URL" in answer.get_json()["message"]
    assert get_state(app).take_unexpected() == []


def test_a_prompt_with_a_lone_surrogate_is_matched_against_a_prompt_regex_not_a_500(
    app: Flask,
) -> None:
    # Found by this fuzz: RE2 searches UTF-8, and encoding the prompt raised UnicodeEncodeError.
    client = app.test_client()
    rule = client.post("/_mock/scenarios", json={"match": {"prompt_regex": "^calm"}}).get_json()
    body = '{"prompt": "calm \\ud800 piano", "music_length_seconds": 10}'
    answer = client.post(VENDOR, data=body, headers=AUTH | {"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.data
    task_id = answer.get_json()["data"]["task_id"]
    assert client.get(f"/_mock/tasks/{task_id}").get_json()["scenario_id"] == rule["id"]
    assert get_state(app).take_unexpected() == []


def test_an_injected_500_is_told_from_one_the_mock_made(fuzzed: tuple[Flask, Ids]) -> None:
    # Found by the thorough run: the injector's environ label never reaches the test client's
    # copy of the environ, so a fault answering 500 was taken for a finding.
    app, _ = fuzzed
    client = app.test_client()
    before = newest_entry(app)
    plain = client.get(VENDOR, headers=AUTH)
    assert plain.status_code == 200
    assert not was_faulted(app, plain, before=before)
    client.post("/_mock/faults", json={"match": {"path": VENDOR}, "status": 500, "times": 1})
    before = newest_entry(app)
    injected = client.get(VENDOR, headers=AUTH)
    assert injected.status_code == 500
    assert was_faulted(app, injected, before=before)
    before = newest_entry(app)
    assert client.get("/_mock/clock").status_code == 200
    assert not was_faulted(app, client.get("/_mock/clock"), before=before)
