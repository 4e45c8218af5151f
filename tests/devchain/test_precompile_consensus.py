"""Consensus (0x1003) on a one-node chain, against FISCO-BCOS
``bcos-executor/src/precompiled/ConsensusPrecompiled.cpp`` (``addSealerImpl``, ``removeNode``,
``setWeight``; codes from ``precompiled/common/Common.h``) and 2.x ``libprecompiled/
ConsensusPrecompiled.cpp`` at v2.11.1."""

from __future__ import annotations

from fisco_drugtrace.devchain import DevChain
from fisco_drugtrace.devchain.config import DEV_NODE_ID

from devchain_helpers import result
from precompile_helpers import code3, error_text, send, send2_to

CONSENSUS = "0x0000000000000000000000000000000000001003"
OTHER = "ab" * 64


def sealers(chain: DevChain) -> list[str]:
    return [n["nodeID"] for n in result(chain, "getSealerList", ["group0", ""])]


def observers(chain: DevChain) -> list[str]:
    return result(chain, "getObserverList", ["group0", ""])


def test_the_one_sealer_cannot_be_demoted_or_removed(v3: DevChain) -> None:
    assert sealers(v3) == [DEV_NODE_ID]
    assert code3(send(v3, CONSENSUS, "addObserver(string)", DEV_NODE_ID)) == -51101
    assert code3(send(v3, CONSENSUS, "remove(string)", DEV_NODE_ID)) == -51101
    assert sealers(v3) == [DEV_NODE_ID]


def test_a_new_node_joins_as_observer_then_sealer_and_leaves(v3: DevChain) -> None:
    assert code3(send(v3, CONSENSUS, "addSealer(string,uint256)", OTHER, 1)) == -51104  # observer first
    assert code3(send(v3, CONSENSUS, "addObserver(string)", OTHER.upper())) == 0  # ids are lower-cased
    assert observers(v3) == [OTHER]
    assert code3(send(v3, CONSENSUS, "addSealer(string,uint256)", OTHER, 0)) == -51102
    assert code3(send(v3, CONSENSUS, "addSealer(string,uint256)", OTHER, 5)) == 0
    assert sealers(v3) == [DEV_NODE_ID, OTHER] and observers(v3) == []
    weights = {n["nodeID"]: n["weight"] for n in result(v3, "getSealerList", ["group0", ""])}
    assert weights[OTHER] == 5
    assert code3(send(v3, CONSENSUS, "setWeight(string,uint256)", OTHER, 9)) == 0
    assert code3(send(v3, CONSENSUS, "remove(string)", OTHER)) == 0
    assert sealers(v3) == [DEV_NODE_ID]
    assert code3(send(v3, CONSENSUS, "remove(string)", OTHER)) == -51103


def test_bad_ids_and_observer_weight(v3: DevChain) -> None:
    assert code3(send(v3, CONSENSUS, "addObserver(string)", "12")) == -51100
    assert code3(send(v3, CONSENSUS, "addObserver(string)", "zz" * 64)) == -51100
    assert code3(send(v3, CONSENSUS, "setWeight(string,uint256)", OTHER, 1)) == -51103
    send(v3, CONSENSUS, "addObserver(string)", OTHER)
    receipt = send(v3, CONSENSUS, "setWeight(string,uint256)", OTHER, 1)
    assert receipt["status"] == 15 and error_text(receipt) == "Cannot set weight to observer."


def test_v2_answers(v2: DevChain) -> None:
    def code(receipt: dict) -> int:
        return int.from_bytes(bytes.fromhex(receipt["output"][2:]), "big", signed=True)

    assert code(send2_to(v2, CONSENSUS, "addSealer(string)", OTHER)) == 1  # 2.x adds a sealer directly
    assert result(v2, "getSealerList", [1]) == [DEV_NODE_ID, OTHER]
    assert code(send2_to(v2, CONSENSUS, "addObserver(string)", OTHER)) == 1
    assert result(v2, "getObserverList", [1]) == [OTHER]
    assert code(send2_to(v2, CONSENSUS, "remove(string)", DEV_NODE_ID)) == -51101
    assert code(send2_to(v2, CONSENSUS, "remove(string)", "xy")) == -51100
    assert code(send2_to(v2, CONSENSUS, "remove(string)", OTHER)) == 1
    assert code(send2_to(v2, CONSENSUS, "remove(string)", OTHER)) == 0  # nothing removed
