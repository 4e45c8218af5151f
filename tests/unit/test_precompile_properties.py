"""Property tests for the precompile state machine (hypothesis): the copy-on-write tables behave as
a dict that keeps a transaction's writes only on commit, and BFS keeps its tree consistent for any
sequence of mkdir/link operations (every created path is listed by its parent and a link reads back)."""

from __future__ import annotations

import eth_abi
from hypothesis import given, settings, strategies as st

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.devchain.precompiles.base import CallContext, PrecompiledError, Tables, Txn
from fisco_drugtrace.devchain.precompiles.bfs import BfsPrecompile, parent_and_base, path_valid
from fisco_drugtrace.types import Dialect

keys = st.sampled_from(["a", "b", "c"])
tables = st.sampled_from(["t1", "t2"])
ops = st.lists(st.tuples(st.sampled_from(["set", "delete"]), tables, keys, st.integers(0, 9)), max_size=20)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(ops, st.booleans()), max_size=8))
def test_txn_keeps_writes_only_on_commit(rounds: list) -> None:
    base = Tables()
    model: dict[str, dict[str, int]] = {}
    for operations, commit in rounds:
        txn = Txn(base)
        view = {t: dict(rows) for t, rows in model.items()}
        for op, table, key, value in operations:
            if op == "set":
                txn.set(table, key, value)
                view.setdefault(table, {})[key] = value
            else:
                txn.delete(table, key)
                view.setdefault(table, {}).pop(key, None)
            assert txn.get(table, key) == view.get(table, {}).get(key)  # reads see own writes
        if commit:
            txn.commit()
            model = view
        for table in ("t1", "t2"):
            assert {k: v for k, v in Txn(base).rows(table)} == model.get(table, {})


segment = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_\-#@.]{0,6}", fullmatch=True)
rel_paths = st.lists(segment, min_size=1, max_size=4).map("/".join)


def _ctx() -> CallContext:
    return CallContext("0x" + "11" * 20, 1, False, Dialect.V3, lambda a: True)


def _call(bfs: BfsPrecompile, tables: Tables, sig: str, types: list[str], args: list, returns: list[str]) -> tuple:
    """One execution in its own transaction, kept only when it succeeds (as the host does)."""
    data = keccak256(sig.encode())[:4] + eth_abi.encode(types, args)
    txn = Txn(tables)
    try:
        out = eth_abi.decode(returns, bfs.execute(txn, _ctx(), data))
    except PrecompiledError:  # e.g. mkdir below a link: "Recursive build bfs dir error."
        return ("error",)
    txn.commit()
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), rel_paths), min_size=1, max_size=8))
def test_bfs_tree_stays_consistent(operations: list) -> None:
    bfs = BfsPrecompile(keccak256)
    tables = Tables()
    txn = Txn(tables)
    bfs.genesis(txn)
    txn.commit()
    links: dict[str, str] = {}
    dirs: set[str] = set()
    for n, (is_link, rel) in enumerate(operations):
        path = "/apps/" + rel
        if is_link:
            address = "0x" + format(n + 1, "040x")
            (code,) = _call(bfs, tables, "link(string,string,string)", ["string"] * 3, [rel, address, ""], ["int256"])
            if code == 0:
                links[path] = address
                dirs -= {path}
        else:
            (code,) = _call(bfs, tables, "mkdir(string)", ["string"], [path], ["int32"])
            if code == 0:
                dirs.add(path)
        assert code in (0, -53002, -53003, -53005, "error")
        if code == -53005:
            assert not path_valid(path)
    for path, address in links.items():
        (got,) = _call(bfs, tables, "readlink(string)", ["string"], [path], ["address"])
        assert got.lower() == address
    for path in set(links) | dirs:
        parent, base = parent_and_base(path)
        code, files = _call(bfs, tables, "list(string)", ["string"], [parent], ["int32", "(string,string,string[])[]"])
        assert code == 0 and base in [f[0] for f in files]


def _hosts() -> list:
    from fisco_drugtrace.devchain.precompiles import PrecompileHost

    return [PrecompileHost(Dialect.V3, keccak256, auth_admin="0x" + "11" * 20, node_id="ab" * 64),
            PrecompileHost(Dialect.V2, keccak256, node_id="ab" * 64)]


_HOSTS = _hosts()
_SELECTORS = sorted({sel for host in _HOSTS for p in host.precompiles.values() for sel in p.methods})


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 1), st.data(), st.binary(max_size=200), st.booleans())
def test_no_input_to_any_precompile_escapes_as_an_exception(which: int, data: st.DataObject, tail: bytes,
                                                            readonly: bool) -> None:
    """Any calldata (a known selector with garbage arguments, or garbage) ends in a receipt status
    the node could give; nothing raises out of the host (which would stop the sealer)."""
    host = _HOSTS[which]
    address = data.draw(st.sampled_from(sorted(host.precompiles)))
    selector = data.draw(st.sampled_from(_SELECTORS + [b"\x00\x00\x00\x00"]))
    sender = data.draw(st.sampled_from(["0x" + "11" * 20, "0x" + "22" * 20, "0x" + format(0x10001, "040x")]))
    out = host.execute(sender, address, selector + tail, block_number=5, readonly=readonly,
                       code_exists=lambda a: a.endswith("ab"))
    assert out.status in {0, 15, 16, 18, 21} | ({0x16, 25} if which else set())


_ADDRESSES = st.sampled_from(["0x" + "11" * 20, "0x" + "22" * 20, "0x" + "ab" * 20, "0x" + "00" * 20])
_STRINGS = st.one_of(st.text(max_size=40), st.sampled_from(["/apps/a", "/apps/a/b", "tx_count_limit", "tx_gas_limit",
                                                              "ab" * 64, "/sys/bfs", "1.0", "0x" + "ab" * 20]))
_VALUES = {
    "string": _STRINGS, "bool": st.booleans(), "address": _ADDRESSES, "bytes4": st.binary(min_size=4, max_size=4),
    "uint8": st.integers(0, 255), "uint32": st.integers(0, 2**32 - 1), "uint256": st.integers(0, 2**256 - 1),
    "address[]": st.lists(_ADDRESSES, max_size=3),
}


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 1), st.data())
def test_well_formed_calls_with_any_values_end_in_a_node_status(which: int, data: st.DataObject) -> None:
    """Every method of every precompile, with arbitrary well-typed arguments and callers."""
    host = _HOSTS[which]
    address = data.draw(st.sampled_from(sorted(host.precompiles)))
    methods = host.precompiles[address].methods
    selector = data.draw(st.sampled_from(sorted(methods)))
    _, types, _ = methods[selector]
    args = [data.draw(_VALUES[t]) for t in types]
    sender = data.draw(st.sampled_from(["0x" + "11" * 20, "0x" + "22" * 20, "0x" + format(0x10001, "040x")]))
    out = host.execute(sender, address, selector + eth_abi.encode(list(types), args), block_number=5,
                       readonly=False, code_exists=lambda a: a.endswith("ab"))
    assert out.status in {0, 15, 16, 18, 21} | ({0x16, 25} if which else set())
    if out.status != 0:
        assert out.output[:4] == bytes.fromhex("08c379a0")  # the node's reason as Error(string)
