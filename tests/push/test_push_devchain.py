"""Events pushed by the dev chain over real sockets, in both dialects: the 3.x WebSocket on the
RPC port and the 2.x channel port, as the SDK's push transports read them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from fisco_drugtrace.client.subscribe import Checkpoint
from fisco_drugtrace.errors import SubscriptionRefused
from fisco_drugtrace.rpc.push import PushSubscription

from push_helpers import SIGNERS, collect, deploy_probe, key, served, store_from_senders, stored_value

DIALECTS = ["v3", "v2"]


@pytest.mark.parametrize("dialect,front", [("v3", "thread"), ("v2", "thread"), ("v3", "loop"), ("v2", "loop")])
def test_thousand_transactions_from_four_senders_arrive_in_block_order(dialect: str, front: str) -> None:
    with served(dialect, front=front) as s:
        probe = deploy_probe(s.push)
        start = s.push.block_number() + 1  # after the deployment's own event
        sub = s.push.subscribe_logs(address=probe.address, from_block=start)
        assert sub.mode == "push"
        store_from_senders(probe, 1000)
        pushed = collect(sub, 1000)
        sub.close()
        order = [(e.block_number, e.transaction_index) for e in pushed]
        assert order == sorted(order) and len(set(order)) == 1000
        assert sorted(stored_value(probe, e) for e in pushed) == list(range(1000))
        # the same events, in the same order, when the client has no push transport and polls getLogs
        polled = s.poll.subscribe_logs(address=probe.address, from_block=start)
        assert polled.mode == "poll"
        assert [key(e) for e in collect(polled, 1000)] == [key(e) for e in pushed]
        polled.close()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_client_method_works_over_the_push_transport(dialect: str) -> None:
    with served(dialect) as s:
        probe = deploy_probe(s.push)
        receipt = probe.transact("store", 7, "seven", signer=SIGNERS[0])
        assert receipt.receipt.status == 0
        assert s.push.get_receipt(receipt.tx_hash) == s.poll.get_receipt(receipt.tx_hash)
        assert s.push.block_number() == s.poll.block_number()
        entry = probe.call("entry")
        assert (entry["value"] if isinstance(entry, dict) else entry[0]) == 7
        overview = s.push.node_overview()
        assert overview.block_number == s.push.block_number()
        transport = s.push.rpc.transport
        assert transport.block_number == s.push.block_number()  # block notify kept it current


@pytest.mark.parametrize("dialect,front", [("v3", "thread"), ("v2", "thread"), ("v3", "loop")])
def test_tls_push_with_the_chain_certificates(dialect: str, front: str, tmp_path: Path) -> None:
    """wss:// on either HTTP front (3.x), channels:// on the 2.x channel port."""
    with served(dialect, tls_dir=tmp_path, front=front) as s:
        assert s.push_url.startswith(("wss://", "channels://"))
        probe = deploy_probe(s.push)
        sub = s.push.subscribe_logs(address=probe.address, from_block=2)
        store_from_senders(probe, 100, senders=4)  # receipts, notifies and event pushes written while the reader reads
        events = collect(sub, 100)
        sub.close()
        assert sorted(stored_value(probe, e) for e in events) == list(range(100))
        # one TLS session throughout: a reader and writers inside one SSL object at once used to
        # make either side see the other close (the SDK then reconnected, or failed a request)
        assert s.push.rpc.transport.reconnects == 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_bounded_range_ends_the_iteration_and_topics_filter(dialect: str) -> None:
    with served(dialect) as s:
        probe = deploy_probe(s.push)
        store_from_senders(probe, 12, senders=1)
        head = s.push.block_number()
        only_five = list(s.push.subscribe_logs(address=probe.address, topics=[[(5).to_bytes(32, "big"), "0x" + "00" * 31 + "07"]],
                                               from_block=2, to_block=head))
        assert [stored_value(probe, e) for e in only_five] == [5, 7]
        everything = list(s.push.subscribe_logs(address=probe.address, from_block=2, to_block=head))
        polled = list(s.poll.subscribe_logs(address=probe.address, from_block=2, to_block=head))
        assert [key(e) for e in everything] == [key(e) for e in polled] and len(everything) == 12


@pytest.mark.parametrize("dialect", DIALECTS)
def test_restart_from_a_saved_checkpoint_loses_and_repeats_nothing(dialect: str, tmp_path: Path) -> None:
    with served(dialect) as s:
        probe = deploy_probe(s.push)
        start = s.push.block_number() + 1
        store_from_senders(probe, 60)
        path = tmp_path / "checkpoint.json"
        first = s.client()
        sub = first.subscribe_logs(address=probe.address, from_block=start)
        part = collect(sub, 23)
        sub.checkpoint.save(path)
        first.close()  # the process "ends" with events still queued
        second = s.client()
        resumed = second.subscribe_logs(address=probe.address, checkpoint=Checkpoint.load(path))
        store_from_senders(probe, 40, base=60)
        rest = collect(resumed, 77)
        assert resumed.get(timeout=0.5) is None
        resumed.close()
        second.close()
        assert sorted(stored_value(probe, e) for e in part + rest) == list(range(100))
        full = s.poll.subscribe_logs(address=probe.address, from_block=start)
        assert [key(e) for e in part + rest] == [key(e) for e in collect(full, 100)]
        full.close()


def test_checkpoint_text_is_checked() -> None:
    assert Checkpoint.from_json(Checkpoint(12, 3).to_json()) == Checkpoint(12, 3)
    for bad in ("", "[]", '{"block": -1, "delivered": 0}', '{"block": "x"}'):
        with pytest.raises(Exception) as info:
            Checkpoint.from_json(bad)
        assert type(info.value).__name__ == "ConfigError"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_subscription_for_another_group_is_refused_with_the_node_code(dialect: str) -> None:
    with served(dialect) as s:
        transport = s.push.rpc.transport
        transport.group = "group9" if dialect == "v3" else 9
        with pytest.raises(SubscriptionRefused) as info:
            transport.subscribe(PushSubscription((), (), 0, -1, on_logs=lambda logs: None, on_end=lambda e: None))
        assert info.value.code == -41002  # GROUP_NOT_EXIST


@pytest.mark.parametrize("front", ["thread", "loop"])
def test_ws_server_survives_garbage_and_answers_the_next_client(front: str) -> None:
    with served("v3", front=front) as s:
        host, port = s.http_url.split("//")[1].split(":")
        for junk in (b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", b"\x00" * 64,
                     b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                     b"\x82\x7f" + b"\xff" * 20):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                raw.sendall(junk)
                raw.settimeout(0.5)
                try:
                    raw.recv(4096)
                except OSError:
                    pass
        assert s.push.block_number() == s.poll.block_number()  # the old connection still works
        assert s.client().block_number() == s.poll.block_number()  # and a new one is served


def test_channel_server_survives_garbage_and_answers_the_next_client() -> None:
    with served("v2") as s:
        host, port = s.push_url.split("//")[1].split(":")
        from fisco_drugtrace.encoding.channelpack import ChannelPack, encode_channel_pack, REGISTER_EVENT_LOG

        for junk in (b"\xff" * 64, b"\x00\x00\x00\x05hello",
                     encode_channel_pack(ChannelPack(REGISTER_EVENT_LOG, b"1" * 32, b"\x05ab")),
                     encode_channel_pack(ChannelPack(0x12, b"2" * 32, b"{not json"))):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                raw.sendall(junk)
                raw.settimeout(0.5)
                try:
                    raw.recv(4096)
                except OSError:
                    pass
        assert s.client().block_number() == s.poll.block_number()


def test_ws_handshake_answers_groups_and_block_numbers() -> None:
    with served("v3") as s:
        transport = s.push.rpc.transport
        s.push.block_number()
        assert transport.protocol_version == 2
        assert transport.group_info and transport.group_info[0]["groupID"] == "group0"
        assert json.loads(transport.send(
            b'{"jsonrpc":"2.0","id":5,"method":"getBlockNumber","params":["group0",""]}'))["id"] == 5


@pytest.mark.parametrize("dialect", DIALECTS)
def test_typed_events_through_the_binding(dialect: str) -> None:
    with served(dialect) as s:
        probe = deploy_probe(s.push)
        got: list = []
        sub = probe.subscribe_events("Stored", from_block=1, callback=got.append)
        for value in (3, 4):
            probe.transact("store", value, f"v{value}", signer=SIGNERS[0])
        probe.transact("tag", (9).to_bytes(32, "big"), "not a Stored", signer=SIGNERS[0])
        probe.transact("store", 5, "v5", signer=SIGNERS[0])
        import time

        deadline = time.monotonic() + 10
        while len(got) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        sub.close()
        assert [(e.name, e.args["value"]) for e in got] == [("Stored", 41), ("Stored", 3), ("Stored", 4), ("Stored", 5)]
        assert got[1].args["note"] == "v3"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_one_connection_holds_a_bounded_number_of_subscriptions(dialect: str) -> None:
    from fisco_drugtrace.devchain.event_push import MAX_SUBSCRIPTIONS

    with served(dialect) as s:
        transport = s.push.rpc.transport
        held = [transport.subscribe(PushSubscription((), (), 1, -1, on_logs=lambda logs: None, on_end=lambda e: None))
                for _ in range(MAX_SUBSCRIPTIONS)]
        with pytest.raises(SubscriptionRefused) as info:
            transport.subscribe(PushSubscription((), (), 1, -1, on_logs=lambda logs: None, on_end=lambda e: None))
        assert info.value.code == -41001  # INVALID_REQUEST
        transport.unsubscribe(held[0])
        import time

        deadline = time.monotonic() + 5
        while True:  # the unsubscribe is asynchronous on the wire: room again soon after
            try:
                transport.subscribe(PushSubscription((), (), 1, -1, on_logs=lambda logs: None, on_end=lambda e: None))
                break
            except SubscriptionRefused:
                assert time.monotonic() < deadline
                time.sleep(0.05)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_failover_between_push_urls_keeps_the_stream_exact(dialect: str) -> None:
    """Three URLs for one chain (the same dev chain served on more endpoints): the first is down at
    the start; then the endpoint in use stops listening and its connection breaks mid-stream; the
    transport moves to the third and the subscription goes on with nothing lost or repeated."""
    from dataclasses import replace

    from fisco_drugtrace import connect
    from fisco_drugtrace.devchain import serve
    from fisco_drugtrace.devchain.channel_server import serve_channel

    def endpoint():  # type: ignore[no-untyped-def]
        return serve(s.chain, port=0) if dialect == "v3" else serve_channel(s.chain, port=0)

    with served(dialect) as s:
        with socket.socket() as spare:
            spare.bind(("127.0.0.1", 0))
            dead = spare.getsockname()[1]
        scheme = "ws" if dialect == "v3" else "channel"
        used, spare_node = endpoint(), endpoint()
        client = connect(replace(s.settings, urls=tuple(f"{scheme}://127.0.0.1:{p}" for p in (dead, used.port,
                                                                                               spare_node.port))))
        transport = client.rpc.transport
        try:
            probe = deploy_probe(client)
            assert transport.url.endswith(f":{used.port}")  # the dead one was skipped
            sub = client.subscribe_logs(address=probe.address, from_block=2)
            store_from_senders(probe, 30, senders=2)
            first = collect(sub, 30)
            used.stop()  # nothing listens there any more ...
            transport._sock.shutdown(socket.SHUT_RDWR)  # ... and the live connection breaks (test-only poke)
            store_from_senders(probe, 30, senders=2, base=30)
            rest = collect(sub, 30)
            assert transport.url.endswith(f":{spare_node.port}") and transport.reconnects >= 1
            assert sub.get(timeout=0.5) is None
            assert sorted(stored_value(probe, e) for e in first + rest) == list(range(60))
            sub.close()
        finally:
            client.close()
            spare_node.stop()


def test_a_failing_callback_stops_delivery_and_keeps_its_event_for_the_resume() -> None:
    with served("v3") as s:
        probe = deploy_probe(s.push)
        store_from_senders(probe, 5, senders=1)
        seen: list = []

        def handle(log: object) -> None:
            if len(seen) == 3:
                raise RuntimeError("back-end down")
            seen.append(log)

        sub = s.push.subscribe_logs(address=probe.address, from_block=2, callback=handle)
        import time

        deadline = time.monotonic() + 10
        while sub.error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert isinstance(sub.error, RuntimeError) and len(seen) == 3
        resumed = s.push.subscribe_logs(address=probe.address, checkpoint=sub.checkpoint)
        rest = collect(resumed, 2)
        resumed.close()
        assert [stored_value(probe, e) for e in seen + rest] == list(range(5))


def test_a_2x_transaction_over_the_channel_takes_its_receipt_from_the_0x1000_push() -> None:
    with served("v2") as s:
        probe = deploy_probe(s.push)
        asked: list[str] = []
        s.push.get_receipt = lambda tx_hash: asked.append(tx_hash)  # type: ignore[method-assign]
        result = probe.transact("store", 8, "pushed", signer=SIGNERS[0])
        assert result.receipt.status == 0 and result.receipt.block_number == s.poll.block_number()
        assert s.poll.get_receipt(result.tx_hash) == result.receipt
        assert not asked  # no getTransactionReceipt polling: the node pushed it
