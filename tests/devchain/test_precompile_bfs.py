"""BFS (3.x, 0x100e) on the dev chain, against the behaviour read in FISCO-BCOS
``bcos-executor/src/precompiled/BFSPrecompiled.cpp`` and its unit test
``bcos-executor/test/unittest/libprecompiled/FileSystemPrecompiledTest.cpp`` (``linkTest``:
``/apps/Hello/1.0``, the simple link ``link_test`` read back at ``/apps/link_test``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_abi import decode, encode

from fisco_drugtrace.devchain import DevChain, DevChainConfig

from devchain_helpers import deploy3, result, selector, send3, tx3

BFS = "0x000000000000000000000000000000000000100e"
INFO = "(string,string,string[])[]"


def call(chain: DevChain, sig: str, types: list[str], args: list[Any]) -> dict[str, Any]:
    data = selector(sig) + encode(types, args)
    return result(chain, "call", ["group0", "", BFS, "0x" + data.hex()])


def transact(chain: DevChain, sig: str, types: list[str], args: list[Any]) -> dict[str, Any]:
    response = send3(chain, tx3(chain, BFS, selector(sig) + encode(types, args)))
    return response["result"]


def code_of(receipt: dict[str, Any]) -> int:
    assert receipt["status"] == 0, receipt
    return decode(["int256"], bytes.fromhex(receipt["output"][2:]))[0]


def ls(chain: DevChain, path: str) -> tuple[int, list]:
    out = call(chain, "list(string)", ["string"], [path])
    assert out["status"] == 0
    code, files = decode(["int32", INFO], bytes.fromhex(out["output"][2:]))
    return code, [(n, t, list(e)) for n, t, e in files]


def readlink(chain: DevChain, path: str) -> str:
    out = call(chain, "readlink(string)", ["string"], [path])
    return decode(["address"], bytes.fromhex(out["output"][2:]))[0]


def link3(chain: DevChain, path: str, address: str, abi: str = "") -> int:
    return code_of(transact(chain, "link(string,string,string)", ["string"] * 3, [path, address, abi]))


def link4(chain: DevChain, name: str, version: str, address: str, abi: str = "") -> int:
    return code_of(transact(chain, "link(string,string,string,string)", ["string"] * 4,
                            [name, version, address, abi]))


def test_genesis_tree_has_the_node_root_dirs_and_sys_links(v3: DevChain) -> None:
    code, files = ls(v3, "/")
    assert code == 0
    assert [(n, t) for n, t, _ in files] == [("apps", "directory"), ("sys", "directory"),
                                            ("tables", "directory"), ("usr", "directory")]
    code, sys_files = ls(v3, "/sys")
    names = {n: t for n, t, _ in sys_files}
    assert names["bfs"] == "link" and names["status"] == "link" and names["consensus"] == "link"
    assert readlink(v3, "/sys/bfs").lower() == BFS
    assert readlink(v3, "/sys/status").lower().endswith("1000")


def test_mkdir_creates_parents_and_refuses_existing_and_outside_apps(v3: DevChain) -> None:
    assert code_of(transact(v3, "mkdir(string)", ["string"], ["/apps/a/b/c"])) == 0
    assert ls(v3, "/apps/a")[1] == [("b", "directory", ["0", "0", "", "", ""])]
    assert code_of(transact(v3, "mkdir(string)", ["string"], ["/apps/a/b"])) == -53002
    assert code_of(transact(v3, "mkdir(string)", ["string"], ["/sys/mine"])) == -53005
    assert code_of(transact(v3, "mkdir(string)", ["string"], ["/apps/bad name"])) == -53005
    assert code_of(transact(v3, "mkdir(string)", ["string"], ["/apps/" + "x" * 130])) == -53005
    assert code_of(transact(v3, "mkdir(string)", ["string"], ["/apps/1/2/3/4/5/6"])) == -53005  # 7 levels
    assert ls(v3, "/apps/nope") == (-53001, [])


def test_link_absolute_path_resolves_under_apps_and_lists_as_a_link(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    assert link3(v3, "DrugTrace/1.0", address, "[]") == 0
    assert readlink(v3, "/apps/DrugTrace/1.0").lower() == address
    code, files = ls(v3, "/apps/DrugTrace/1.0")
    assert code == 0 and files == [("1.0", "link", [address[2:], "[]"])]
    assert ls(v3, "/apps/DrugTrace")[1] == [("1.0", "link", ["0", "0", "", "", ""])]
    # a leading "/" is dropped; "/apps/..." nests under /apps again, as the node's getContractTableName
    assert link3(v3, "/apps/X", address) == 0
    assert readlink(v3, "/apps/apps/X").lower() == address and readlink(v3, "/apps/X") == "0x" + "00" * 20


def test_relink_overwrites_address_and_a_directory_is_not_a_link(v3: DevChain) -> None:
    first = deploy3(v3)["contractAddress"]
    second = deploy3(v3, 7)["contractAddress"]
    assert link3(v3, "suite/latest", first, "abi-1") == 0
    assert link3(v3, "suite/latest", second) == 0
    assert readlink(v3, "/apps/suite/latest").lower() == second
    assert ls(v3, "/apps/suite/latest")[1][0][2] == [second[2:], "abi-1"]  # empty ABI keeps the old one
    assert link3(v3, "suite", first) == -53002  # /apps/suite is a directory
    assert readlink(v3, "/apps/suite") == "0x" + "00" * 20


def test_cns_style_link_checks_the_contract_and_names(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    assert link4(v3, "Hello", "1.0", address, "[]") == 0
    assert readlink(v3, "/apps/Hello/1.0").lower() == address
    assert link4(v3, "Hello", "1/0", address) == -51202
    assert link4(v3, "Hello", "2.0", "0x" + "12" * 20) == -51202  # no contract there
    assert link4(v3, "Hel lo", "1.0", address) == -53005


def test_paged_list_reports_what_is_left(v3: DevChain) -> None:
    for name in ("d1", "d2", "d3"):
        transact(v3, "mkdir(string)", ["string"], [f"/apps/p/{name}"])
    out = call(v3, "list(string,uint256,uint256)", ["string", "uint256", "uint256"], ["/apps/p", 0, 2])
    left, files = decode(["int256", INFO], bytes.fromhex(out["output"][2:]))
    assert left == 1 and [f[0] for f in files] == ["d1", "d2"]


def test_unknown_selector_fails_with_precompiled_error(v3: DevChain) -> None:
    receipt = send3(v3, tx3(v3, BFS, b"\x12\x34\x56\x78"))["result"]
    assert receipt["status"] == 15
    assert b"undefined function" in bytes.fromhex(receipt["output"][2:])


def test_a_call_changes_nothing(v3: DevChain) -> None:
    call(v3, "mkdir(string)", ["string"], ["/apps/ghost"])
    assert ls(v3, "/apps/ghost")[0] == -53001


def test_links_survive_a_restart(tmp_path: Path) -> None:
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        address = deploy3(chain)["contractAddress"]
        assert link3(chain, "DrugTrace/OrgRegistry", address, "[]") == 0
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert readlink(chain, "/apps/DrugTrace/OrgRegistry").lower() == address
        assert ls(chain, "/apps/DrugTrace")[1][0][0] == "OrgRegistry"


def test_host_snapshot_and_restore_put_precompile_state_back(v3: DevChain) -> None:
    saved = v3.chain.precompiles.snapshot()
    address = deploy3(v3)["contractAddress"]
    assert link3(v3, "later/one", address) == 0
    v3.chain.precompiles.restore(saved)
    assert readlink(v3, "/apps/later/one") == "0x" + "00" * 20 and ls(v3, "/apps/later")[0] == -53001
    assert link3(v3, "later/one", address) == 0  # and it works on from there
    assert readlink(v3, "/apps/later/one").lower() == address


def test_a_value_a_handler_cannot_take_fails_the_transaction_not_the_chain(v3: DevChain) -> None:
    # a link whose ABI is not valid UTF-8 cannot be decoded as the string the ABI says
    data = selector("link(string,string,string)") + encode(["bytes", "string", "string"], [b"\xff\xfe", "0x" + "1" * 40, ""])
    receipt = send3(v3, tx3(v3, BFS, data))["result"]
    assert receipt["status"] == 15
    assert send3(v3, tx3(v3, BFS, selector("mkdir(string)") + encode(["string"], ["/apps/after"])))["result"]["status"] == 0


def test_a_contract_calling_a_precompile_without_a_method_gets_the_node_reason(v3: DevChain) -> None:
    # runtime: CALL 0x100e with no data, copy whatever came back and revert with it
    runtime = bytes.fromhex("6000600060006000600061100e5af1" "3d60006000" "3e" "3d6000fd")
    initcode = bytes([0x61, 0, len(runtime), 0x80, 0x60, 12, 0x60, 0, 0x39, 0x60, 0, 0xF3]) + runtime
    caller = send3(v3, tx3(v3, "", initcode))["result"]["contractAddress"]
    receipt = send3(v3, tx3(v3, caller, b""))["result"]
    assert receipt["status"] == 16
    reason = decode(["string"], bytes.fromhex(receipt["output"][10:]))[0]
    assert reason == "BFSPrecompiled call undefined function!"  # the precompile's own PrecompiledError
    assert readlink(v3, "/sys/bfs").lower() == BFS  # addressed directly it still answers


def test_touch_init_and_rebuild(v3: DevChain) -> None:
    touch = transact(v3, "touch(string,string)", ["string", "string"], ["/apps/t/c1", "contract"])
    assert code_of(touch) == 0 and ls(v3, "/apps/t")[1] == [("c1", "contract", ["0", "0", "", "", ""])]
    assert code_of(transact(v3, "touch(string,string)", ["string", "string"], ["/apps/t/x", "file"])) == -53006
    assert code_of(transact(v3, "touch(string,string)", ["string", "string"], ["/sys/x", "contract"])) == -53005
    init = transact(v3, "initBfs()", [], [])
    assert init["status"] == 0 and init["output"] == "0x"
    assert code_of(transact(v3, "rebuildBfs(uint256,uint256)", ["uint256", "uint256"], [0, 1])) == -50000
