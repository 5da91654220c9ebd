"""The pytest plugin as integrators meet it: fixtures run inside a fresh pytest (pytester)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer

pytestmark = pytest.mark.live

# In-process pytester runs forget the modules they imported; the fixtures import the kit lazily,
# and PyYAML's C part cannot be imported twice, so the kit is imported here, once, for them.
for _module in (
    "freepik_mock.contract.live_mock",
    "freepik_mock.contract.receiver",
    "freepik_mock.contract.routing",
    "freepik_mock.server.live",
    "freepik_mock.server.spec.adapter",
    "freepik_mock.server.web.app",
    "yaml",
):
    importlib.import_module(_module)


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    """Run ``source`` as a test file in a new pytest, in a subprocess when xdist is asked."""
    pytester.makepyfile(source)
    if "-n" in args:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_freepik_mock_is_shared_per_session_and_reset_before_each_test(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import httpx

        URLS = []

        def test_first(freepik_mock):
            URLS.append(freepik_mock.url)
            with freepik_mock.client() as music:
                music.create("first", 10)
            assert len(freepik_mock.tasks()) == 1

        def test_second(freepik_mock):
            URLS.append(freepik_mock.url)
            assert URLS[0] == URLS[1]  # one server for the session
            assert freepik_mock.tasks() == []  # but nothing left from the first test
            health = httpx.get(freepik_mock.url + "/_mock/health").json()
            assert health["status"] == "ok"
            assert freepik_mock.url.startswith("http://127.0.0.1:")
        """,
    )
    result.assert_outcomes(passed=2)


def test_music_client_generates_and_downloads_from_the_live_mock(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        def test_generate(music_client, tmp_path):
            task = music_client.generate("Calm lo-fi piano", 10)
            assert task.status.value == "COMPLETED"
            path = tmp_path / "track.mp3"
            music_client.download(task, path)
            assert path.stat().st_size > 10_000
        """,
    )
    result.assert_outcomes(passed=1)


def test_the_control_helper_drives_scenarios_and_the_clock(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from freepik_mock.server import MockConfig

        @pytest.fixture(scope="session")
        def freepik_mock_config():
            return MockConfig(clock="manual")
        """
    )
    result = run(
        pytester,
        """
        def test_failing_jazz(freepik_mock):
            freepik_mock.add_scenario(match={"prompt_contains": "jazz"}, outcome="FAILED")
            with freepik_mock.client() as music:
                task = music.create("smooth jazz", 10)
                freepik_mock.advance(10)
                assert music.get(task.task_id).status.value == "FAILED"
        """,
    )
    result.assert_outcomes(passed=1)


def test_webhook_receiver_collects_verified_deliveries(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_deliveries(freepik_mock, webhook_receiver):
            with freepik_mock.client() as music:
                task = music.create("upbeat", 10, webhook_url=webhook_receiver.url)
            done = webhook_receiver.wait_for(status="COMPLETED", timeout=10)
            assert done[0].event.task.task_id == task.task_id
            assert [d.status for d in webhook_receiver.deliveries] == [
                "CREATED", "IN_PROGRESS", "COMPLETED"
            ]
        """,
    )
    result.assert_outcomes(passed=1)


def test_a_delivery_that_does_not_verify_fails_the_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import httpx

        def test_forged(webhook_receiver):
            headers = {"webhook-id": "msg_1", "webhook-timestamp": "1",
                       "webhook-signature": "v1,AAAA"}
            httpx.post(webhook_receiver.url, content=b"{}", headers=headers)
            webhook_receiver.wait_for(1)
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*webhook deliveries failed verification*"])


def test_freepik_respx_answers_the_vendor_hosts_in_process_and_refuses_others(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import httpx
        import pytest

        def test_hosts(freepik_respx):
            for host in ("api.freepik.com", "api.magnific.com"):
                answer = httpx.get(f"https://{host}/v1/ai/music-generation",
                                   headers={"x-freepik-api-key": "k"})
                assert answer.status_code == 200
                assert answer.json() == {"data": []}
            with pytest.raises(Exception, match="not mocked"):
                httpx.get("https://example.com/")
        """,
    )
    result.assert_outcomes(passed=1)


def test_inside_freepik_respx_no_library_resolves_or_reaches_another_host(
    pytester: pytest.Pytester,
) -> None:
    # The spy sits under the guard: every name the guard lets through reaches it. The real
    # resolver is never called for the API's host, so no DNS query can have been sent.
    pytester.makeconftest(
        """
        import socket

        import pytest

        ASKED = []
        _real_getaddrinfo = socket.getaddrinfo

        def spy(host, *args, **kwargs):
            ASKED.append(host)
            return _real_getaddrinfo(host, *args, **kwargs)

        socket.getaddrinfo = spy

        @pytest.fixture
        def asked():
            ASKED.clear()
            return ASKED
        """
    )
    result = run(
        pytester,
        """
        import socket
        import urllib.error
        import urllib.request

        import pytest
        import requests

        URL = "https://api.freepik.com/v1/ai/music-generation"

        def test_urllib_and_requests_are_refused(freepik_respx, asked, freepik_mock):
            with pytest.raises(urllib.error.URLError, match="refusing to resolve") as refused:
                urllib.request.urlopen(URL, timeout=5)
            assert "freepik_respx" in str(refused.value)
            with pytest.raises(requests.ConnectionError, match="refusing to resolve"):
                requests.get(URL, headers={"x-freepik-api-key": "k"}, timeout=5)
            with pytest.raises(socket.gaierror):
                socket.getaddrinfo("example.com", 443)
            with pytest.raises(OSError, match="non-loopback"):
                socket.create_connection(("192.0.2.1", 443), timeout=5)
            assert not any("freepik" in str(name) or "example" in str(name) for name in asked)
            # Loopback still works, by name and by address: the live mock answers.
            health = freepik_mock.url.replace("127.0.0.1", "localhost") + "/_mock/health"
            assert urllib.request.urlopen(health, timeout=5).status == 200
            assert requests.get(freepik_mock.url + "/_mock/health", timeout=5).ok

        def test_the_guard_is_gone_after_the_fixture():
            assert socket.getaddrinfo.__name__ == "spy"
        """,
    )
    result.assert_outcomes(passed=2)


def test_an_unexpected_server_error_fails_the_test_that_caused_it(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        from freepik_mock.server.web import get_state

        def explode(**kwargs):
            raise RuntimeError("boom in the mock")

        def test_causes_a_500(freepik_mock_app, monkeypatch):
            monkeypatch.setattr(get_state(freepik_mock_app).engine, "create_task", explode)
            answer = freepik_mock_app.test_client().post(
                "/v1/ai/music-generation", headers={"x-freepik-api-key": "k"},
                json={"prompt": "x", "music_length_seconds": 10})
            assert answer.status_code == 500

        def test_innocent(freepik_mock_app):
            pass
        """,
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_causes_a_500*", "*RuntimeError: boom in the mock*"]
    )


def test_xdist_workers_each_get_their_own_mock(pytester: pytest.Pytester) -> None:
    tests = "\n".join(
        f"""
def test_{n}(freepik_mock):
    with freepik_mock.client() as music:
        music.create("track {n}", 10)
        assert len(music.list()) == 1
"""
        for n in range(6)
    )
    result = run(pytester, tests, "-n", "2")
    result.assert_outcomes(passed=6)


def test_the_plugin_loads_without_the_test_extras() -> None:
    # pytest loads the plugin in every project the package is installed in, [test] extras or not.
    code = (
        "import sys\n"
        "for name in ('schemathesis', 'hypothesis'):\n"
        "    sys.modules[name] = None  # makes any import of them fail\n"
        "import freepik_mock.contract.plugin\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_project_with_its_own_client_and_mock_server_uses_every_fixture(
    pytester: pytest.Pytester,
) -> None:
    # An integrator's project commonly has its own ``client.py`` and ``mock_server/``: the kit is
    # installed under ``freepik_mock`` only, so neither shadows it (nor it them).
    pytester.makepyfile(client="def my_thing():\n    return 42\n")
    pytester.mkpydir("mock_server")
    pytester.makepyfile(**{"mock_server/app": "NAME = 'the project own mock_server'\n"})
    pytester.makepyfile(
        test_own="""
        import httpx

        from client import my_thing
        from mock_server.app import NAME
        from freepik_mock.client import MusicClient
        from freepik_mock.contract import MockControl

        def test_own_modules():
            assert my_thing() == 42
            assert NAME == "the project own mock_server"

        def test_live(freepik_mock, music_client, webhook_receiver):
            assert isinstance(music_client, MusicClient)
            task = music_client.create("a jingle", 10, webhook_url=webhook_receiver.url)
            freepik_mock.complete(task.task_id)
            assert webhook_receiver.wait_for(status="COMPLETED", timeout=10)

        def test_in_process(freepik_respx, freepik_mock_app):
            answer = httpx.post(
                "https://api.freepik.com/v1/ai/music-generation",
                headers={"x-freepik-api-key": "k"},
                json={"prompt": "p", "music_length_seconds": 10},
            )
            assert answer.status_code == 200
            with MockControl(app=freepik_mock_app) as control:
                assert len(control.tasks()) == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_freepik_respx_lets_the_mocks_own_webhooks_reach_a_loopback_receiver(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import httpx
        from freepik_mock.contract import MockControl

        def test_webhooks(freepik_respx, freepik_mock_app, webhook_receiver):
            answer = httpx.post(
                "https://api.freepik.com/v1/ai/music-generation",
                headers={"x-freepik-api-key": "k"},
                json={"prompt": "p", "music_length_seconds": 10,
                      "webhook_url": webhook_receiver.url},
            )
            task_id = answer.json()["data"]["task_id"]
            with MockControl(app=freepik_mock_app) as control:
                control.complete(task_id)
            done = webhook_receiver.wait_for(status="COMPLETED", timeout=10)
            assert done[0].event.task.task_id == task_id
        """,
    )
    result.assert_outcomes(passed=1)


def test_a_shared_mock_keeps_each_tests_rules_and_requests_to_itself(
    pytester: pytest.Pytester,
) -> None:
    config = MockConfig(api_keys=("shared-key-0001",), webhook_secrets=("whsec_c2hhcmVk",))
    with LiveServer(config=config) as server:
        pytester.makepyfile(
            """
            def test_first(freepik_mock):
                freepik_mock.add_scenario(match={"prompt_contains": "doomed"}, outcome="FAILED")
                freepik_mock.add_fault(match={"path": "/nowhere"}, status=503)
                with freepik_mock.client() as music:
                    music.create("doomed", 10)
                assert len(freepik_mock.requests(method="POST")) == 1

            def test_second(freepik_mock, webhook_receiver):
                import pytest
                from freepik_mock.contract import MockControlError

                with pytest.raises(MockControlError, match="shared mock"):
                    freepik_mock.reset()
                assert freepik_mock.scenarios() == []  # the first test's rules are gone
                assert freepik_mock.faults() == []
                freepik_mock.send_webhook(url=webhook_receiver.url, status="COMPLETED")
                webhook_receiver.wait_for(1)  # verified with the shared mock's secret
            """
        )
        result = pytester.runpytest_inprocess(
            "-p",
            "no:cacheprovider",
            f"--freepik-mock-url={server.url}",
            "--freepik-mock-api-key=shared-key-0001",
            "--freepik-mock-webhook-secret=whsec_c2hhcmVk",
        )
        scenarios = server.app.test_client().get("/_mock/scenarios").get_json()["data"]
    result.assert_outcomes(passed=2)
    assert scenarios == []


def test_on_a_shared_mock_tasks_webhooks_and_faults_are_each_tests_own(
    pytester: pytest.Pytester,
) -> None:
    # Two workers, eight tests, one mock that accepts any key: each test has a key of its own.
    tests = """
        import httpx
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_scoped(freepik_mock, webhook_receiver, n):
            url = freepik_mock.url + "/v1/ai/music-generation"
            headers = {"x-freepik-api-key": freepik_mock.api_key}
            freepik_mock.add_fault(match={"method": "GET", "path": "/v1/ai/music-generation"},
                                   status=503, times=1)
            body = {"prompt": f"test {n}", "music_length_seconds": 10,
                    "webhook_url": webhook_receiver.url}
            for _ in range(3):
                assert httpx.post(url, json=body, headers=headers).status_code == 200
            # The fault is this test's: no other test's GET used it up.
            assert httpx.get(url, headers=headers).status_code == 503
            assert httpx.get(url, headers=headers).status_code == 200
            mine = {task["task_id"] for task in freepik_mock.tasks()}
            assert len(mine) == 3
            webhook_receiver.wait_for(count=3, status="CREATED")
            assert {message["task_id"] for message in freepik_mock.webhooks()} == mine
            sent = freepik_mock.send_webhook(url=webhook_receiver.url, status="COMPLETED")
            assert sent["webhook_id"] in {m["webhook_id"] for m in freepik_mock.webhooks()}
            assert len(freepik_mock.requests()) == 5
    """
    with LiveServer(config=MockConfig()) as server:
        result = run(pytester, tests, "-n", "2", f"--freepik-mock-url={server.url}")
        faults = server.app.test_client().get("/_mock/faults").get_json()["data"]
    result.assert_outcomes(passed=8)
    assert faults == []  # each test's own rules were removed after it
