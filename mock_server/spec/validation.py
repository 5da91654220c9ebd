"""Request (and response) validation against the extended spec, done by openapi-core.

No field is checked by hand here: openapi-core finds the operation, reads the body with the media
type the spec names and runs the schema; :mod:`.adapter` turns its errors into one
:class:`InvalidParam` per problem, worded for a person, in the vendor's style
("Parameter 'page' must be greater than 0").

Two things are deliberately left to the server: the API key (it knows which keys exist and answers
401 itself) and the host (the mock answers on whatever host and port it is served).

openapi-core takes a few hundred milliseconds to import and the spec more to prepare, so neither
happens when this module is imported: a :class:`RequestValidator` prepares itself on first use, or
earlier through :meth:`~RequestValidator.prepare`. A served mock prepares it on a background
thread as soon as it listens, so that neither start-up nor the first request waits for it.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core.errors import InvalidParam
from .loader import load_extended_spec

if TYPE_CHECKING:
    from .adapter import SpecChecker

__all__ = ["InvalidParam", "RequestValidator", "validate_response"]

log = logging.getLogger(__name__)


def _validation_view(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` without servers and security: host and key are the server's own checks."""
    view = copy.deepcopy(dict(spec))
    view.pop("servers", None)
    view.pop("security", None)
    for path_item in view.get("paths", {}).values():
        path_item.pop("servers", None)
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
                operation.pop("servers", None)
    return view


class RequestValidator:
    """Validates requests (and, for tests, responses) against the extended spec.

    Build one per app; it is safe to use from many threads at once. The shipped spec is prepared
    once, on first use or when :meth:`prepare` is called, and each call is then cheap. A ``spec``
    given here is checked (it must be valid OpenAPI) and prepared at once, so that a broken one
    fails here rather than on a request.
    """

    def __init__(self, *, spec: dict[str, Any] | None = None) -> None:
        self._spec = spec
        self._checker: SpecChecker | None = None
        self._build_lock = threading.Lock()
        self._thread_lock = threading.Lock()
        self._warm_up: threading.Thread | None = None
        if spec is not None:
            self.prepare()

    @property
    def prepared(self) -> bool:
        """Whether the spec is prepared (the next validation will not wait for it)."""
        return self._checker is not None

    def prepare(self) -> None:
        """Import openapi-core and prepare the spec now, unless done already."""
        self._ready()

    def prepare_in_background(self) -> None:
        """Run :meth:`prepare` on a daemon thread (once); :meth:`close` waits for it to end."""
        with self._thread_lock:
            if self._checker is not None or self._warm_up is not None:
                return
            self._warm_up = threading.Thread(
                target=self._prepare_quietly, name="freepik-mock-spec", daemon=True
            )
            self._warm_up.start()

    def close(self, *, timeout: float = 10.0) -> None:
        """Wait for a background :meth:`prepare` to end (an import cannot be interrupted)."""
        with self._thread_lock:
            thread = self._warm_up
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def validate(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
    ) -> list[InvalidParam]:
        """The problems with this request: ``[]`` when the spec accepts it (or does not cover it).

        Never raises about the request: whatever cannot be read becomes a problem named ``body``.
        """
        return self._ready().request_problems(
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            content_type=content_type,
        )

    def validate_response(
        self,
        *,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
        query: str = "",
    ) -> list[str]:
        """What in this response breaks the spec, one message per problem (``[]``: conforms).

        Unlike :meth:`validate`, a path or status the spec does not document is a problem.
        """
        return self._ready().response_problems(
            method=method,
            path=path,
            status=status,
            headers=headers,
            body=body,
            content_type=content_type,
            query=query,
        )

    def _prepare_quietly(self) -> None:
        try:
            self._ready()
        except Exception:  # the next use prepares again and raises where it is seen
            log.exception("preparing the extended spec for validation failed")

    def _ready(self) -> SpecChecker:
        checker = self._checker
        if checker is None:
            with self._build_lock:
                if self._checker is None:
                    from .adapter import SpecChecker

                    spec = self._spec if self._spec is not None else load_extended_spec()
                    self._checker = SpecChecker(
                        _validation_view(spec), check_spec=self._spec is not None
                    )
                checker = self._checker
        return checker


def validate_response(
    *,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    content_type: str | None,
    query: str = "",
    validator: RequestValidator | None = None,
) -> list[str]:
    """Check one of the server's answers against the extended spec (``[]``: it conforms).

    Pass ``validator`` to reuse one across calls; otherwise one is built for this call.
    """
    return (validator or RequestValidator()).validate_response(
        method=method,
        path=path,
        status=status,
        headers=headers,
        body=body,
        content_type=content_type,
        query=query,
    )
