"""What the route fuzz (``test_route_fuzz.py``) generates, and the figures it reports.

The strategies build requests a careless or hostile client could send to any route: methods the
route does not take, odd path segments and query strings, API key headers given twice, empty or
not ASCII, bodies that are valid, nearly valid (one field of the wrong type, huge, negative, a NUL
byte), any JSON, deeply nested JSON, or not JSON at all, under any content type. ``raw_requests``
turns the same into bytes on a socket, with malformed request lines, bare LF line ends and bad
``Content-Length`` headers, so that a live server's own parsing is fuzzed too.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import strategies as st

__all__ = [
    "BODY_TEMPLATES",
    "ROUTES",
    "FigureReport",
    "Figures",
    "FuzzRequest",
    "Ids",
    "fill_route",
    "fuzz_requests",
    "json_values",
    "raw_requests",
    "segments",
]

#: Every route of the app, as Flask spells it, with the methods it takes. A test holds this list
#: to the app's URL map, so a route added later is fuzzed too (or the test says it is missing).
#: ``/static/<path:filename>`` is Flask's own static route: no document lists it, but it answers.
ROUTES: dict[str, tuple[str, ...]] = {
    "/v1/ai/music-generation": ("GET", "POST"),
    "/v1/ai/music-generation/<path:task_id>": ("GET",),
    "/results/<task_id>.mp3": ("GET", "HEAD"),
    "/static/<path:filename>": ("GET",),
    "/_mock/health": ("GET",),
    "/_mock/reset": ("POST",),
    "/_mock/clock": ("GET",),
    "/_mock/clock/advance": ("POST",),
    "/_mock/tasks": ("GET",),
    "/_mock/tasks/<task_id>": ("GET",),
    "/_mock/tasks/<task_id>/complete": ("POST",),
    "/_mock/tasks/<task_id>/fail": ("POST",),
    "/_mock/openapi.yaml": ("GET",),
    "/_mock/control-openapi.yaml": ("GET",),
    "/_mock/scenarios": ("GET", "POST", "DELETE"),
    "/_mock/scenarios/<rule_id>": ("DELETE",),
    "/_mock/faults": ("GET", "POST", "DELETE"),
    "/_mock/faults/<rule_id>": ("DELETE",),
    "/_mock/requests": ("GET", "DELETE"),
    "/_mock/webhooks": ("GET",),
    "/_mock/webhooks/<webhook_id>": ("GET",),
    "/_mock/webhooks/<webhook_id>/replay": ("POST",),
    "/_mock/webhooks/send": ("POST",),
}

#: Methods tried on every path besides its own: odd ones, a made-up one, a lower-case one.
ODD_METHODS = ("PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "POST", "GET", "TRACE", "PROPFIND")

#: The key the fuzzed mocks accept (tests/conftest.py's API_KEY).
API_KEY = "test-key-0001"
_RECEIVER = "{receiver}"  # replaced by the test's webhook receiver URL


@dataclass
class Ids:
    """Ids that exist in the fuzzed mock, so that generated paths sometimes name a real thing."""

    task_id: str = "no-task"
    scenario_id: str = "no-scenario"
    fault_id: str = "no-fault"
    webhook_id: str = "no-webhook"
    receiver_url: str = "http://127.0.0.1:1/hook"


# -- values ----------------------------------------------------------------------------------
_HUGE_INTS = st.sampled_from(
    [0, -1, 1, 9, 10, 240, 241, 2**31, -(2**31) - 1, 2**63, -(2**63), 2**64, 10**400, -(10**400)]
)
_ODD_FLOATS = st.sampled_from([0.0, -0.0, 0.5, -1.5, 1e-300, 1e300, 1.7976931348623157e308])
_ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "nul\x00byte",
        "\ud800",
        "é ü 中文 🎵",
        "\u202e\u200b",
        "a" * 3000,
        "null",
        "true",
        "COMPLETED",
        "FAILED",
        "http://127.0.0.1:1/hook",
        "*",
        "/v1/*",
        "(a+)+$",
        "[",
        "\\",
        "../../etc/passwd",
        "%00",
    ]
)
_TEXT = st.one_of(_ODD_TEXT, st.text(max_size=40))


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value: scalars of every type (huge, negative, odd text), lists and objects."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        _HUGE_INTS,
        st.integers(),
        _ODD_FLOATS,
        st.floats(allow_nan=False),
        _TEXT,
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)
        ),
        max_leaves=12,
    )


#: What each route's body looks like when it is valid; generated bodies start from these and
#: change a field, drop one, or add one.
BODY_TEMPLATES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "/v1/ai/music-generation": {
        "prompt": _TEXT,
        "music_length_seconds": st.integers(min_value=10, max_value=240),
        "webhook_url": st.sampled_from(
            [
                _RECEIVER,
                "http://example.invalid/hook",
                "not a url",
                "ftp://127.0.0.1/x",
                "",
                "http://[::1",
                "http://127.0.0.1:99999/",
            ]
        ),
    },
    "/_mock/clock/advance": {"seconds": st.one_of(st.integers(0, 600), _ODD_FLOATS)},
    "/_mock/scenarios": {
        "match": st.fixed_dictionaries(
            {},
            optional={"prompt_contains": _TEXT, "prompt_regex": _TEXT, "api_key": _TEXT},
        ),
        "outcome": st.sampled_from(["COMPLETED", "FAILED", None, "completed"]),
        "created_seconds": st.one_of(st.integers(0, 100), _ODD_FLOATS),
        "processing_seconds": st.one_of(st.integers(0, 100), _ODD_FLOATS),
        "times": st.one_of(st.integers(1, 5), _HUGE_INTS),
    },
    "/_mock/faults": {
        "match": st.fixed_dictionaries(
            {},
            optional={
                "method": st.sampled_from(["GET", "post", "HEAD", "BREW", ""]),
                "path": st.sampled_from(["*", "/v1/*", "/results/*", "/_mock/*", "v1", ""]),
                "api_key": _TEXT,
            },
        ),
        "status": st.one_of(st.integers(399, 600), _HUGE_INTS),
        "delay_seconds": st.one_of(st.integers(0, 61), _ODD_FLOATS),
        "retry_after": st.one_of(st.integers(-1, 86401), _HUGE_INTS),
        "body": json_values(),
        "headers": st.dictionaries(
            st.sampled_from(["X-A", "Retry-After", "Content-Length", "Bad Name", "é", ""]),
            st.one_of(_TEXT, _HUGE_INTS),
            max_size=3,
        ),
        "times": st.one_of(st.integers(1, 3), _HUGE_INTS),
        "probability": st.one_of(st.sampled_from([0, 0.5, 1, 1.5]), _ODD_FLOATS),
        "drop_connection": st.booleans(),
    },
    "/_mock/webhooks/send": {
        "url": st.sampled_from(
            [
                _RECEIVER,
                _RECEIVER + "?x=1",
                "http://example.invalid/",
                "javascript:1",
                "",
                "x",
                "http://[::1",
                "http://[zz]/",
                "http://127.0.0.1:99999/",
                "http://127.0.0.1:x/",
                "http://user:pw@127.0.0.1:1/",
                "http://a\x00b/",
            ]
        ),
        "task_id": st.one_of(st.none(), _TEXT, st.just("{task_id}")),
        "status": st.sampled_from(["COMPLETED", "FAILED", "CREATED", "IN_PROGRESS", "x", None]),
    },
}


@st.composite
def _templated_body(draw: st.DrawFn, template: dict[str, st.SearchStrategy[Any]]) -> Any:
    """A body built from ``template``: some fields kept, some of the wrong type, some added."""
    body: dict[str, Any] = {}
    # Half the bodies are valid throughout, so that the route's own work is fuzzed too.
    pristine = draw(st.booleans())
    for name, values in template.items():
        choice = "valid" if pristine else draw(st.sampled_from(["valid", "missing", "any"]))
        if choice == "valid":
            body[name] = draw(values)
        elif choice == "any":
            body[name] = draw(json_values())
    if not pristine and draw(st.integers(0, 2)) == 0:
        body[draw(_TEXT)] = draw(json_values())
    return body


def _deep(depth: int, *, opener: str) -> str:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return opener * depth + "1" + closer * depth


#: Content types a body is sent under (None: no Content-Type header at all).
CONTENT_TYPES = (
    None,
    "application/json",
    "application/json",
    "application/json; charset=utf-8",
    "application/JSON",
    "application/json; charset=latin-1",
    "application/problem+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "",
    ";;;",
    "application/jsón",
)


@st.composite
def bodies(draw: st.DrawFn, route: str, ids: Ids) -> bytes:
    """A request body for ``route``: templated, any JSON, deeply nested, or not JSON at all."""
    template = BODY_TEMPLATES.get(route)
    kinds = ["template", "template", "template", "json", "deep", "raw", "empty", "huge"]
    kind = draw(st.sampled_from(kinds))
    if kind == "template" and template is not None:
        text = json.dumps(draw(_templated_body(template)))
    elif kind in ("template", "json"):
        text = json.dumps(draw(json_values()))
    elif kind == "deep":
        depth = draw(st.sampled_from([31, 32, 33, 100, 1000, 5000]))
        text = _deep(depth, opener=draw(st.sampled_from(["[", '{"a":'])))
    elif kind == "raw":
        raw = draw(
            st.one_of(
                st.binary(max_size=64),
                st.sampled_from(
                    [b"{", b'{"prompt": "\xff\xfe"}', b"NaN", b'{"a": Infinity}', b"\x00" * 8]
                ),
            )
        )
        return raw
    elif kind == "huge":
        # Just over the 1 MiB body cap, as JSON the route would otherwise take.
        return b'{"prompt": "' + b"a" * (1024 * 1024) + b'", "music_length_seconds": 10}'
    else:
        return b""
    text = text.replace(_RECEIVER, ids.receiver_url).replace("{task_id}", ids.task_id)
    return text.encode("utf-8", "surrogatepass")


# -- paths, queries, headers -----------------------------------------------------------------
def segments(ids: Ids, name: str) -> st.SearchStrategy[str]:
    """A path segment standing for ``name``: a real id, or an odd one (already URL-encoded)."""
    real: st.SearchStrategy[str] = st.just(
        {"task_id": ids.task_id, "webhook_id": ids.webhook_id, "filename": "x.css"}.get(
            name, ids.task_id
        )
    )
    if name == "rule_id":
        real = st.sampled_from([ids.scenario_id, ids.fault_id])
    odd = st.sampled_from(
        [
            ".",
            "..",
            "%2e%2e",
            "%2F",
            "a%2Fb",
            "a/b",
            "..%2F..%2Fetc%2Fpasswd",
            "%00",
            "a%00b",
            "%ff",
            "%",
            "%zz",
            "é",
            quote("中文"),
            "a" * 5000,
            "-1",
            "0",
            "99999999999999999999999",
            "null",
            "%20",
            "~",
            "*",
        ]
    )
    return st.one_of(real, odd, st.text(max_size=20).map(lambda t: quote(t, safe="")))


def fill_route(rule: str, values: dict[str, str]) -> str:
    """``rule`` with each ``<converter:name>`` replaced by ``values[name]``."""
    path = rule
    for name, value in values.items():
        path = path.replace(f"<path:{name}>", value).replace(f"<{name}>", value)
    return path


_QUERIES = st.one_of(
    st.just(""),
    st.sampled_from(
        [
            "a=1&a=2",
            "api_key=test-key-0001",
            "api_key=",
            "task_id=%00",
            "method=POST&method=GET",
            "status=999999999999999999999",
            "limit=-1",
            "&&&",
            "=",
            "%ff=%fe",
            "x=" + "y" * 5000,
            "since=-1&limit=abc",
            "path=%2F_mock",
        ]
    ),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30),
    # The filters the list routes take, given once or twice, with odd values.
    st.lists(
        st.tuples(
            st.sampled_from(["method", "path", "api_key", "task_id", "unknown"]),
            st.one_of(
                st.sampled_from(
                    ["GET", "get", "BREW", "*", "/v1/*", "/a*b", "v1", "test-key-0001"]
                ),
                _TEXT,
            ),
        ),
        max_size=3,
    ).map(lambda pairs: urlencode(pairs, encoding="utf-8", errors="surrogatepass")),
)

_KEY_VALUES = st.sampled_from(
    [
        None,
        None,
        "test-key-0001",
        "test-key-0001",
        "test-key-0002",
        "",
        " ",
        "wrong",
        "clé",
        "k" * 5000,
        " test-key-0001 ",
        "test-key-0001\x7f",
    ]
)


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Both API key headers (absent, valid, empty, repeated, not ASCII) and other odd headers."""
    result: list[tuple[str, str]] = []
    # Half the time one valid key, so that most requests get past authentication (a header
    # given twice reaches the app as one value, "a, b", which is no key).
    valid = draw(st.booleans())
    if valid:
        result.append((draw(st.sampled_from(["x-freepik-api-key", "x-magnific-api-key"])), API_KEY))
    for name in ("x-freepik-api-key", "x-magnific-api-key"):
        for _ in range(0 if valid else draw(st.integers(0, 2))):
            value = draw(_KEY_VALUES)
            if value is not None:
                result.append((draw(st.sampled_from([name, name.upper()])), value))
    extras = st.tuples(
        st.sampled_from(
            [
                "Accept",
                "Authorization",
                "Host",
                "Range",
                "If-None-Match",
                "If-Modified-Since",
                "If-Range",
                "X-Forwarded-For",
                "X-Forwarded-Host",
                "Transfer-Encoding",
                "Expect",
                "X-é",
            ]
        ),
        st.sampled_from(
            [
                "",
                "*/*",
                "Bearer",
                "Bearer x",
                "bytes=0-1",
                "bytes=-5",
                "bytes=9999999999999999999-",
                '"x"',
                "*",
                "Fri, 99 Foo 2026",
                "chunked",
                "100-continue",
                "é",
                "a" * 2000,
                "[::1]",
            ]
        ),
    )
    result.extend(draw(st.lists(extras, max_size=2)))
    return result


@dataclass(frozen=True)
class FuzzRequest:
    """One generated request, as the in-process client sends it."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    content_type: str | None
    body: bytes

    def describe(self) -> str:
        """The request in one line, for failure messages."""
        return (
            f"{self.method} {self.path[:200]}?{self.query[:100]} headers={self.headers!r:.300} "
            f"content_type={self.content_type!r} body={self.body[:200]!r}"
        )


@st.composite
def fuzz_requests(draw: st.DrawFn, rule: str, ids: Ids) -> FuzzRequest:
    """A request to the route ``rule``: its own methods mostly, odd ones on the same path too."""
    own = ROUTES[rule]
    method = draw(
        st.one_of(st.sampled_from(own), st.sampled_from(own), st.sampled_from(ODD_METHODS))
    )
    names = [part.split(":")[-1].rstrip(">") for part in rule.split("<")[1:]]
    path = fill_route(rule, {name: draw(segments(ids, name)) for name in names})
    if draw(st.integers(0, 9)) == 0:
        path = draw(st.sampled_from([path + "/", path + "//", path.replace("/", "//", 1)]))
    return FuzzRequest(
        method=method,
        path=path,
        query=draw(_QUERIES),
        headers=draw(headers()),
        content_type=draw(st.one_of(st.just("application/json"), st.sampled_from(CONTENT_TYPES))),
        body=draw(bodies(rule, ids)),
    )


# -- raw HTTP --------------------------------------------------------------------------------
#: How header lines end. The head itself always ends in CRLF CRLF: waitress ends a head only
#: there, so a head of bare LF lines alone is waited on until the idle timeout (a finding
#: reported, not a hang of the mock's making); bare LF *inside* a head is fuzzed here.
_LINE_ENDS = st.sampled_from([b"\r\n", b"\r\n", b"\n"])


@st.composite
def raw_requests(draw: st.DrawFn, ids: Ids) -> bytes:
    """Bytes for a socket: a fuzzed request with, sometimes, a malformed request line, bare LF
    line ends, repeated or invalid ``Content-Length`` or ``Transfer-Encoding``.

    Never a request the server must wait on (a valid length longer than the body): that is a
    correct wait, not a hang.
    """
    rule = draw(st.sampled_from(sorted(ROUTES)))
    request = draw(fuzz_requests(rule, ids))
    target = request.path + (f"?{request.query}" if request.query else "")
    method = request.method.encode()
    version = b"HTTP/1.1"
    if draw(st.integers(0, 3)) == 0:
        method = draw(st.sampled_from([b"", b"G ET", b"GET\x00", b"\xc3\x84", b"get", b"X" * 300]))
    if draw(st.integers(0, 3)) == 0:
        version = draw(
            st.sampled_from([b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1x", b"", b"http/1.1", b"HTTP/9"])
        )
    target_bytes = target.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:
        target_bytes = draw(
            st.sampled_from(
                [b"*", b"", b"x", b"http://127.0.0.1/_mock/health", b"/ a", b"/\x7f", b"/" * 9000]
            )
        )
    end = draw(_LINE_ENDS)
    body = request.body
    lines = [method + b" " + target_bytes + b" " + version]
    lines.append(b"Host: " + draw(st.sampled_from([b"127.0.0.1", b"localhost:1", b"", b"\xe9"])))
    for name, value in request.headers:
        lines.append(name.encode() + b": " + value.encode("utf-8"))
    if request.content_type is not None:
        lines.append(b"Content-Type: " + request.content_type.encode("utf-8"))
    framing = draw(
        st.sampled_from(["length", "length", "none", "short", "invalid", "twice", "chunked"])
    )
    if framing == "length":
        lines.append(b"Content-Length: %d" % len(body))
    elif framing == "short":
        lines.append(b"Content-Length: %d" % draw(st.integers(0, len(body))))
    elif framing == "invalid":
        # None of these is a length the body could satisfy later (that is a correct wait).
        bad = [b"-1", b"abc", b" 0 ", b"1e3", b"+0", b"0x10", b"99999999999999999999", b""]
        lines.append(b"Content-Length: " + draw(st.sampled_from(bad)))
    elif framing == "twice":
        lines.append(b"Content-Length: %d" % len(body))
        lines.append(b"Content-Length: %d" % (len(body) + 1))
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: " + draw(st.sampled_from([b"chunked", b"gzip, chunked"])))
        size = draw(st.sampled_from([b"%x" % len(body), b"zz", b"-1", b"%X;ext=1" % len(body)]))
        body = (size + b"\r\n" + body + b"\r\n0\r\n\r\n") if body else b"0\r\n\r\n"
    if draw(st.booleans()):
        lines.append(b"X-Bare-CR: a\rb")
    lines.append(b"Connection: close")
    return end.join(lines) + b"\r\n\r\n" + body


# -- figures ---------------------------------------------------------------------------------
@dataclass
class Figures:
    """What the fuzz tried and saw: cases per target, statuses with counts, findings."""

    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, *, target: str, status: int | str) -> None:
        """Count one case sent to ``target`` and what it answered."""
        with self._lock:
            self.cases[target] += 1
            self.statuses[str(status)] += 1

    def finding(self, text: str) -> None:
        """Keep a 500, hang or failed health check (the test fails with it too)."""
        with self._lock:
            self.findings.append(text)

    def summary(self) -> str:
        """One line: cases per target, statuses seen, findings."""
        targets = ", ".join(f"{name} {count}" for name, count in sorted(self.cases.items()))
        statuses = ", ".join(f"{s}x{n}" for s, n in sorted(self.statuses.items()))
        fives = self.statuses.get("500", 0)
        return (
            f"route fuzz: {sum(self.cases.values())} cases ({targets}); statuses: {statuses}; "
            f"500s: {fives}; findings: {len(self.findings)}"
        )


class FigureReport:
    """A pytest plugin writing the figures at the end of the session's terminal summary."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Write the summary line (and each finding) under its own heading."""
        terminalreporter.section("route fuzz figures")
        terminalreporter.write_line(self.figures.summary())
        for text in self.figures.findings:
            terminalreporter.write_line(f"  finding: {text[:500]}")
