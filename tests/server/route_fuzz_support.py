"""The requests the route fuzz (``test_route_fuzz*.py``) sends, to any route.

The strategies build requests a careless or hostile client could send to any route: methods the
route does not take, odd path segments and query strings, API key headers given twice, empty or
not ASCII, bodies that are valid, nearly valid (one field of the wrong type, huge, negative, a NUL
byte), any JSON, deeply nested JSON, or not JSON at all, under any content type. ``raw_requests``
turns the same into bytes on a socket, with malformed request lines, bare LF line ends and bad
``Content-Length`` headers, so that a live server's own parsing is fuzzed too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from tests.profiles import THOROUGH, examples
from tests.server.route_fuzz_values import API_KEY, CONTENT_TYPES, TEXT, Ids, bodies

__all__ = [
    "ODD_METHODS",
    "ROUTES",
    "VENDOR",
    "FuzzRequest",
    "fill_route",
    "fuzz_requests",
    "fuzz_settings",
    "headers",
    "raw_requests",
    "seed_ids",
    "segments",
]

VENDOR = "/v1/ai/music-generation"

#: Every route of the app, as Flask spells it, with the methods it takes. A test holds this list
#: to the app's URL map, so a route added later is fuzzed too (or the test says it is missing).
ROUTES: dict[str, tuple[str, ...]] = {
    "/v1/ai/music-generation": ("GET", "POST"),
    "/v1/ai/music-generation/<path:task_id>": ("GET",),
    "/results/<task_id>.mp3": ("GET", "HEAD"),
    "/_mock": ("GET",),
    "/_mock/ui/": ("GET",),
    "/_mock/ui/<asset>": ("GET",),
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


# -- paths, queries, headers -----------------------------------------------------------------
def segments(ids: Ids, name: str) -> st.SearchStrategy[str]:
    """A path segment standing for ``name``: a real id, or an odd one (already URL-encoded)."""
    real: st.SearchStrategy[str] = st.just(
        {
            "task_id": ids.task_id,
            "webhook_id": ids.webhook_id,
            "filename": "x.css",
            "asset": "app.js",
        }.get(name, ids.task_id)
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
                TEXT,
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
    # Half the cases are well framed, so that they reach the app; the others are mangled.
    mangled = draw(st.booleans())
    target = request.path + (f"?{request.query}" if request.query else "")
    method = request.method.encode()
    version = b"HTTP/1.1"
    if mangled and draw(st.integers(0, 3)) == 0:
        method = draw(st.sampled_from([b"", b"G ET", b"GET\x00", b"\xc3\x84", b"get", b"X" * 300]))
    if mangled and draw(st.integers(0, 3)) == 0:
        version = draw(
            st.sampled_from([b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1x", b"", b"http/1.1", b"HTTP/9"])
        )
    target_bytes = target.encode("utf-8", "surrogatepass")
    if mangled and draw(st.integers(0, 4)) == 0:
        target_bytes = draw(
            st.sampled_from(
                [b"*", b"", b"x", b"http://127.0.0.1/_mock/health", b"/ a", b"/\x7f", b"/" * 9000]
            )
        )
    end = draw(_LINE_ENDS) if mangled else b"\r\n"
    body = request.body
    lines = [method + b" " + target_bytes + b" " + version]
    hosts = [b"127.0.0.1", b"localhost:1", b"", b"\xe9"] if mangled else [b"127.0.0.1"]
    lines.append(b"Host: " + draw(st.sampled_from(hosts)))
    for name, value in request.headers:
        # Framing is this function's business: a stray Transfer-Encoding would make the server
        # wait for chunks (a correct wait), a second Host is a 400 before the app.
        if name.lower() not in ("transfer-encoding", "host", "expect"):
            lines.append(name.encode() + b": " + value.encode("utf-8"))
    if request.content_type is not None:
        lines.append(b"Content-Type: " + request.content_type.encode("utf-8"))
    framings = ["length", "none", "short", "invalid", "twice", "chunked"] if mangled else ["length"]
    framing = draw(st.sampled_from(framings))
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
    if mangled and draw(st.booleans()):
        lines.append(b"X-Bare-CR: a\rb")
    lines.append(b"Connection: close")
    return end.join(lines) + b"\r\n\r\n" + body


# -- settings and seeds ----------------------------------------------------------------------
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
