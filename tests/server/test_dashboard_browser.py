"""The dashboard in a real browser: headless Chromium opens the page on a live mock and checks
what a person would (issue 12). Skipped, with the reason, where Chromium is not installed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from tests.conftest import API_KEY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
VENDOR_PATH = "/v1/ai/music-generation"
TOKEN = "browser-admin-token"
#: How long the page may take to show something (a ceiling for slow machines, not a measure).
PATIENCE = 30

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="headless Chromium is not installed (apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium for the module, quit at its end."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        # The track is played by the test, without a click.
        "--autoplay-policy=no-user-gesture-required",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER or ""))
    try:
        yield driver
    finally:
        driver.quit()


class Dashboard:
    """The page in the browser, the live mock behind it, and the mock's API for the test."""

    def __init__(self, driver: WebDriver, server: LiveServer, *, token: str | None = None) -> None:
        self.driver = driver
        self.url = server.url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.api = httpx.Client(base_url=server.url, headers=headers, timeout=30)
        #: Failed loads the test causes on purpose (a 400 it wants to see shown, a 401).
        self.expected_failures: list[str] = []

    def open(self, where: str = "#/tasks") -> None:
        self.driver.get(f"{self.url}/_mock/ui/{where}")

    def wait(self, condition: Callable[[], Any]) -> Any:
        """What ``condition`` returns once it is true (an element redrawn meanwhile: again)."""
        waiting = WebDriverWait(
            self.driver, PATIENCE, ignored_exceptions=[StaleElementReferenceException]
        )
        return waiting.until(lambda _: condition())

    def click(self, css: str) -> None:
        """Click the element, found again if the page redrew it in between."""

        def clicked() -> bool:
            self.find(css).click()
            return True

        self.wait(clicked)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        """The text shown by the first element ``css`` matches ("" when there is none)."""
        shown: str = self.driver.execute_script(
            "const found = document.querySelector(arguments[0]);"
            "return found ? found.innerText.trim() : '';",
            css,
        )
        return shown

    def create(self, prompt: str, *, seconds: int = 10, webhook_url: str | None = None) -> str:
        body: dict[str, Any] = {"prompt": prompt, "music_length_seconds": seconds}
        if webhook_url:
            body["webhook_url"] = webhook_url
        answer = self.api.post(VENDOR_PATH, json=body, headers={"x-freepik-api-key": API_KEY})
        assert answer.status_code == 200, answer.text
        task_id: str = answer.json()["data"]["task_id"]
        return task_id

    def task_rows(self) -> dict[str, str]:
        """The tasks table as shown: task id to the status shown, in the page's order."""
        rows: list[list[str]] = self.driver.execute_script(
            "return [...document.querySelectorAll('tr[data-task-id]')].map("
            "  (row) => [row.dataset.taskId, row.querySelector('.badge').innerText]);"
        )
        return dict(rows)

    def console_errors(self) -> list[dict[str, Any]]:
        """Errors the browser logged, but the failed loads the test expected."""
        errors = [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
        return [
            entry
            for entry in errors
            if not any(re.search(pattern, entry["message"]) for pattern in self.expected_failures)
        ]


@pytest.fixture
def dashboard(browser: WebDriver) -> Iterator[Dashboard]:
    """The page on a new manual-clock mock; the mock is stopped after the test."""
    with LiveServer(config=MockConfig(clock="manual", api_keys=(API_KEY,))) as server:
        browser.get_log("browser")  # what earlier tests left
        page = Dashboard(browser, server)
        try:
            yield page
        finally:
            # Off the page first, so that it stops polling a mock that is about to go away.
            browser.get("about:blank")
            page.api.close()


def _accept_confirmation(driver: WebDriver, *, accept: bool) -> None:
    def alert_is_there() -> bool:
        try:
            driver.switch_to.alert  # noqa: B018 - raises while there is none
        except NoAlertPresentException:
            return False
        return True

    WebDriverWait(driver, PATIENCE).until(lambda _: alert_is_there())
    alert = driver.switch_to.alert
    assert "Reset the mock?" in alert.text
    if accept:
        alert.accept()
    else:
        alert.dismiss()


def test_tasks_show_newest_first_with_status_and_a_new_task_appears_without_a_reload(
    dashboard: Dashboard,
) -> None:
    first = dashboard.create("calm piano by the sea")
    second = dashboard.create("a jazz trio at night")
    assert dashboard.api.post(f"/_mock/tasks/{first}/complete").status_code == 200
    dashboard.open()
    dashboard.wait(lambda: len(dashboard.task_rows()) == 2)
    assert list(dashboard.task_rows().items()) == [(second, "CREATED"), (first, "COMPLETED")]
    row = dashboard.text(f'tr[data-task-id="{second}"]')
    assert "a jazz trio at night" in row
    assert "10 s" in row
    assert API_KEY not in dashboard.driver.page_source, "the key is shown unmasked"

    dashboard.driver.execute_script("window.stillTheSamePage = true;")
    third = dashboard.create("drum and bass")
    dashboard.wait(lambda: third in dashboard.task_rows())
    assert dashboard.driver.execute_script("return window.stillTheSamePage;") is True
    assert next(iter(dashboard.task_rows())) == third
    # A change shows up too: the task that was CREATED completes.
    dashboard.api.post(f"/_mock/tasks/{second}/complete")
    dashboard.wait(lambda: dashboard.task_rows().get(second) == "COMPLETED")

    dashboard.find("#filter-text").send_keys("jazz")
    dashboard.wait(lambda: list(dashboard.task_rows()) == [second])
    assert dashboard.text("#tasks-count") == "1 of 3 tasks, newest first"
    assert dashboard.console_errors() == []


def test_a_completed_tasks_track_plays_in_the_page_for_the_tasks_length(
    dashboard: Dashboard,
) -> None:
    task_id = dashboard.create("slow ambient pads", seconds=12)
    dashboard.open(f"#/tasks/{task_id}")
    dashboard.wait(lambda: "Complete now" in dashboard.text(".actions"))
    assert "ready once the task is COMPLETED" in dashboard.text(".player")
    dashboard.click(".actions button")  # Complete now
    dashboard.wait(lambda: dashboard.find_all("audio#track"))
    duration = dashboard.wait(
        lambda: dashboard.driver.execute_script(
            "const a = document.getElementById('track');"
            "return a.readyState >= 1 && Number.isFinite(a.duration) ? a.duration : null;"
        )
    )
    assert duration == pytest.approx(12, abs=0.5)
    dashboard.driver.execute_script(
        "const a = document.getElementById('track'); a.muted = true; a.play();"
    )
    dashboard.wait(
        lambda: dashboard.driver.execute_script(
            "return document.getElementById('track').currentTime > 0.2;"
        )
    )
    timeline = [item.text for item in dashboard.find_all(".timeline li")]
    assert [line.split(" ", 1)[0] for line in timeline] == ["CREATED", "IN_PROGRESS", "COMPLETED"]
    assert not dashboard.find_all(".actions button"), "a finished task offers complete/fail"
    # The requests about this task are on its page: its creation and the track's download.
    dashboard.wait(lambda: f"/results/{task_id}.mp3" in dashboard.text(".entries"))
    methods = dashboard.driver.execute_script(
        "return [...document.querySelectorAll('.entries .method')].map((m) => m.textContent);"
    )
    assert methods[-1] == "POST", "the request that created the task is not shown"
    assert "GET" in methods
    assert dashboard.console_errors() == []


def test_deliveries_show_every_attempt_and_a_replay_adds_one(dashboard: Dashboard) -> None:
    with WebhookReceiver() as receiver:
        receiver.script(503)  # the first attempt fails, the retry succeeds
        task_id = dashboard.create("a webhook test", webhook_url=receiver.url)
        assert dashboard.api.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
        assert dashboard.api.post("/_mock/clock/advance", json={"seconds": 600}).status_code == 200
        messages = dashboard.api.get("/_mock/webhooks").json()["data"]
        assert any(len(message["attempts"]) == 2 for message in messages)

        dashboard.open("#/deliveries")
        dashboard.wait(lambda: len(dashboard.find_all("article.message")) == len(messages))
        for message in messages:
            card = dashboard.find(f'article.message[data-webhook-id="{message["webhook_id"]}"]')
            assert message["state"] in card.find_element(By.CSS_SELECTOR, "h4").text
            shown = [
                row.find_elements(By.CSS_SELECTOR, "td")[3].text
                for row in card.find_elements(By.CSS_SELECTOR, "tr.attempt")
            ]
            expected = [
                f"HTTP {attempt['status_code']}" if attempt["status_code"] else attempt["error"]
                for attempt in message["attempts"]
            ]
            assert shown == expected
        assert "HTTP 503" in dashboard.text(".messages")

        replayed = messages[-1]["webhook_id"]
        card_css = f'article.message[data-webhook-id="{replayed}"]'
        before = len(dashboard.find_all(f"{card_css} tr.attempt"))
        dashboard.click(f"{card_css} button")
        dashboard.wait(lambda: len(dashboard.find_all(f"{card_css} tr.attempt")) == before + 1)
        assert "replay" in dashboard.find_all(f"{card_css} tr.attempt")[-1].text
        # The receiver got it again: the same webhook-id as the message's earlier attempts.
        same = [d for d in receiver.deliveries if d.headers.get("webhook-id") == replayed]
        assert len(same) == before + 1
    assert dashboard.console_errors() == []


def test_the_page_pauses_while_hidden_and_catches_up_when_shown(dashboard: Dashboard) -> None:
    dashboard.open()
    dashboard.wait(lambda: dashboard.text("#live") == "Live")
    set_visibility = (
        "Object.defineProperty(document, 'visibilityState',"
        "  {value: arguments[0], configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'));"
    )
    dashboard.driver.execute_script(set_visibility, "hidden")
    assert dashboard.text("#live") == "Paused while the tab is hidden"
    task_id = dashboard.create("made while nobody looked")
    dashboard.driver.execute_script(set_visibility, "visible")
    dashboard.wait(lambda: task_id in dashboard.task_rows())
    assert dashboard.text("#live") == "Live"
    assert dashboard.console_errors() == []


def test_an_ad_hoc_message_is_sent_from_the_form(dashboard: Dashboard) -> None:
    refused = dashboard.api.post("/_mock/webhooks/send", json={"url": ""})
    assert refused.status_code == 400
    dashboard.expected_failures.append(r"/_mock/webhooks/send - .* status of 400")
    with WebhookReceiver() as receiver:
        dashboard.open("#/deliveries")
        dashboard.wait(lambda: "No webhook message yet." in dashboard.text(".messages"))
        dashboard.click("#send-form button")
        dashboard.wait(lambda: dashboard.text("#send-message"))
        assert dashboard.text("#send-message") == refused.json()["message"]

        dashboard.find("#send-url").send_keys(receiver.url)
        dashboard.find("#send-status").send_keys("FAILED")
        dashboard.click("#send-form button")
        dashboard.wait(lambda: dashboard.find_all("article.message"))
        (sent,) = receiver.wait_for(1)
        assert sent.status == "FAILED"
        (message,) = dashboard.api.get("/_mock/webhooks").json()["data"]
        assert dashboard.text("#send-message") == f"Sent {message['webhook_id']}: delivered."
        assert "(ad-hoc)" in dashboard.text("article.message")
    assert dashboard.console_errors() == []


def test_a_task_that_is_not_there_is_said_so(dashboard: Dashboard) -> None:
    dashboard.expected_failures.append(r"/_mock/tasks/no-such-task - .* status of 404")
    dashboard.open("#/tasks/no-such-task")
    dashboard.wait(lambda: dashboard.text("#notice"))
    assert dashboard.text("#notice") == (
        "There is no task no-such-task (a reset forgets every task)."
    )
    assert dashboard.console_errors() == []


def test_advance_and_reset_move_the_clock(dashboard: Dashboard) -> None:
    dashboard.create("something to forget")
    dashboard.open()
    dashboard.wait(lambda: len(dashboard.task_rows()) == 1)
    seconds = dashboard.find("#advance-seconds")
    seconds.clear()
    seconds.send_keys("30")
    dashboard.click("#advance-form button")
    dashboard.wait(lambda: dashboard.text("#clock-elapsed").startswith("30.0 s"))
    assert dashboard.api.get("/_mock/clock").json()["elapsed_seconds"] == 30

    dashboard.click("#reset-button")
    _accept_confirmation(dashboard.driver, accept=False)
    assert dashboard.api.get("/_mock/clock").json()["elapsed_seconds"] == 30, "reset unasked"

    dashboard.click("#reset-button")
    _accept_confirmation(dashboard.driver, accept=True)
    dashboard.wait(lambda: dashboard.text("#clock-elapsed").startswith("0.0 s"))
    dashboard.wait(lambda: "No task yet." in dashboard.text("main table"))
    assert dashboard.api.get("/_mock/tasks").json()["data"] == []
    assert dashboard.console_errors() == []


def test_a_rule_form_shows_the_control_apis_validation_message(dashboard: Dashboard) -> None:
    bad = '{"match": {"prompt_contains": "jazz"}, "outcome": "MAYBE"}'
    refused = dashboard.api.post(
        "/_mock/scenarios", content=bad, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 400
    dashboard.expected_failures.append(r"/_mock/scenarios - .* status of 400")
    dashboard.open("#/rules")
    source = dashboard.wait(lambda: dashboard.find_all("#scenarios-json"))[0]
    source.clear()
    source.send_keys(bad)
    dashboard.click("#scenarios-form button")
    dashboard.wait(lambda: dashboard.text("#scenarios-message"))
    assert dashboard.text("#scenarios-message") == refused.json()["message"]
    assert dashboard.api.get("/_mock/scenarios").json() == {"data": []}

    source.clear()
    source.send_keys('{"match": {"prompt_contains": "jazz"}, "outcome": "FAILED"}')
    dashboard.click("#scenarios-form button")
    dashboard.wait(lambda: dashboard.find_all("tr[data-rule-id]"))
    (rule,) = dashboard.api.get("/_mock/scenarios").json()["data"]
    assert dashboard.text("#scenarios-message") == f"Added {rule['id']}."
    dashboard.click(f'tr[data-rule-id="{rule["id"]}"] button')  # Delete
    dashboard.wait(lambda: not dashboard.find_all("tr[data-rule-id]"))
    assert dashboard.api.get("/_mock/scenarios").json() == {"data": []}
    assert dashboard.console_errors() == []


def test_the_page_asks_for_the_admin_token_and_keeps_it_for_the_tab(browser: WebDriver) -> None:
    config = MockConfig(clock="manual", api_keys=(API_KEY,), admin_token=TOKEN)
    with LiveServer(config=config) as server:
        browser.get_log("browser")
        page = Dashboard(browser, server, token=TOKEN)
        page.expected_failures.append(r"/_mock/.* status of 401")
        try:
            task_id = page.create("behind a token")
            page.open()
            page.wait(lambda: page.find("#token-form").is_displayed())
            assert "Missing admin token" in page.text("#token-reason")
            page.find("#token-input").send_keys("not-the-token", Keys.ENTER)
            page.wait(lambda: "Invalid admin token" in page.text("#token-reason"))
            page.find("#token-input").send_keys(TOKEN, Keys.ENTER)
            page.wait(lambda: task_id in page.task_rows())
            assert not page.find("#token-form").is_displayed()
            browser.refresh()  # the token stays for the tab
            page.wait(lambda: task_id in page.task_rows())
            assert not page.find("#token-form").is_displayed()
            assert page.console_errors() == []
        finally:
            browser.execute_script("sessionStorage.clear();")
            browser.get("about:blank")
            page.api.close()


def test_the_page_is_usable_by_keyboard_and_in_a_narrow_window(dashboard: Dashboard) -> None:
    task_id = dashboard.create("a long prompt " * 12)
    driver = dashboard.driver
    driver.set_window_size(400, 800)
    try:
        dashboard.open()
        dashboard.wait(lambda: task_id in dashboard.task_rows())
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
        )
        assert overflow <= 0, "the page scrolls sideways in a narrow window"
        label = driver.execute_script(
            "const cell = document.querySelector('tr[data-task-id] td:nth-child(2)');"
            "return getComputedStyle(cell, '::before').content;"
        )
        assert label == '"Status: "', "the cells of a narrow table are not labelled"

        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        focused = driver.switch_to.active_element
        assert focused.text == "Tasks"
        assert driver.execute_script(
            "return getComputedStyle(document.activeElement).outlineStyle;"
        ) not in ("none", "")
        focused.send_keys(Keys.TAB)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        dashboard.wait(lambda: dashboard.text("main h2") == "Deliveries")
        assert driver.execute_script("return location.hash;") == "#/deliveries"
    finally:
        driver.set_window_size(1280, 900)
    assert dashboard.console_errors() == []


#: The elements that reach past the window's right edge (what makes a page scroll sideways).
_WIDER_THAN_THE_WINDOW = """
const width = document.documentElement.clientWidth;
return [...document.querySelectorAll('main *')]
  .filter((element) => element.getBoundingClientRect().right > width + 0.5
    && element.getClientRects().length)
  .map((element) => element.tagName + '.' + element.className + ' '
    + (element.textContent || '').slice(0, 40));
"""


def test_a_task_page_with_attempts_and_deliveries_fit_a_narrow_window(
    dashboard: Dashboard,
) -> None:
    with WebhookReceiver() as receiver:
        receiver.script(503)  # two attempts: a failure, then the retry
        task_id = dashboard.create("a narrow window", webhook_url=receiver.url)
        assert dashboard.api.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
        assert dashboard.api.post("/_mock/clock/advance", json={"seconds": 600}).status_code == 200
        driver = dashboard.driver
        driver.set_window_size(390, 844)
        try:
            for where in (f"#/tasks/{task_id}", "#/deliveries"):
                dashboard.open(where)
                dashboard.wait(lambda: len(dashboard.find_all("tr.attempt")) >= 2)
                assert driver.execute_script("return document.documentElement.clientWidth") <= 400
                overflow = driver.execute_script(
                    "return document.documentElement.scrollWidth"
                    " - document.documentElement.clientWidth;"
                )
                wide = driver.execute_script(_WIDER_THAN_THE_WINDOW)
                assert overflow <= 0, f"{where} scrolls sideways at 390 px: {wide}"
                assert "Attempts of msg_" in dashboard.text("caption")
                # Wrapped as a line of text, not squeezed into a column of single letters.
                caption_width = driver.execute_script(
                    "return document.querySelector('caption').getBoundingClientRect().width;"
                )
                assert caption_width > 250, f"the caption is {caption_width} px wide"
        finally:
            driver.set_window_size(1280, 900)
    assert dashboard.console_errors() == []


def test_an_open_task_page_drops_its_stale_details_after_a_reset(dashboard: Dashboard) -> None:
    dashboard.expected_failures.append(r"/_mock/tasks/[0-9a-f-]+ - .* status of 404")
    task_id = dashboard.create("forgotten by a reset")
    assert dashboard.api.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
    dashboard.open(f"#/tasks/{task_id}")
    dashboard.wait(lambda: dashboard.find_all("audio#track"))
    assert "Download the MP3" in dashboard.text(".player")
    assert "forgotten by a reset" in dashboard.text(".facts")

    assert dashboard.api.post("/_mock/reset").status_code == 200
    dashboard.wait(lambda: dashboard.text("#notice"))
    assert dashboard.text("#notice") == f"There is no task {task_id} (a reset forgets every task)."
    assert dashboard.find_all("audio#track") == [], "the stale track is still offered"
    assert "Download the MP3" not in dashboard.text("main")
    assert "forgotten by a reset" not in dashboard.text("main")
    assert "COMPLETED" not in dashboard.text("main")
    assert dashboard.text("main h2") == f"Task {task_id}"
    assert dashboard.console_errors() == []
