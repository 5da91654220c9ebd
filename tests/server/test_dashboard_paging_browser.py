"""The dashboard on a mock holding many tasks: it shows the newest page and the count, and its
polls read only what changed (issue 12 item 8). Headless Chromium, as in test_dashboard_browser."""

from __future__ import annotations

from typing import Any

import httpx
from selenium.webdriver.support.ui import Select

from freepik_mock.contract.receiver import WebhookReceiver
from tests.conftest import API_KEY
from tests.server.test_dashboard_browser import (
    VENDOR_PATH,
    Dashboard,
    browser,
    dashboard,
    pytestmark,
)

__all__ = ["browser", "dashboard", "pytestmark"]  # the fixtures and marks, shared

MANY = 500
PAGE = 200


def _create_many(api: httpx.Client, count: int) -> list[str]:
    made = []
    for n in range(count):
        body = {"prompt": f"song number {n}", "music_length_seconds": 10}
        answer = api.post(VENDOR_PATH, json=body, headers={"x-freepik-api-key": API_KEY})
        assert answer.status_code == 200, answer.text
        made.append(answer.json()["data"]["task_id"])
    return made


def _task_reads(dashboard: Dashboard) -> list[str]:
    """The URLs of the page's reads of the task list, in the order it made them."""
    urls: list[str] = dashboard.driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
        "  .filter((url) => new URL(url).pathname === '/_mock/tasks');"
    )
    return urls


def test_many_tasks_show_the_newest_page_and_the_count_and_stay_live(
    dashboard: Dashboard,
) -> None:
    made = _create_many(dashboard.api, MANY)
    dashboard.open()
    dashboard.wait(lambda: len(dashboard.task_rows()) == PAGE)
    assert list(dashboard.task_rows()) == made[::-1][:PAGE]  # the newest, newest first
    assert dashboard.text("#tasks-count") == f"{PAGE} of {MANY} tasks, newest first"

    # A new task appears on top without a reload, the oldest shown one leaves the page. (Made
    # half a mock second later: at one instant with the others, only the server knows its place,
    # and the page would read the page afresh.)
    assert dashboard.api.post("/_mock/clock/advance", json={"seconds": 0.5}).status_code == 200
    newest = dashboard.create("the newest song")
    dashboard.wait(lambda: next(iter(dashboard.task_rows())) == newest)
    rows = dashboard.task_rows()
    assert len(rows) == PAGE
    assert made[-PAGE] not in rows
    dashboard.wait(
        lambda: dashboard.text("#tasks-count") == f"{PAGE} of {MANY + 1} tasks, newest first"
    )
    # A change of a shown task shows up too.
    assert dashboard.api.post(f"/_mock/tasks/{made[-1]}/complete").status_code == 200
    dashboard.wait(lambda: dashboard.task_rows().get(made[-1]) == "COMPLETED")

    # The first read is one page; every later one asks only for what changed since.
    reads = _task_reads(dashboard)
    assert len(reads) >= 3
    assert "limit=200" in reads[0]
    assert "since=" not in reads[0]
    assert all("since=" in url for url in reads[1:]), reads

    # The status filter is the server's: the first task, far beyond the page, is found.
    assert dashboard.api.post(f"/_mock/tasks/{made[0]}/complete").status_code == 200
    Select(dashboard.find("#filter-status")).select_by_value("COMPLETED")
    dashboard.wait(lambda: list(dashboard.task_rows()) == [made[-1], made[0]])
    assert dashboard.text("#tasks-count") == f"2 of {MANY + 1} tasks, newest first"
    # ...and a task that completes while the filter is on joins the list live.
    assert dashboard.api.post(f"/_mock/tasks/{made[250]}/complete").status_code == 200
    dashboard.wait(lambda: list(dashboard.task_rows()) == [made[-1], made[250], made[0]])
    assert dashboard.console_errors() == []


def test_the_journal_and_the_deliveries_show_the_newest_page_and_the_count(
    dashboard: Dashboard,
) -> None:
    made = _create_many(dashboard.api, 250)
    dashboard.open("#/journal")
    count = f"{PAGE} of 250 requests, newest first"
    dashboard.wait(lambda: dashboard.text(".count") == count)
    assert len(dashboard.find_all("details.entry")) == PAGE
    dashboard.api.get(f"{VENDOR_PATH}/{made[0]}", headers={"x-freepik-api-key": API_KEY})
    dashboard.wait(lambda: dashboard.text(".count") == f"{PAGE} of 251 requests, newest first")
    first: Any = dashboard.find("details.entry .path").text
    assert first == f"{VENDOR_PATH}/{made[0]}"
    assert dashboard.console_errors() == []


def test_the_deliveries_show_the_count_and_a_new_message_live(dashboard: Dashboard) -> None:
    with WebhookReceiver() as receiver:
        for _ in range(3):
            sent = dashboard.api.post("/_mock/webhooks/send", json={"url": receiver.url})
            assert sent.status_code == 201, sent.text
        dashboard.open("#/deliveries")
        dashboard.wait(lambda: dashboard.text(".count") == "3 of 3 messages")
        assert len(dashboard.find_all("article.message")) == 3
        sent = dashboard.api.post("/_mock/webhooks/send", json={"url": receiver.url})
        newest = sent.json()["webhook_id"]
        dashboard.wait(lambda: dashboard.text(".count") == "4 of 4 messages")
        assert dashboard.find("article.message").get_attribute("data-webhook-id") == newest
    assert dashboard.console_errors() == []
