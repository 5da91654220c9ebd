"""Route the API's real hosts to an in-process mock through respx.

For code that calls ``https://api.freepik.com`` (or ``api.magnific.com``) directly and cannot be
given another base URL: every request to those hosts, result downloads included, is answered by
the Flask app, without a socket::

    with respx.mock() as router:
        route_api_hosts(router, app=app)
        httpx.get("https://api.freepik.com/v1/ai/music-generation", headers=...)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
import respx

__all__ = ["API_HOSTS", "LOOPBACK_HOSTS", "pass_loopback", "route_api_hosts"]

#: The hosts the vendor serves the API on (the Freepik name and the Magnific rebrand).
API_HOSTS = ("api.freepik.com", "api.magnific.com")
#: This machine: left to the network, so live mocks, receivers and the mock's own webhook
#: deliveries keep working while the vendor hosts are routed in-process.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def route_api_hosts(
    router: respx.MockRouter, *, app: Any, hosts: Iterable[str] = API_HOSTS
) -> list[respx.Route]:
    """Add one route per host to ``router`` that answers from the WSGI ``app``; returns them."""
    transport = httpx.WSGITransport(app=app)

    def answer(request: httpx.Request) -> httpx.Response:
        answered = transport.handle_request(request)
        # A fresh, fully read response: it works for the sync and the async client alike.
        return httpx.Response(
            answered.status_code, headers=answered.headers, content=answered.read()
        )

    return [router.route(host=host).mock(side_effect=answer) for host in hosts]


def pass_loopback(router: respx.MockRouter) -> list[respx.Route]:
    """Let requests to this machine through ``router`` to the real network stack."""
    return [router.route(host=host).pass_through() for host in LOOPBACK_HOSTS]
