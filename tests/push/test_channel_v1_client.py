"""The 2.x channel port as the official Python SDK (python-sdk ``client/channelhandler.py``,
protocol v1: no handshake) uses it, spoken byte by byte over a raw socket: topic report for block
notify, v1 heartbeat, JSON-RPC, the 0x1000 receipt push after ``sendRawTransaction``, and an
event filter registered the way ``client/event_callback.py`` formats it."""

from __future__ import annotations

import json
import socket
import struct
import uuid

from fisco_drugtrace.encoding.channelpack import ChannelPack, split_channel_stream

from push_helpers import SIGNERS, deploy_probe, served


class _RawChannel:
    """python-sdk's framing: ``struct.pack("!IH32sI%ds", total, type, seq, result, data)``."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buffer = bytearray()
        self.inbox: list[ChannelPack] = []

    def send(self, ptype: int, data: bytes, seq: bytes | None = None) -> bytes:
        seq = seq or uuid.uuid1().hex.encode()
        self.sock.sendall(struct.pack("!IH32sI%ds" % len(data), 42 + len(data), ptype, seq, 0, data))
        return seq

    def wait(self, ptype: int, seq: bytes | None = None) -> ChannelPack:
        while True:
            for i, pack in enumerate(self.inbox):
                if pack.type == ptype and (seq is None or pack.seq == seq):
                    return self.inbox.pop(i)
            self.buffer += self.sock.recv(65536)
            packs, used = split_channel_stream(self.buffer)
            del self.buffer[:used]
            self.inbox.extend(packs)


def test_the_official_sdks_v1_channel_flow() -> None:
    with served("v2") as s:
        probe = deploy_probe(s.poll)
        ch = _RawChannel(s.push_url)
        try:
            ch.send(0x32, json.dumps(["_block_notify_1"]).encode())  # ChannelHandler.getBlockNumber
            notify = ch.wait(0x1001)
            assert notify.seq == b"0" * 32
            number = int(notify.data.split(b",")[1])  # what python-sdk does with it
            assert number == s.poll.block_number()
            seq = ch.send(0x13, b"0")
            assert ch.wait(0x13, seq).data == b"1"  # v1 heartbeat
            seq = ch.send(0x12, b'{"jsonrpc":"2.0","method":"getBlockNumber","params":[1],"id":1}')
            assert int(json.loads(ch.wait(0x12, seq).data)["result"], 16) == number
            # an event filter as event_callback.format_event_register_request writes it (topic header "")
            request = {"fromBlock": "latest", "toBlock": "latest", "addresses": [probe.address], "topics": [],
                       "groupID": "1", "filterID": uuid.uuid4().hex}
            body = json.dumps(request).encode()
            seq = ch.send(0x15, struct.pack("!b%ds%ds" % (0, len(body)), 1, b"", body))
            answer = ch.wait(0x15, seq).data
            assert answer[0] == 1 and json.loads(answer[1:]) == {"result": 0}
            signed = s.poll.sign_transaction(SIGNERS[0], probe.address, probe.abi.encode_call("tag", [
                (77).to_bytes(32, "big"), "from the v1 client"]))
            send = {"jsonrpc": "2.0", "method": "sendRawTransaction", "params": [1, "0x" + signed.raw.hex()], "id": 2}
            seq = ch.send(0x12, json.dumps(send).encode())
            assert json.loads(ch.wait(0x12, seq).data)["result"] == signed.tx_hash
            receipt = json.loads(ch.wait(0x1000, seq).data)  # sendRawTransactionGetReceipt waits for this
            assert receipt["transactionHash"] == signed.tx_hash and receipt["status"] == "0x0"
            pushes = [json.loads(ch.wait(0x1002).data)]  # "latest" = from the head: the deployment's block first
            while pushes[-1]["logs"][0]["transactionHash"] != signed.tx_hash:
                pushes.append(json.loads(ch.wait(0x1002).data))
            assert len(pushes) <= 2
            push = pushes[-1]
            assert push["filterID"] == request["filterID"] and push["result"] == 0
            assert [int(log["topics"][0], 16) for log in push["logs"]] == [77]
            assert push["logs"][0]["blockNumber"] == str(int(receipt["blockNumber"], 16))
        finally:
            ch.sock.close()
