"""The benchmark's fast parts: reading wrk's output, writing its script, the table and ratios,
the quick mode's settings, and the webhook receiver that counts what arrived (on 127.0.0.1).

Nothing here starts a peer or measures time; ``make bench`` does that.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bench.bench_peers import Settings
from bench.load import parse_duration, parse_wrk, wrk_script
from bench.receiver import Receiver
from bench.servers import imports_granian
from bench.table import Row, Target, format_table, format_value, resolve_target

WRK_OUTPUT = """\
Running 1s test @ http://127.0.0.1:40001/v1/ai/music-generation
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.05ms  20.31ms   91.00%
    Req/Sec     1.92k   123.45     2.10k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.40ms
     90%    3.00ms
     99%    1.20s
  3842 requests in 1.00s, 1.21MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   3841.52
Transfer/sec:      1.21MB
"""


def test_wrk_output_is_read_with_units_and_errors() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_second == pytest.approx(3841.52)
    assert result.p50 == pytest.approx(812e-6)
    assert result.p99 == pytest.approx(1.2)
    assert result.requests == 3842
    assert result.errors == 7 + 2 + 1


def test_wrk_output_without_errors_counts_none() -> None:
    clean = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line
    )
    assert parse_wrk(clean).errors == 0


def test_wrk_output_without_latency_distribution_is_refused() -> None:
    without = "\n".join(line for line in WRK_OUTPUT.splitlines() if "%  " not in line)
    with pytest.raises(ValueError, match="50%"):
        parse_wrk(without)


@pytest.mark.parametrize(
    ("text", "seconds"), [("15us", 15e-6), ("1.5ms", 1.5e-3), ("2s", 2.0), ("1.50m", 90.0)]
)
def test_wrk_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_wrk_duration_without_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="not a wrk duration"):
        parse_duration("12")


def test_wrk_script_sets_method_headers_and_escaped_body() -> None:
    script = wrk_script(method="POST", headers={"x-freepik-api-key": "k"}, body='{"p": "a\\"b"}')
    assert 'wrk.method = "POST"' in script
    assert 'wrk.headers["x-freepik-api-key"] = "k"' in script
    assert 'wrk.body = "{\\"p\\": \\"a\\\\\\"b\\"}"' in script


def _lines(table: str) -> dict[str, str]:
    return {line.split("  ")[0].strip(): line for line in table.splitlines()[2:] if line}


def test_floor_relative_to_a_peer_shows_its_ratio_and_verdict() -> None:
    rows = [
        Row("GET req/s x8", "/s", {"mock": 3000.0, "prism": 1000.0}, Target(">=", 2, "prism")),
        Row("POST req/s x8", "/s", {"mock": 1500.0, "prism": 1000.0}, Target(">=", 2, "prism")),
    ]
    lines = _lines(format_table(rows, ["mock", "prism"]))
    assert lines["GET req/s x8"].split()[-4:] == ["2x", "prism", "1.50", "met"]
    assert lines["POST req/s x8"].split()[-2:] == ["0.75", "MISSED"]
    assert "3,000 /s" in lines["GET req/s x8"]


def test_ceiling_is_met_at_or_below_one() -> None:
    row = Row("idle RSS", "MiB", {"mock": 40.0, "prism": 150.0}, Target("<=", 1 / 3, "prism"))
    assert resolve_target(row) == pytest.approx(50.0)
    line = _lines(format_table([row], ["mock", "prism"]))["idle RSS"]
    assert "<= 1/3 prism" in line
    assert line.split()[-2:] == ["0.80", "met"]


def test_fixed_target_and_zero_target() -> None:
    rows = [
        Row("lifecycle HTTP", "ms", {"mock": 5.0}, Target("<=", 4)),
        Row("lost", "", {"mock": 0.0}, Target("<=", 0)),
        Row("lost again", "", {"mock": 3.0}, Target("<=", 0)),
    ]
    lines = _lines(format_table(rows, ["mock", "prism"]))
    assert lines["lifecycle HTTP"].split()[-2:] == ["1.25", "MISSED"]
    assert lines["lost"].split()[-1] == "met"
    assert lines["lost again"].split()[-1] == "MISSED"


def test_a_peer_not_measured_leaves_the_ratio_open() -> None:
    row = Row("GET p99 x64", "ms", {"mock": 2.0, "prism": None}, Target("<=", 0.1, "prism"))
    assert resolve_target(row) is None
    line = _lines(format_table([row], ["mock", "prism"]))["GET p99 x64"]
    assert line.endswith("not measured")
    assert " - " in line


def test_notes_follow_the_table() -> None:
    row = Row("POST req/s x64", "/s", {"mock": 1.0}, notes=["prism: 5 errors"])
    assert format_table([row], ["mock"]).endswith("  * prism: 5 errors")


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(None, "ms", "-"), (0.25, "ms", "0.25 ms"), (12.345, "ms", "12.3 ms"),
     (2500.0, "/s", "2,500 /s"), (0.0, "", "0")],
)  # fmt: skip
def test_values_are_shown_compactly(value: float | None, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


def test_quick_mode_runs_one_second_per_cell() -> None:
    quick, full = Settings.for_mode(quick=True), Settings.for_mode(quick=False)
    assert (quick.seconds, quick.rounds) == (1, 1)
    assert full.seconds * full.rounds > quick.seconds
    assert quick.dispatch_tasks == full.dispatch_tasks == 300


def test_receiver_keeps_every_delivery_sent_at_once() -> None:
    body = b'{"task_id":"t1","status":"COMPLETED","generated":[]}'

    def send(index: int) -> int:
        headers = {"webhook-id": f"msg_{index}", "Content-Type": "application/json"}
        return http.post(receiver.url, content=body, headers=headers).status_code

    with Receiver() as receiver, httpx.Client() as http, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(40)))
        assert receiver.wait_count(40, timeout=10)
        assert receiver.wait_for(task_id="t1", status="COMPLETED", timeout=1)
        assert not receiver.wait_for(task_id="t2", status="COMPLETED", timeout=0)
        ids = {delivery.webhook_id for delivery in receiver.deliveries}
    assert statuses == [204] * 40
    assert ids == {f"msg_{index}" for index in range(40)}


@pytest.mark.parametrize(
    ("source", "imports"),
    [("from ..granian_server import GranianServer\n", True), ("    import granian\n", True),
     ("from granian.http import HTTP1Settings\n", True), ("# granian would be faster\n", False),
     ("from waitress.server import create_server\n", False)],
)  # fmt: skip
def test_the_bare_app_follows_the_server_serve_imports(source: str, imports: bool) -> None:
    assert imports_granian(f'"""The serve command."""\n\n{source}') is imports
