"""The hints ``freepik-music`` adds to an API error: one period, no doubled advice, and a 404 hint
that fits the request (a task of another key, or a base URL that is not the API's root)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from freepik_mock.client import API_KEY_HEADER, MusicAPIError
from freepik_mock.client._cli_support import BASE_URL_404_HINT, TASK_404_HINT, describe_error
from freepik_mock.client._translate import error_for_response
from tests.client.helpers import API_KEY, TASK_ID, LiveMock, error_line, run_cli

COLLECTION = "/v1/ai/music-generation"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"


def api_error(
    status: int,
    message: str,
    *,
    method: str = "GET",
    url: str = f"https://api.test{COLLECTION}",
    key: bool = True,
    headers: dict[str, str] | None = None,
) -> MusicAPIError:
    """The error the client raises for this answer (built as the client builds it)."""
    request = httpx.Request(method, url, headers={API_KEY_HEADER: API_KEY} if key else {})
    response = httpx.Response(status, json={"message": message}, headers=headers, request=request)
    return error_for_response(response)


@pytest.mark.parametrize(
    ("status", "message", "headers", "expected"),
    [
        (
            503,
            "Service Unavailable. Please try again later.",
            None,
            "the API failed: HTTP 503 from GET {path}: Service Unavailable. "
            "Please try again later.",
        ),
        (500, "Boom.", None, "the API failed: HTTP 500 from GET {path}: Boom. Try again later."),
        (500, "Boom", None, "the API failed: HTTP 500 from GET {path}: Boom. Try again later."),
        (
            502,
            "Overloaded! TRY AGAIN in a minute",
            None,
            "the API failed: HTTP 502 from GET {path}: Overloaded! TRY AGAIN in a minute.",
        ),
        (
            500,
            "Really?",
            None,
            "the API failed: HTTP 500 from GET {path}: Really? Try again later.",
        ),
        (
            429,
            "Too many requests.",
            {"Retry-After": "3"},
            "rate limited: HTTP 429 from GET {path}: Too many requests. Retry in 3 s.",
        ),
        (
            429,
            "Too many requests.",
            None,
            "rate limited: HTTP 429 from GET {path}: Too many requests.",
        ),
        (
            401,
            "Invalid API key.",
            None,
            "authentication failed: HTTP 401 from GET {path}: Invalid API key. "
            "Check --api-key or FREEPIK_API_KEY.",
        ),
    ],
    ids=[
        "503-says-try-again",
        "500-period",
        "500-no-period",
        "502-try-again-any-case",
        "500-question",
        "429-retry-after",
        "429-plain",
        "401-period",
    ],
)
def test_hints_follow_the_message_with_one_period(
    status: int, message: str, headers: dict[str, str] | None, expected: str
) -> None:
    error = api_error(status, message, headers=headers)
    assert describe_error(error) == expected.format(path=COLLECTION)


@pytest.mark.parametrize(
    ("method", "url", "hints"),
    [
        ("GET", f"https://api.test{COLLECTION}/{TASK_ID}", [TASK_404_HINT]),
        ("GET", f"https://api.test{COLLECTION}/a%2Fb%20c", [TASK_404_HINT]),
        ("GET", f"https://api.test{COLLECTION}", [BASE_URL_404_HINT]),
        ("GET", f"https://api.test{COLLECTION}/", [BASE_URL_404_HINT]),
        ("POST", f"https://api.test{COLLECTION}", [BASE_URL_404_HINT]),
        ("GET", f"https://api.test/v1{COLLECTION}", [BASE_URL_404_HINT]),
        ("GET", f"https://api.test/v1{COLLECTION}/{TASK_ID}", [TASK_404_HINT, BASE_URL_404_HINT]),
    ],
    ids=[
        "task",
        "task-quoted-id",
        "list",
        "list-trailing-slash",
        "create",
        "list-under-a-prefix",
        "task-under-a-prefix",
    ],
)
def test_a_404_hint_fits_the_request(method: str, url: str, hints: list[str]) -> None:
    error = api_error(404, "Not found", method=method, url=url)
    path = httpx.URL(url).path
    assert describe_error(error) == " ".join(
        [f"not found: HTTP 404 from {method} {path}: Not found.", *hints]
    )


def test_a_404_of_a_result_file_has_no_api_hint() -> None:
    error = api_error(404, "Not found", url="https://cdn.test/results/x.mp3", key=False)
    assert describe_error(error) == "not found: HTTP 404 from GET /results/x.mp3: Not found."


def test_the_base_url_hint_names_the_option_and_the_root() -> None:
    assert BASE_URL_404_HINT == "Is --base-url the API's root, e.g. https://api.freepik.com?"


# Against the live mock ---------------------------------------------------------------------

live = pytest.mark.live


def api(mock: LiveMock, *, suffix: str = "") -> tuple[str, ...]:
    return ("--base-url", mock.url + suffix, "--api-key", API_KEY)


@live
def test_a_503_is_not_told_twice_to_try_again(live_mock: LiveMock) -> None:
    live_mock.fault(match={"method": "GET"}, status=503)
    line = error_line(run_cli("list", "--max-retries", "0", *api(live_mock)), exit_code=1)
    assert line == (
        f"Error: the API failed: HTTP 503 from GET {COLLECTION}: Service Unavailable. "
        "Please try again later."
    )


@live
def test_list_under_a_wrong_base_url_suggests_checking_it(live_mock: LiveMock) -> None:
    line = error_line(run_cli("list", *api(live_mock, suffix="/v1")), exit_code=5)
    assert line == (
        f"Error: not found: HTTP 404 from GET /v1{COLLECTION}: Not found. {BASE_URL_404_HINT}"
    )


@live
def test_an_unknown_task_suggests_another_key(live_mock: LiveMock) -> None:
    line = error_line(run_cli("status", UNKNOWN_ID, *api(live_mock)), exit_code=5)
    assert line == (
        f"Error: not found: HTTP 404 from GET {COLLECTION}/{UNKNOWN_ID}: Not found. {TASK_404_HINT}"
    )


@live
def test_status_under_a_wrong_base_url_suggests_both(live_mock: LiveMock) -> None:
    line = error_line(run_cli("status", UNKNOWN_ID, *api(live_mock, suffix="/v1")), exit_code=5)
    assert line.endswith(f"Not found. {TASK_404_HINT} {BASE_URL_404_HINT}")


@live
def test_a_missing_result_file_gets_no_api_hint(live_mock: LiveMock, tmp_path: Path) -> None:
    live_mock.fault(match={"method": "GET", "path": "/results/*"}, status=404)
    args = ("-o", str(tmp_path / "t.mp3"), "--poll-interval", "0.05", "--max-retries", "0")
    line = error_line(run_cli("generate", "x", *args, *api(live_mock)), exit_code=5)
    assert line.startswith("Error: not found: HTTP 404 from GET /results/")
    assert line.endswith(".mp3: Not found.")
