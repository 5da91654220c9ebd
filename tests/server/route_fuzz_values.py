"""The values the route fuzz puts in bodies: any JSON, odd scalars, near-valid route bodies.

``bodies`` builds a request body for a route: valid (from the route's template), nearly valid (a
field of the wrong type, huge, negative, holding a NUL byte or a lone surrogate, missing, or one
added), any JSON, deeply nested JSON, over the 1 MiB cap, or not JSON at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "ADMIN_TOKEN",
    "API_KEY",
    "BAD_AUTHORIZATION",
    "BODY_TEMPLATES",
    "CONTENT_TYPES",
    "GOOD_AUTHORIZATION",
    "RANGES",
    "TEXT",
    "Ids",
    "bodies",
    "json_values",
]

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
_ODDTEXT = st.sampled_from(
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
TEXT = st.one_of(_ODDTEXT, st.text(max_size=40))


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value: scalars of every type (huge, negative, odd text), lists and objects."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        _HUGE_INTS,
        st.integers(),
        _ODD_FLOATS,
        st.floats(allow_nan=False),
        TEXT,
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)
        ),
        max_leaves=12,
    )


#: What each route's body looks like when it is valid; generated bodies start from these and
#: change a field, drop one, or add one.
BODY_TEMPLATES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "/v1/ai/music-generation": {
        "prompt": TEXT,
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
            optional={"prompt_contains": TEXT, "prompt_regex": TEXT, "api_key": TEXT},
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
                "api_key": TEXT,
            },
        ),
        "status": st.one_of(st.integers(399, 600), _HUGE_INTS),
        "delay_seconds": st.one_of(st.integers(0, 61), _ODD_FLOATS),
        "retry_after": st.one_of(st.integers(-1, 86401), _HUGE_INTS),
        "body": json_values(),
        "headers": st.dictionaries(
            st.sampled_from(["X-A", "Retry-After", "Content-Length", "Bad Name", "é", ""]),
            st.one_of(TEXT, _HUGE_INTS),
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
        "task_id": st.one_of(st.none(), TEXT, st.just("{task_id}")),
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
        body[draw(TEXT)] = draw(json_values())
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


# -- header values -------------------------------------------------------------------------
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
