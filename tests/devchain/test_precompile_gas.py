"""Receipt ``gasUsed`` of transactions to the system precompiles, against figures computed here from
the nodes' rules (not from the dev chain's code):

* 3.x: SystemConfig, Consensus, BFS, ContractAuth and AccountManager never touch a
  ``PrecompiledGas`` (``bcos-executor/src/precompiled/*.cpp``) and a 3.x receipt counts execution
  gas only, so they use 0 — whether they succeed, answer a return code or fail.
* 2.x (v2.11.1): ``Executive`` charges ``baseGasRequired`` (21,000 + 4 per zero and 68 per non-zero
  data byte) first and then ``PrecompiledExecResult::calGasCost()``: the operations the precompile
  appended (``GasMetrics``: OpenTable 200, Select 200, Insert 10,000, EQ / Set 3) plus memory gas
  (3 per 32-byte word + words²/512) of the largest of the input (CNS's ``setMemUsed(param.size())``)
  and the output. A ``PrecompiledError`` keeps only the base gas.
"""

from __future__ import annotations

from eth_abi import encode

from fisco_drugtrace.devchain import DevChain

from devchain_helpers import receipt2, selector, send2, send3, store_deploy, tx2, tx3

SYS = "0x0000000000000000000000000000000000001000"
CONSENSUS = "0x0000000000000000000000000000000000001003"
CNS = "0x0000000000000000000000000000000000001004"
BFS = "0x000000000000000000000000000000000000100e"


def base_2x(data: bytes) -> int:
    return 21_000 + sum(4 if b == 0 else 68 for b in data)


def mem(size: int) -> int:
    words = (size + 31) // 32
    return 3 * words + words * words // 512


def calldata(sig: str, types: list[str], args: list) -> bytes:
    return selector(sig) + encode(types, args)


def receipt3(chain: DevChain, to: str, data: bytes) -> dict:
    return send3(chain, tx3(chain, to, data))["result"]


def test_3x_system_precompiles_charge_no_gas(v3: DevChain) -> None:
    cases = [
        (SYS, calldata("setValueByKey(string,string)", ["string", "string"], ["tx_count_limit", "2000"]), 0),
        (SYS, calldata("setValueByKey(string,string)", ["string", "string"], ["tx_count_limit", "x"]), 15),
        (BFS, calldata("mkdir(string)", ["string"], ["/apps/gas"]), 0),
        (BFS, calldata("mkdir(string)", ["string"], ["/apps/gas"]), 0),  # -53002 exists: an answer
        (CONSENSUS, calldata("setWeight(string,uint256)", ["string", "uint256"], ["ab" * 64, 2]), 0),
        (BFS, bytes.fromhex("deadbeef"), 15),  # unknown selector: PrecompiledError
    ]
    for to, data, status in cases:
        receipt = receipt3(v3, to, data)
        assert (receipt["status"], receipt["gasUsed"]) == (status, "0"), receipt


def _send2(chain: DevChain, to: str, data: bytes) -> dict:
    return receipt2(chain, send2(chain, tx2(chain, to, data))["result"])


def gas2(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


def test_2x_system_config_charges_base_gas_and_its_answer_as_memory(v2: DevChain) -> None:
    data = calldata("setValueByKey(string,string)", ["string", "string"], ["tx_count_limit", "2000"])
    receipt = _send2(v2, SYS, data)
    assert receipt["status"] == "0x0"
    assert gas2(receipt) == base_2x(data) + mem(32)  # no operations; the 32-byte return code as memory
    refused = calldata("setValueByKey(string,string)", ["string", "string"], ["tx_count_limit", "0"])
    receipt = _send2(v2, SYS, refused)  # an invalid value is answered with a return code: same charge
    assert receipt["status"] == "0x0" and gas2(receipt) == base_2x(refused) + mem(32)
    bad = selector("setValueByKey(string,string)") + b"\x01"  # arguments that do not decode
    failed = _send2(v2, SYS, bad)
    assert failed["status"] == hex(21)  # PrecompiledError
    assert gas2(failed) == base_2x(bad)  # the base gas only


def test_2x_cns_charges_its_table_operations(v2: DevChain) -> None:
    address = receipt2(v2, send2(v2, tx2(v2, "", store_deploy()))["result"])["contractAddress"]
    insert = "insert(string,string,string,string)"
    first = calldata(insert, ["string"] * 4, ["Store", "1.0", address, "[]"])
    assert gas2(_send2(v2, CNS, first)) == base_2x(first) + 200 + 0 * 200 + 10_000 + mem(len(first))
    second = calldata(insert, ["string"] * 4, ["Store", "2.0", address, "[]"])  # one row of that name before
    assert gas2(_send2(v2, CNS, second)) == base_2x(second) + 200 + 1 * 200 + 10_000 + mem(len(second))
    again = calldata(insert, ["string"] * 4, ["Store", "2.0", address, "[]"])  # exists: -51200, no Insert
    assert gas2(_send2(v2, CNS, again)) == base_2x(again) + 200 + 2 * 200 + mem(len(again))
    select = calldata("selectByName(string)", ["string"], ["Store"])
    receipt = _send2(v2, CNS, select)
    output = bytes.fromhex(receipt["output"][2:])
    assert len(output) > len(select)  # the JSON answer is the larger memory
    assert gas2(receipt) == base_2x(select) + 200 + 2 * 3 + mem(len(output))
    by_version = calldata("selectByNameAndVersion(string,string)", ["string", "string"], ["Store", "1.0"])
    receipt = _send2(v2, CNS, by_version)
    used = max(len(by_version), len(bytes.fromhex(receipt["output"][2:])))
    assert gas2(receipt) == base_2x(by_version) + 200 + 3 + 200 + mem(used)
    lookup = calldata("getContractAddress(string,string)", ["string", "string"], ["Store", "9.9"])  # no match
    assert gas2(_send2(v2, CNS, lookup)) == base_2x(lookup) + 200 + 0 + mem(len(lookup))
    unknown = bytes.fromhex("deadbeef") + bytes(32)
    receipt = _send2(v2, CNS, unknown)
    assert receipt["status"] == "0x0" and gas2(receipt) == base_2x(unknown) + mem(len(unknown))

