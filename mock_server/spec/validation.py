"""Request (and response) validation against the extended spec.

No field is checked by hand here. Requests are checked by validators compiled from the spec
document (:mod:`.compiled`, on jsonschema-rs): it finds the operation as openapi-core would, reads
the body with the media type the spec names and runs the schemas; each problem is one
:class:`InvalidParam`, worded for a person in the vendor's style ("Parameter 'page' must be
greater than 0"). openapi-core (:mod:`.adapter`) stays the oracle: responses are checked with it,
a differential test holds the compiled validators to its answers, and whatever part of a spec
the compiled validators do not cover is handed to it.

Two things are deliberately left to the server: the API key (it knows which keys exist and answers
401 itself) and the host (the mock answers on whatever host and port it is served).

Nothing is prepared when this module is imported. A :class:`RequestValidator` compiles the spec on
first use (tens of milliseconds, most of it reading the YAML), or earlier through
:meth:`~RequestValidator.prepare`; a served mock does it on a background thread as soon as it
listens. openapi-core takes a few hundred milliseconds to import and the spec more to prepare: it
is imported only when a response is checked or a request needs it (never for the shipped spec).
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
    from .compiled import CompiledChecker

__all__ = ["InvalidParam", "RequestValidator", "validate_response", "validation_view"]

log = logging.getLogger(__name__)


def validation_view(spec: Mapping[str, Any]) -> dict[str, Any]:
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

    Build one per app; it is safe to use from many threads at once. The shipped spec is compiled
    once, on first use or when :meth:`prepare` is called, and each call is then cheap. A ``spec``
    given here is checked (it must be valid OpenAPI, which takes openapi-core) and compiled at
    once, so that a broken one fails here rather than on a request.
    """

    def __init__(self, *, spec: dict[str, Any] | None = None) -> None:
        self._spec = spec
        self._view: dict[str, Any] | None = None
        self._compiled: CompiledChecker | None = None
        self._oracle: SpecChecker | None = None
        self._build_lock = threading.Lock()
        self._oracle_lock = threading.Lock()
        self._thread_lock = threading.Lock()
        self._warm_up: threading.Thread | None = None
        if spec is not None:
            self._openapi_core()  # checks the document
            self.prepare()

    @property
    def prepared(self) -> bool:
        """Whether the spec is compiled (the next request validation will not wait for it)."""
        return self._compiled is not None

    def prepare(self) -> None:
        """Compile the spec's request validators now, unless done already."""
        self._ready()

    def prepare_in_background(self) -> None:
        """Run :meth:`prepare` on a daemon thread (once); :meth:`close` waits for it to end."""
        with self._thread_lock:
            if self._compiled is not None or self._warm_up is not None:
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
        Checked by openapi-core (imported and prepared on the first call).
        """
        return self._openapi_core().response_problems(
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
            log.exception("compiling the extended spec for validation failed")

    def _validation_view(self) -> dict[str, Any]:
        view = self._view
        if view is None:
            spec = self._spec if self._spec is not None else load_extended_spec()
            view = self._view = validation_view(spec)
        return view

    def _ready(self) -> CompiledChecker:
        compiled = self._compiled
        if compiled is None:
            with self._build_lock:
                if self._compiled is None:
                    from .compiled import CompiledChecker

                    self._compiled = CompiledChecker(
                        self._validation_view(), fallback=self._openapi_core
                    )
                compiled = self._compiled
        return compiled

    def _openapi_core(self) -> SpecChecker:
        """openapi-core on the same view: the oracle, built on first need."""
        oracle = self._oracle
        if oracle is None:
            with self._oracle_lock:
                if self._oracle is None:
                    from .adapter import SpecChecker

                    with self._build_lock:
                        view = self._validation_view()
                    self._oracle = SpecChecker(view, check_spec=self._spec is not None)
                oracle = self._oracle
        return oracle


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
