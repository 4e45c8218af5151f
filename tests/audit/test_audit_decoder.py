"""The fast word-slicing event decoder agrees with ContractAbi.decode_log on every suite event."""

from __future__ import annotations

import dataclasses
import json

import pytest
from eth_abi import encode

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace.audit.decoder import EventDecoder, jsonable
from fisco_drugtrace.drugtrace.audit.index import event_row_values
from fisco_drugtrace.drugtrace.audit.records import IndexedEvent
from fisco_drugtrace.drugtrace.story import ACTORS, play_story
from fisco_drugtrace.encoding.abi import ContractAbi
from fisco_drugtrace.types import Log


def test_fast_and_general_paths_agree_on_a_whole_story(tmp_path) -> None:
    chain = DevChain(DevChainConfig())
    client = connect(Settings(), handler=chain.handle_raw)
    try:
        result = play_story(client, [LocalSigner(k) for k in dev_keypairs(len(ACTORS))], tmp_path, units=50)
        decoder = result.services["regulator"].suite.decoder
        logs = client.get_logs(0, client.block_number(), decoder.addresses, None)
        names = set()
        with_json = with_keys = 0
        for log in logs:
            fast, slow = decoder.decode_args(log), decoder.decode_args_slow(log)
            assert fast == slow
            event = decoder.decode(log, position=2, ts_ms=123)
            assert event is not None and (event.contract, event.name, dict(event.args)) == slow
            # the record the decoder fills in place is the one the dataclass's constructor gives
            built = IndexedEvent(**{f.name: getattr(event, f.name) for f in dataclasses.fields(IndexedEvent)})
            assert vars(event) == vars(built) and event == built
            assert (event.position, event.ts_ms, event.block_hash) == (2, 123, log.block_hash)
            if event.args_json is not None:  # written by the template: exactly json's text
                assert event.args_json == json.dumps(slow[2], separators=(",", ":"))
                with_json += 1
            # key columns read from the words: exactly what the index derives from the args
            general = dataclasses.replace(event, row_keys=None, args_json=None)
            assert event_row_values(event) == event_row_values(general)
            with_keys += event.row_keys is not None
            names.add(fast[1])
        assert {"UnitDispensed", "ShipmentDispatched", "RecallOpened", "BatchCommitted"} <= names
        assert with_json > len(logs) // 2 and with_keys > len(logs) // 2
    finally:
        client.close()
        chain.close()


def test_signed_and_short_words() -> None:
    abi = ContractAbi([{"type": "event", "name": "E", "anonymous": False, "inputs": [
        {"name": "a", "type": "int16", "indexed": True},
        {"name": "b", "type": "int64", "indexed": False},
        {"name": "c", "type": "bytes4", "indexed": False},
        {"name": "d", "type": "bool", "indexed": False},
        {"name": "e", "type": "address", "indexed": False}]}])
    address = "0x" + "ab" * 20
    decoder = EventDecoder({address: ("C", abi)})
    topic_a = encode(["int16"], [-25])
    data = encode(["int64", "bytes4", "bool", "address"], [-(2**40), b"\x01\x02\x03\x04", True, "0x" + "cd" * 20])
    log = Log(address, (abi.event_topic("E"), topic_a), data, 1, "0x" + "00" * 32, 0)
    fast = decoder.decode_args(log)
    assert fast == ("C", "E", {"a": -25, "b": -(2**40), "c": "0x01020304", "d": True, "e": "0x" + "cd" * 20})
    assert fast == decoder.decode_args_slow(log)
    assert jsonable(b"\x01") == "0x01"
    # a log of the right topic but the wrong size goes to the general path (which raises)
    with pytest.raises(Exception):
        decoder.decode_args(Log(address, (abi.event_topic("E"), topic_a), data[:-1], 1, "0x" + "00" * 32, 0))


@pytest.mark.parametrize("values", [
    (b"\x11" * 32, "0x" + "22" * 20, 7, -3, b"\x01\x02\x03\x04", True),
    (bytes(32), "0x" + "00" * 20, 0, 0, bytes(4), False),  # zero keys are NULL
], ids=["set", "zero"])
def test_key_columns_from_words_match_the_general_path(values) -> None:
    abi = ContractAbi([{"type": "event", "name": "K", "anonymous": False, "inputs": [
        {"name": "batchId", "type": "bytes32", "indexed": True},
        {"name": "orgId", "type": "address", "indexed": True},
        {"name": "shipmentId", "type": "uint64", "indexed": False},
        {"name": "recallId", "type": "int16", "indexed": False},
        {"name": "codeHash", "type": "bytes4", "indexed": False},
        {"name": "flag", "type": "bool", "indexed": False}]},
        {"type": "event", "name": "B", "anonymous": False, "inputs": [  # a bool key: the general path
            {"name": "shipmentId", "type": "bool", "indexed": False}]}])
    address = "0x" + "ab" * 20
    decoder = EventDecoder({address: ("C", abi)})
    batch, org, shipment, recall, code, flag = values
    topics = (abi.event_topic("K"), batch, encode(["address"], [org]))
    data = encode(["uint64", "int16", "bytes4", "bool"], [shipment, recall, code, flag])
    event = decoder.decode(Log(address, topics, data, 1, "0x" + "00" * 32, 0))
    assert event is not None and event.row_keys is not None
    assert event_row_values(event) == event_row_values(dataclasses.replace(event, row_keys=None, args_json=None))
    if values[2]:
        assert event.row_keys == (batch, None, shipment, recall, None, code, bytes.fromhex(org[2:]), None)
    else:
        assert event.row_keys == (None,) * 8
    plain = decoder.decode(Log(address, (abi.event_topic("B"),), encode(["bool"], [True]), 1, "0x" + "00" * 32, 0))
    assert plain is not None and plain.row_keys is None and event_row_values(plain)[10] == 1
