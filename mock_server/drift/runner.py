"""Drift mode: ask any server the questions that cost nothing, and compare its answers.

A fixed catalogue of probes (:data:`PROBES`), each one HTTP request that cannot spend credits: a
list, requests without a key, with an empty or an invalid key, a get of an unknown task, and
creates that the API must refuse. **Every create probe lacks a required field or is not a JSON
object**, so even a server that skipped the check a probe is about would still have to refuse it
before creating anything; a create that is nonetheless accepted (2xx) is reported loudly.

:func:`run_drift` sends each probe to the target (``base_url`` + key, redirects never followed)
and to an in-process mock built for the same key, then checks the target's answer against the
extended spec (:func:`~freepik_mock.server.spec.validate_response`) and against the mock's answer
(status, content type, the shape of the JSON body, ``message`` texts, ``invalid_params`` names; ids
and other values differ naturally and are not compared). :func:`render_table` and
:func:`render_json` show the :class:`DriftReport`; :attr:`DriftReport.exit_code` is 0 when
nothing differs, 1 when something does, 2 when the target could not be reached.

The catalogue is defined in :mod:`freepik_mock.server.drift.probes` and the report in
:mod:`freepik_mock.server.drift.report`; their public names are all importable from here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .. import MockConfig, close_app, create_app
from ..spec import RequestValidator
from ..web import get_state
from .probes import COLLECTION, PROBES, Probe
from .report import (
    DriftReport,
    ProbeResult,
)

__all__ = ["run_drift"]


@dataclass(frozen=True, kw_only=True)
class _Answer:
    """What one server answered to one probe (``error`` set when it did not answer)."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None

    @property
    def mimetype(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return _NOT_JSON


_NOT_JSON = object()
_Sent = dict[str, str]


# -- comparing ---------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names = {dict: "object", list: "array", str: "string", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _param_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else []
    return sorted({str(item.get("name")) for item in items if isinstance(item, dict)})


def _json_differences(target: Any, mock: Any, where: str) -> Iterator[str]:
    """Differences of structure (keys, types), ``message`` texts and ``invalid_params`` names."""
    if _kind(target) != _kind(mock):
        yield f"{where} is {_kind(target)} (mock: {_kind(mock)})"
    elif isinstance(target, dict):
        for key in sorted(target.keys() - mock.keys()):
            yield f"{where} has '{key}' (mock: absent)"
        for key in sorted(mock.keys() - target.keys()):
            yield f"{where} lacks '{key}' (mock: present)"
        for key in sorted(target.keys() & mock.keys()):
            inner = f"{where}.{key}"
            if key == "message" and isinstance(target[key], str) and target[key] != mock[key]:
                yield f"{inner} is {target[key]!r} (mock: {mock[key]!r})"
            elif key == "invalid_params" and _param_names(target[key]) != _param_names(mock[key]):
                names, mock_names = _param_names(target[key]), _param_names(mock[key])
                yield f"{inner} names {names} (mock: {mock_names})"
            else:
                yield from _json_differences(target[key], mock[key], inner)
    elif isinstance(target, list) and target and mock:
        yield from _json_differences(target[0], mock[0], f"{where}[0]")


def _mock_differences(target: _Answer, mock: _Answer) -> list[str]:
    problems: list[str] = []
    if target.status != mock.status:
        problems.append(f"status {target.status} (mock: {mock.status})")
    if target.mimetype != mock.mimetype:
        shown = target.mimetype or "none"
        problems.append(f"content type {shown} (mock: {mock.mimetype or 'none'})")
    if target.status != mock.status:
        return problems  # different answers: their bodies naturally differ too
    target_json, mock_json = target.json(), mock.json()
    if target_json is _NOT_JSON and mock_json is not _NOT_JSON:
        problems.append("body is not JSON (mock: JSON)")
    elif target_json is not _NOT_JSON and mock_json is _NOT_JSON:
        problems.append("body is JSON (mock: not JSON)")
    elif target_json is not _NOT_JSON:
        problems.extend(_json_differences(target_json, mock_json, "body"))
    return problems


def _spec_differences(
    probe: Probe, status: int, answer: _Answer, *, validator: RequestValidator, sent: _Sent
) -> list[str]:
    where = {"method": probe.method, "path": probe.path}
    headers, content_type = answer.headers, answer.headers.get("content-type")
    problems = validator.validate_response(
        **where, status=status, headers=headers, body=answer.body, content_type=content_type
    )
    if 200 <= status < 300:
        if probe.auth in ("none", "empty", "invalid"):
            problems.append(f"answered {status} without a valid key")
        body, content_type = probe.body or b"", probe.content_type
        refused = validator.validate(
            **where, query="", headers=sent, body=body, content_type=content_type
        )
        if refused:
            names = ", ".join(sorted({param.name for param in refused}))
            problems.append(f"answered {status} to a request the spec refuses ({names})")
    return problems


def _compare(
    probe: Probe, target: _Answer, mock: _Answer, *, validator: RequestValidator, sent: _Sent
) -> ProbeResult:
    details: list[str] = []
    spec_verdict, mock_verdict = "n/a", "differs"
    if target.status is None:
        details.append(f"no answer from the target: {target.error}")
    else:
        if probe.method == "POST" and 200 <= target.status < 300:
            details.append(
                f"the target ACCEPTED this create probe ({target.status}): it may have "
                "created a task and spent credits"
            )
        if probe.in_spec:
            spec = _spec_differences(probe, target.status, target, validator=validator, sent=sent)
            spec_verdict = "differs" if spec else "ok"
            details += [f"vs spec: {text}" for text in spec]
        against_mock = _mock_differences(target, mock)
        mock_verdict = "differs" if against_mock else "ok"
        details += [f"vs mock: {text}" for text in against_mock]
    return ProbeResult(
        probe=probe.name,
        request=probe.summary,
        target_status=target.status,
        mock_status=mock.status,
        spec_verdict=spec_verdict,
        mock_verdict=mock_verdict,
        details=tuple(details),
    )


# -- running -----------------------------------------------------------------------------------
def _send(client: httpx.Client, probe: Probe, headers: _Sent) -> _Answer:
    try:
        response = client.request(probe.method, probe.path, headers=headers, content=probe.body)
    except httpx.HTTPError as exc:
        return _Answer(error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return _Answer(
        status=response.status_code,
        headers={name.lower(): value for name, value in response.headers.items()},
        body=response.content,
    )


def _check_base_url(base_url: str) -> str:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"the base URL {base_url!r} is not valid ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"the base URL {base_url!r} is not an http(s) URL with a host")
    if url.query or url.fragment:
        raise ValueError(f"the base URL {base_url!r} must not have a query or fragment")
    return base_url.rstrip("/")


def run_drift(
    *, base_url: str, api_key: str, timeout: float = 30.0, probes: Sequence[Probe] = PROBES
) -> DriftReport:
    """Send each probe to ``base_url`` and to an in-process mock, and compare the answers.

    ``ValueError`` for a base URL that is not http(s) or an empty key. A target that answers none
    of the requests gives a report with ``error`` set (exit code 2), never an exception.
    """
    base = _check_base_url(base_url)
    if not api_key:
        raise ValueError("the API key must not be empty")
    invalid_key = f"invalid-key-{secrets.token_hex(12)}"
    app = create_app(MockConfig(api_keys=(api_key,), clock="manual"))
    try:
        validator = get_state(app).validator
        mock = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://mock.local")
        target = httpx.Client(base_url=base, timeout=timeout, follow_redirects=False)
        with mock, target:
            # One task of the key's own on the mock, so that list items have a shape to compare.
            mock.post(
                COLLECTION,
                json={"prompt": "drift reference", "music_length_seconds": 10},
                headers={"x-freepik-api-key": api_key},
            )
            rows: list[ProbeResult] = []
            for probe in probes:
                sent = probe.headers(api_key=api_key, invalid_key=invalid_key)
                answer = _send(target, probe, sent)
                if answer.error is not None and not rows:  # nothing answered yet: give up
                    return DriftReport(
                        base_url=base, error=f"could not reach {base}: {answer.error}"
                    )
                reference = _send(mock, probe, sent)
                rows.append(_compare(probe, answer, reference, validator=validator, sent=sent))
    finally:
        close_app(app)
    refused = any(row.probe == "list" and row.target_status == 401 for row in rows)
    return DriftReport(base_url=base, rows=tuple(rows), key_refused=refused)
