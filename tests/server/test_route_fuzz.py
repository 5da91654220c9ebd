"""Property-based fuzz of every route: whatever a client sends, the mock never answers 500.

Every vendor route, the result file and every control route (the URL map's own list, so Flask's
undocumented static route too) gets generated requests: its own and odd methods, odd path
segments and query strings, both API key headers (repeated, empty, not ASCII), and bodies that
are valid, nearly valid, any JSON, deeply nested or not JSON, under any content type. After each
case the mock must answer its health check, must have recorded no unexpected error, and an error
answer must be JSON. Sequences of control calls (create, fault, advance, reset...) keep the
mock's own promises; any Range on a result gets 200, 206 with the right bytes, or 416. A bounded
run sends raw bytes to a live server (malformed request lines, bare LF, bad Content-Length), so
waitress's parsing is fuzzed too. ``tests/profiles.py`` sets the case counts; the figures (cases,
statuses seen, 500s) are written at the end of the session under "route fuzz figures".

This goes beyond ``test_control_spec.py`` (schemathesis over the control document): routes and
methods the documents do not list, hostile headers and framing, and stateful sequences.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable, Iterator
from http.client import HTTPConnection
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from freepik_mock.contract.loopback import LoopbackGuard
from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.contract.server_suite import resolve_webhook_hosts_offline
from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from freepik_mock.server.web.guards import FAULT_LABEL_KEY, DroppedConnection
from freepik_mock.server.web.state import get_state
from tests.conftest import API_KEY, OTHER_KEY
from tests.profiles import THOROUGH, examples
from tests.server.route_fuzz_support import (
    ROUTES,
    FigureReport,
    Figures,
    FuzzRequest,
    Ids,
    fuzz_requests,
    raw_requests,
)

VENDOR = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}
#: Where the figures line is also appended, when set (for a run under xdist, whose workers'
#: terminal summaries are not shown).
FIGURES_FILE_ENV = "FREEPIK_MOCK_FUZZ_FIGURES"


def fuzz_settings(*, ci: int, thorough: int, shrink: bool = True) -> settings:
    """Hypothesis settings for ``examples(ci=..., thorough=...)`` cases, with no deadline.

    ``make test`` draws the same cases on every run (derandomized, like the other property
    tests); the thorough profile draws new ones each time.
    """
    phases = tuple(Phase) if shrink else tuple(p for p in Phase if p is not Phase.shrink)
    return settings(
        max_examples=examples(ci=ci, thorough=thorough),
        phases=phases,
        derandomize=not THOROUGH,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


@pytest.fixture(scope="session")
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """The session's figures, written at the end of the terminal summary."""
    collected = Figures()
    request.config.pluginmanager.register(FigureReport(collected), "route-fuzz-figures")
    yield collected
    target = os.environ.get(FIGURES_FILE_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(collected.summary() + "\n")


@pytest.fixture
def guard() -> Iterator[LoopbackGuard]:
    """Nothing the fuzzed mock does (webhooks to generated URLs) leaves this machine."""
    with LoopbackGuard(reason="the route fuzz talks to 127.0.0.1 only") as active:
        yield active


def seed_ids(call: Callable[..., Any], receiver_url: str) -> Ids:
    """Make one of each thing a path can name (a completed task, a webhook, two rules)."""
    created = call(
        "POST", VENDOR, {"prompt": "seed", "music_length_seconds": 10, "webhook_url": receiver_url}
    )
    task_id = created["data"]["task_id"]
    call("POST", "/_mock/clock/advance", {"seconds": 60})
    webhook_id = call("GET", "/_mock/webhooks", None)["data"][0]["webhook_id"]
    # Rules that every generated create is matched against (neither matches "seed").
    call("POST", "/_mock/scenarios", {"match": {"prompt_contains": "zzz"}})
    scenario_id = call("POST", "/_mock/scenarios", {"match": {"prompt_regex": "^zzz"}})["id"]
    fault_id = call("POST", "/_mock/faults", {"match": {"path": "/nowhere"}, "status": 503})["id"]
    return Ids(
        task_id=task_id,
        scenario_id=scenario_id,
        fault_id=fault_id,
        webhook_id=webhook_id,
        receiver_url=receiver_url,
    )


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


def check_answer(
    app: Flask, answer: TestResponse | None, *, case: str, method: str, figures: Figures
) -> None:
    """No 500 (but an injected one), no unexpected error, a JSON error body, a healthy mock."""
    status = "dropped" if answer is None else answer.status_code
    figures.record(target="in-process", status=status)
    unexpected = get_state(app).take_unexpected()
    health = app.test_client().get("/_mock/health").status_code
    faulted = answer is None or FAULT_LABEL_KEY in answer.request.environ
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
    answer = send(app.test_client(), case)
    check_answer(app, answer, case=case.describe(), method=case.method, figures=figures)


# -- the admin token ---------------------------------------------------------------------
ADMIN_TOKEN = "fuzz-admin-token"
#: Authorization values that carry the token (the scheme in any case, spaces around).
GOOD_AUTHORIZATION = st.sampled_from(
    [
        f"Bearer {ADMIN_TOKEN}",
        f"bearer {ADMIN_TOKEN}",
        f"BEARER  {ADMIN_TOKEN} ",
        f" Bearer {ADMIN_TOKEN}",
    ]
)
#: Authorization values that do not.
BAD_AUTHORIZATION = st.one_of(
    st.sampled_from(
        [
            "",
            "Bearer",
            "Bearer ",
            f"Bearer {ADMIN_TOKEN}x",
            f"Bearer {ADMIN_TOKEN[:-1]}",
            f"Basic {ADMIN_TOKEN}",
            f"Bearer\t{ADMIN_TOKEN}",
            ADMIN_TOKEN,
            "Bearer é",
            "Bearer \x7f",
            "Bearer " + "t" * 5000,
        ]
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30).map(
        lambda text: "Bearer " + text
    ),
).filter(lambda value: not _carries_token(value))


def _carries_token(value: str) -> bool:
    scheme, _, token = value.strip().partition(" ")
    return scheme.lower() == "bearer" and token.strip() == ADMIN_TOKEN


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
    answer = send(app.test_client(), case)
    check_answer(app, answer, case=case.describe(), method=case.method, figures=figures)
    assert answer is not None  # no fault rules in this app
    # ("//_mock/..." is no path to the test client: it reads "_mock" as the host.)
    guarded = case.path.startswith("/_mock/") and case.path != "/_mock/health"
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
        try:
            answer: TestResponse | None = client.open(path, method=method, json=body, headers=AUTH)
        except DroppedConnection:
            answer = None
        check_answer(app, answer, case=f"{steps}: {step}", method=method, figures=figures)
        if answer is None or FAULT_LABEL_KEY in answer.request.environ:
            continue
        if step == "create" and answer.status_code == 200:
            created = answer.get_json()["data"]["task_id"]
            tasks.append(created)
            assert client.get(f"/_mock/tasks/{created}").status_code == 200
        elif step == "reset":
            assert answer.status_code == 200
            assert client.get("/_mock/tasks").get_json() == {"data": []}
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
_POSITIONS = st.one_of(st.integers(0, 5000), st.sampled_from([-1, 2**63, 10**30]))
RANGES = st.one_of(
    st.builds(lambda a, b: f"bytes={a}-{b}", _POSITIONS, _POSITIONS),
    st.builds(lambda a: f"bytes={a}-", _POSITIONS),
    st.builds(lambda a: f"bytes=-{a}", _POSITIONS),
    st.builds(
        lambda a, b, c, d: f"bytes={a}-{b},{c}-{d}", _POSITIONS, _POSITIONS, _POSITIONS, _POSITIONS
    ),
    st.sampled_from(
        ["bytes=", "bytes=-", "bytes=a-b", "items=0-1", "bytes 0-1", "", "bytes=0-1;x", "BYTES=0-1"]
    ),
    # Any text a header can carry (one line).
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=20),
)
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
    answer = client.open(path, method=method, headers=headers)
    check_answer(app, answer, case=f"{method} Range: {header!r}", method=method, figures=figures)
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


# -- a live server, raw bytes ----------------------------------------------------------------
@pytest.fixture(scope="module")
def live() -> Iterator[tuple[LiveServer, Ids]]:
    """A live mock (manual clock) with seeded ids; stopped, with its receiver, after the module."""
    with (
        LoopbackGuard(reason="the route fuzz talks to 127.0.0.1 only"),
        WebhookReceiver() as receiver,
        LiveServer(
            config=MockConfig(api_keys=(API_KEY, OTHER_KEY), clock="manual", webhook_max_retries=1),
            threads=2,
        ) as server,
    ):
        resolve_webhook_hosts_offline(server.app)
        get_state(server.app).sleep = lambda seconds: None

        def call(method: str, path: str, body: Any) -> Any:
            status, data = http_call(server, method, path, body)
            assert status < 300, (path, status, data)
            return json.loads(data)

        yield server, seed_ids(call, receiver.url)


def http_call(server: LiveServer, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    """One well-formed request over a fresh connection: (status, body)."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    connection = HTTPConnection(host, int(port), timeout=10)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = dict(AUTH) | ({"Content-Type": "application/json"} if payload else {})
        connection.request(method, path, body=payload, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def raw_exchange(server: LiveServer, data: bytes) -> bytes:
    """Send ``data`` on a new connection; the bytes answered up to the end of the head (or EOF)."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


@given(data=st.data())
# No shrinking: each try of a hanging case would wait out the socket timeout.
@fuzz_settings(ci=80, thorough=2000, shrink=False)
def test_raw_requests_to_a_live_server_never_get_a_500(
    live: tuple[LiveServer, Ids], figures: Figures, data: st.DataObject
) -> None:
    server, ids = live
    request = data.draw(raw_requests(ids))
    try:
        received = raw_exchange(server, request)
    except TimeoutError:
        figures.finding(f"no answer within 10 s to {request[:300]!r}")
        raise
    status_line = received.split(b"\r\n", 1)[0]
    status: int | str = int(status_line.split()[1]) if received.startswith(b"HTTP/1.") else "none"
    figures.record(target="live", status=status)
    unexpected = get_state(server.app).take_unexpected()
    health = http_call(server, "GET", "/_mock/health")[0]
    faulted = any(entry.get("fault") for entry in _journal(server))
    problems = []
    if status == 500 and not faulted:
        problems.append("answered 500")
    if status == "none" and not faulted:
        problems.append(f"no status line: {received[:200]!r}")
    if unexpected:
        problems.append(f"unexpected error: {unexpected[0]}")
    if health != 200:
        problems.append(f"health answered {health}")
    if problems:
        figures.finding(f"{request[:300]!r}: {'; '.join(problems)}")
    assert not problems, (request[:500], problems)


def _journal(server: LiveServer) -> list[dict[str, Any]]:
    """The journal's newest entry (the fuzzed request's, when it reached the app), then cleared."""
    status, body = http_call(server, "GET", "/_mock/requests")
    entries: list[dict[str, Any]] = json.loads(body)["data"][-1:] if status == 200 else []
    http_call(server, "DELETE", "/_mock/requests")
    return entries


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
