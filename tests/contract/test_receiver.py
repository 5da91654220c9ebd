"""The webhook receiver integrators get: scripted answers, holds that can be released again."""

from __future__ import annotations

import contextlib
import threading

import httpx

from freepik_mock.contract import HANG, WebhookReceiver


def test_a_hang_scripted_after_a_release_holds_again() -> None:
    with WebhookReceiver(default=200, hang_limit=30) as receiver:
        receiver.script(HANG, HANG)

        def post() -> None:
            # A held request ends without an answer when released.
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(receiver.url, content=b"{}", timeout=30)

        first = threading.Thread(target=post)
        first.start()
        receiver.wait_until(lambda: receiver.hanging == 1)
        receiver.release()
        first.join(10)
        second = threading.Thread(target=post)
        second.start()
        receiver.wait_until(lambda: receiver.hanging == 1)  # held again, not let through
        receiver.release()
        second.join(10)
    assert not first.is_alive()
    assert not second.is_alive()
    assert len(receiver.deliveries) == 2
