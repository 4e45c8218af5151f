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
