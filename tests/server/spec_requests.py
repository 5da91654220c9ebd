"""Generated requests for an operation of a spec: valid, nearly valid and broken ones, derived
from the spec document itself (its paths, parameters and request schemas), so a changed spec
gets requests of its own shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from freepik_mock.server.spec.schemas import resolve

__all__ = ["JSON_VALUES", "Operation", "operations", "requests"]

JSON = "application/json"
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"]

#: Text that casts differently: empty, numbers in odd spellings, words booleans are made of.
PARAM_TEXT = st.sampled_from(
    ["", "0", "1", "-1", "5", "10", "100", "241", "1.0", "2", " 1", "1_000", "1e400", "nan",
     "inf", "-inf", "\u0663", "abc", "true", "No", "ON", "x" * 6, "null", "2147483648",
     "-2147483648", "9223372036854775808"]
) | st.text(max_size=8)  # fmt: skip
CONTENT_TYPES = st.sampled_from(
    [None, "", JSON, f"{JSON}; charset=utf-8", "Application/JSON", f"{JSON};", f"{JSON}; a",
     f"{JSON}; a=b; c", "application/problem+json", "text/plain", "application/*", "*/*",
     "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "\x00;;==",
     "application/json-patch+json"]
) | st.text(max_size=20)  # fmt: skip
URIS = st.sampled_from(
    ["https://www.example.com/webhook", "http://127.0.0.1:9000/hook?x=1", "not a url",
     "/relative/path", "mailto:a@b.c", "http://[::1]:80/", "http://ex ample.com", "", "urn:x",
     "https://h/\u00e9", "http://a/%zz"]
)  # fmt: skip
#: Strings patterns read differently (Python's "$" matches before a final newline).
WORDS = st.sampled_from(["abc", "abc\n", "ABC", "", "ab1"])
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**30, -(10**30), 0.0, 30.0, -1.5, 1e300])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


class Operation:
    """One operation of a spec: its method, path template, parameters and request body."""

    def __init__(
        self, spec: Mapping[str, Any], *, method: str, template: str, item: Mapping[str, Any]
    ) -> None:
        self.spec, self.method, self.template = spec, method.upper(), template
        operation = item[method]
        self.id = str(operation.get("operationId", f"{method} {template}"))
        raw = [*operation.get("parameters", ()), *item.get("parameters", ())]
        self.parameters = [resolve(spec, p) for p in raw]
        body = operation.get("requestBody")
        content = resolve(spec, body).get("content", {}) if body else {}
        schema = content.get(JSON, {}).get("schema") if isinstance(content, Mapping) else None
        self.body_schema: Any = schema

    def names(self, location: str) -> list[str]:
        return [p["name"] for p in self.parameters if p.get("in") == location]


def operations(spec: Mapping[str, Any]) -> list[Operation]:
    """Every operation of ``spec``."""
    return [
        Operation(spec, method=method, template=template, item=item)
        for template, item in spec["paths"].items()
        for method in ("get", "put", "post", "delete", "patch")
        if method in item
    ]


def values(spec: Mapping[str, Any], schema: Any, *, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for ``schema``: mostly of its type near its bounds, sometimes anything."""
    schema = resolve(spec, schema)
    anything = JSON_VALUES
    if depth > 3 or not isinstance(schema, Mapping):
        return anything
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | anything
    for combinator in ("allOf", "anyOf", "oneOf"):
        if combinator in schema:
            subs = [values(spec, sub, depth=depth + 1) for sub in schema[combinator]]
            return st.one_of(*subs, anything)
    kind = schema.get("type")
    typed = _typed(spec, schema, kind, depth)
    if schema.get("nullable") is True:
        typed = typed | st.none()
    return st.one_of(typed, typed, typed, anything)


def _typed(
    spec: Mapping[str, Any], schema: Mapping[str, Any], kind: Any, depth: int
) -> st.SearchStrategy[Any]:
    if kind == "object":
        properties = {
            name: values(spec, sub, depth=depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
        required = [name for name in schema.get("required", ()) if name in properties]
        optional = st.fixed_dictionaries({}, optional=properties)
        # Mostly with the required fields, so the other checks are reached.
        complete = st.fixed_dictionaries(
            {name: properties[name] for name in required},
            optional={k: v for k, v in properties.items() if k not in required},
        )
        extra = st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=2)
        return st.builds(lambda a, b: {**b, **a}, st.one_of(complete, complete, optional), extra)
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", -100), schema.get("maximum", 100)
        edges = [low - 1, high + 1, 10**30, 2**31, -(2**31), 2**63, 2**31 - 1]
        near = st.integers(low - 2, high + 2) | st.sampled_from(edges)
        if kind == "number":
            return near | st.floats(low - 2, high + 2) | st.just(float(high))
        return near | st.sampled_from([float(low), float(high), True])
    if kind == "string":
        if schema.get("format") == "uri":
            return URIS | st.text(max_size=12)
        if "maxLength" in schema:
            size = int(schema["maxLength"])
            near = st.integers(max(size - 1, 0), size + 1).map("x".__mul__)
            return near | st.text(max_size=8) | WORDS
        return st.text(max_size=12) | WORDS
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = values(spec, schema.get("items", {}), depth=depth + 1)
        return st.lists(items, max_size=int(schema.get("maxItems", 3)) + 1)
    return JSON_VALUES


@st.composite
def _encoded(draw: st.DrawFn, value: Any) -> bytes:
    text = json.dumps(value)
    form = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "utf-32", "cut", "nan", "big", "ws"]))
    if form == "cut":
        return text.encode()[: draw(st.integers(0, max(len(text) - 1, 0)))]
    if form == "nan":
        return text.replace("0", "NaN", 1).replace("1", "1e400", 1).encode()
    if form == "big":
        return text.replace("1", "1" + "0" * 400, 1).encode()
    if form == "ws":
        return f" \n{text}\t ".encode()
    return text.encode(form)


def _bodies(op: Operation) -> st.SearchStrategy[bytes]:
    shaped = values(op.spec, op.body_schema) if op.body_schema is not None else JSON_VALUES
    return st.one_of(
        shaped.flatmap(_encoded),
        shaped.flatmap(_encoded),
        JSON_VALUES.flatmap(_encoded),
        st.binary(max_size=40),
        st.just(b""),
        st.sampled_from([b"[" * 5000, b"{" * 3, b"\xef\xbb\xbf{}", b"{}"]),
    )


def _paths(op: Operation) -> st.SearchStrategy[str]:
    template = op.template
    variants = [template, "/" + template, template + "/", "//" + template.lstrip("/"),
                "/x" + template, template.lstrip("/"), template + "/a/b", "", "/"]  # fmt: skip
    segment = st.text(alphabet=st.characters(blacklist_characters="/"), max_size=20)
    pieces = template.replace("}", "{").split("{")

    def fill(parts: list[str]) -> str:
        return "".join(parts)

    concrete = st.tuples(
        *[st.just(p) if i % 2 == 0 else segment for i, p in enumerate(pieces)]
    ).map(lambda parts: fill(list(parts)))
    return st.one_of(*[concrete] * 6, st.sampled_from(variants))


def _query(op: Operation) -> st.SearchStrategy[str]:
    declared = st.fixed_dictionaries({}, optional=dict.fromkeys(op.names("query"), PARAM_TEXT))
    extra = st.lists(st.tuples(st.sampled_from(["page", "x"]) | st.text(max_size=4), PARAM_TEXT))
    pairs = st.builds(lambda d, e: urlencode([*d.items(), *e[:2]]), declared, extra)
    return st.one_of(pairs, pairs, pairs, st.text(max_size=12), st.just(""))


def _headers(op: Operation) -> st.SearchStrategy[dict[str, str]]:
    names = [*op.names("header"), "X-Freepik-Api-Key", "x-magnific-api-key", "Accept", "X-Other"]
    cased = st.sampled_from(names).flatmap(
        lambda name: st.sampled_from([name, name.lower(), name.upper(), name.title()])
    )
    # HTTP cannot carry a line break in a header value (servers refuse such a request).
    text = PARAM_TEXT.map(lambda value: value.replace("\r", "").replace("\n", ""))
    declared = st.fixed_dictionaries({}, optional=dict.fromkeys(op.names("header"), text))
    extra = st.dictionaries(cased, text, max_size=3)
    return st.builds(lambda d, e: {**e, **d}, declared, extra)


def requests(op: Operation) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments of ``request_problems`` for requests aimed at ``op``."""
    method = st.one_of(st.just(op.method), st.just(op.method), st.sampled_from(METHODS))
    return st.fixed_dictionaries(
        {
            "method": method,
            "path": _paths(op),
            "query": _query(op),
            "headers": _headers(op),
            "body": _bodies(op),
            "content_type": st.one_of(*[st.just(JSON)] * 4, CONTENT_TYPES),
        }
    )
