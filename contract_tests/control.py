"""``MockControl``: the mock's control API (``/_mock``) as Python calls, for tests.

It talks HTTP, so it drives a live mock (``MockControl(base_url=server.url)``) and an in-process
one (``MockControl(app=app)``, through ``httpx.WSGITransport``) alike::

    control = MockControl(base_url="http://127.0.0.1:8080")
    control.add_scenario(match={"prompt_contains": "jazz"}, outcome="FAILED")
    control.advance(5)
    assert control.task(task_id)["status"] == "FAILED"

Every answer that is not a success raises ``MockControlError`` with the mock's message.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx

__all__ = ["MockControl", "MockControlError"]

_IN_PROCESS_URL = "http://127.0.0.1"


class MockControlError(Exception):
    """A control call failed: refused (``status_code`` and the mock's message) or unanswered
    (``status_code`` None)."""

    def __init__(self, message: str, *, status_code: int | None) -> None:
        super().__init__(message)
        self.status_code = status_code


class MockControl:
    """Clock, tasks, scenarios, faults, the request journal and webhook deliveries of one mock."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        app: Any = None,
        admin_token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if (base_url is None) == (app is None):
            raise ValueError("give exactly one of base_url= (a live mock) or app= (in-process)")
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        transport = httpx.WSGITransport(app=app) if app is not None else None
        self.base_url = (base_url or _IN_PROCESS_URL).rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        waits_for_webhooks: bool = False,
    ) -> Any:
        # A call that waits for webhook attempts may take as long as a hung receiver makes it
        # (the mock bounds it): no read timeout there.
        timeout = self._http.timeout
        if waits_for_webhooks:
            timeout = httpx.Timeout(timeout.connect, connect=timeout.connect, read=None)
        where = f"{method} /_mock{path}"
        try:
            response = self._http.request(
                method, f"/_mock{path}", json=json, params=params, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise MockControlError(f"{where} failed: {exc!r}", status_code=None) from exc
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            message = body.get("message", body) if isinstance(body, dict) else body
            raise MockControlError(
                f"{where} answered {response.status_code}: {message}",
                status_code=response.status_code,
            )
        if response.content and isinstance(body, str):
            raise MockControlError(
                f"{where} did not answer JSON: {body[:200]!r}", status_code=response.status_code
            )
        return body

    # -- the mock as a whole ---------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "version": ...}``."""
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def reset(self) -> None:
        """Forget tasks, deliveries, journal, scenarios and faults; the clock starts again."""
        self._call("POST", "/reset")

    def clock(self) -> dict[str, Any]:
        """``{"mode", "now", "elapsed_seconds"}``."""
        result: dict[str, Any] = self._call("GET", "/clock")
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move mock time; returns once every change now due happened and was announced."""
        result: dict[str, Any] = self._call(
            "POST", "/clock/advance", json={"seconds": seconds}, waits_for_webhooks=True
        )
        return result

    # -- tasks -----------------------------------------------------------------------------------
    def tasks(self, *, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every task of every key (or of ``api_key``), oldest first, with outcome and timeline."""
        params = {"api_key": api_key} if api_key else None
        result: list[dict[str, Any]] = self._call("GET", "/tasks", params=params)["data"]
        return result

    def task(self, task_id: str) -> dict[str, Any]:
        """One task, with its timeline."""
        result: dict[str, Any] = self._call("GET", f"/tasks/{task_id}")
        return result

    def complete(self, task_id: str) -> dict[str, Any]:
        """End the task now with COMPLETED (its webhook goes out at once)."""
        result: dict[str, Any] = self._call(
            "POST", f"/tasks/{task_id}/complete", waits_for_webhooks=True
        )
        return result

    def fail(self, task_id: str) -> dict[str, Any]:
        """End the task now with FAILED (its webhook goes out at once)."""
        result: dict[str, Any] = self._call(
            "POST", f"/tasks/{task_id}/fail", waits_for_webhooks=True
        )
        return result

    # -- scenarios and faults --------------------------------------------------------------------
    def add_scenario(self, **rule: Any) -> dict[str, Any]:
        """Add a scenario rule (``match``, ``outcome``, ``created_seconds``, ...); returns it."""
        result: dict[str, Any] = self._call("POST", "/scenarios", json=rule)
        return result

    def scenarios(self) -> list[dict[str, Any]]:
        """The scenario rules, in the order they are tried."""
        result: list[dict[str, Any]] = self._call("GET", "/scenarios")["data"]
        return result

    def delete_scenario(self, rule_id: str) -> None:
        """Delete one scenario rule."""
        self._call("DELETE", f"/scenarios/{rule_id}")

    def clear_scenarios(self) -> None:
        """Delete every scenario rule."""
        self._call("DELETE", "/scenarios")

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (``match``, ``status``, ``delay_seconds``, ``times``...); returns it."""
        result: dict[str, Any] = self._call("POST", "/faults", json=rule)
        return result

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules."""
        result: list[dict[str, Any]] = self._call("GET", "/faults")["data"]
        return result

    def delete_fault(self, rule_id: str) -> None:
        """Delete one fault rule."""
        self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        """Delete every fault rule."""
        self._call("DELETE", "/faults")

    # -- what happened ---------------------------------------------------------------------------
    def requests(
        self, *, method: str | None = None, path: str | None = None, api_key: str | None = None
    ) -> list[dict[str, Any]]:
        """The request journal, oldest first (keys masked), optionally filtered."""
        filters = (("method", method), ("path", path), ("api_key", api_key))
        params = {name: value for name, value in filters if value}
        result: list[dict[str, Any]] = self._call("GET", "/requests", params=params)["data"]
        return result

    def webhooks(
        self, *, task_id: str | None = None, api_key: str | None = None
    ) -> list[dict[str, Any]]:
        """The webhook delivery log: one entry per message, with every attempt; ``task_id``
        keeps one task's messages, ``api_key`` those of one key's tasks."""
        filters = (("task_id", task_id), ("api_key", api_key))
        params = {name: value for name, value in filters if value} or None
        result: list[dict[str, Any]] = self._call("GET", "/webhooks", params=params)["data"]
        return result

    def replay(self, webhook_id: str) -> dict[str, Any]:
        """Send a message again (same webhook-id, new timestamp and signature)."""
        result: dict[str, Any] = self._call(
            "POST", f"/webhooks/{webhook_id}/replay", waits_for_webhooks=True
        )
        return result

    def send_webhook(
        self, *, url: str, task_id: str | None = None, status: str | None = None
    ) -> dict[str, Any]:
        """A signed ad-hoc delivery to ``url`` (like ``stripe trigger``)."""
        body = {"url": url, "task_id": task_id, "status": status}
        result: dict[str, Any] = self._call(
            "POST",
            "/webhooks/send",
            json={k: v for k, v in body.items() if v is not None},
            waits_for_webhooks=True,
        )
        return result
