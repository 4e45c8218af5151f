"""Webhook delivery: a durable outbox, HMAC-signed POSTs, retries with back-off while the back-end
is down, every event in order and once per event id — also across a restart of the watcher."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fisco_drugtrace.cli.main import cli, main
from fisco_drugtrace.drugtrace.webhook import WebhookOutbox, WebhookSender, sign_body
from fisco_drugtrace.errors import WebhookError

from webhook_backend import Backend

SECRET = b"s3cret-for-tests"


def test_signature_is_hmac_sha256_of_the_body() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    assert sign_body(b"Jefe", b"what do ya want for nothing?") == \
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_back_end_down_for_part_of_the_run_gets_everything_in_order_once(tmp_path: Path) -> None:
    backend = Backend(SECRET)
    backend.down()  # down when the first events are written
    box = WebhookOutbox(tmp_path / "outbox.sqlite", "test")
    sender = WebhookSender(box, backend.url, SECRET, first_backoff=0.02, max_backoff=0.2, timeout=2).start()
    ids = [f"{b}-1" for b in range(1, 61)]
    for n, event_id in enumerate(ids[:30]):
        box.add([(event_id, json.dumps({"n": n}).encode())], None)
    time.sleep(0.3)
    assert sender.failures > 0 and not backend.received
    backend.up()
    backend.refuse_with = 503  # up, but failing
    time.sleep(0.2)
    backend.refuse_with = None
    for n, event_id in enumerate(ids[30:], start=30):
        box.add([(event_id, json.dumps({"n": n}).encode())], None)
    box.add([(ids[3], b'{"n": 3}')], None)  # an event seen again (a resumed watch): stored once
    assert sender.drain(20)
    sender.stop()
    assert [event_id for event_id, _ in backend.received] == ids
    assert [body["n"] for _, body in backend.received] == list(range(60))
    assert backend.bad_signatures == 0 and box.counts() == (60, 0)
    backend.down()


def test_outbox_survives_a_restart_and_refuses_another_scope(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    box = WebhookOutbox(path, "scope-a")
    box.add([("1-1", b"{}"), ("1-2", b"{}")], '{"block": 1, "delivered": 2}')
    box.close()
    again = WebhookOutbox(path, "scope-a")
    assert again.checkpoint() == '{"block": 1, "delivered": 2}' and again.counts() == (0, 2)
    again.close()
    with pytest.raises(WebhookError, match="another watch"):
        WebhookOutbox(path, "scope-b")
    with pytest.raises(WebhookError):
        WebhookSender(WebhookOutbox(tmp_path / "b.sqlite", "x"), "ftp://x", SECRET)


def test_cli_watch_webhook_across_a_watcher_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from push_helpers import served
    from fisco_drugtrace import LocalSigner
    from fisco_drugtrace.devchain import dev_keypairs
    from fisco_drugtrace.drugtrace.story import ACTORS, play_story

    home = tmp_path / "home"
    with served("v3") as s:
        play_story(s.push, [LocalSigner(k) for k in dev_keypairs(len(ACTORS))], home, units=20)
        head = s.push.block_number()
        pharmacy = ACTORS[5].credit_code
        backend = Backend(SECRET)
        monkeypatch.setenv("FISCO_DRUGTRACE_HOME", str(home))
        monkeypatch.setenv("FISCO_RPC_URL", s.push_url)
        monkeypatch.setenv("FISCO_WEBHOOK_SECRET", SECRET.decode())
        outbox = tmp_path / "outbox.sqlite"
        args = ["watch", "--org", pharmacy, "--from-block", "0", "--to-block", str(head), "--webhook", backend.url,
                "--outbox", str(outbox), "--json", "--drain-timeout", "2"]
        backend.down()  # the back-end is down for the whole first run
        first = CliRunner().invoke(cli, args, catch_exceptions=False)
        printed = [json.loads(line) for line in first.output.splitlines() if line.startswith("{")]
        assert printed and "still pending" in first.output
        backend.up()
        second = CliRunner().invoke(cli, args, catch_exceptions=False)  # resumes from the outbox's checkpoint
        assert not [line for line in second.output.splitlines() if line.startswith("{")]  # nothing new to print
        assert [i for i, _ in backend.received] == [e["id"] for e in printed]
        assert [b for _, b in backend.received] == printed
        backend.down()
        # usage errors are exit code 2, not tracebacks
        monkeypatch.delenv("FISCO_WEBHOOK_SECRET")
        assert main(args) == 2
        assert main(["watch", "--kinds", "nonsense", "--to-block", "1"]) == 2


def test_cli_watch_without_a_node_is_exit_code_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    monkeypatch.setenv("FISCO_DRUGTRACE_HOME", str(tmp_path))
    for url in (f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"):
        assert main(["--rpc-url", url, "watch", "--to-block", "1"]) == 3
