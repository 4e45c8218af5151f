"""Consensus at ``0x1003``: ``addSealer``, ``addObserver``, ``remove``, ``setWeight`` (3.x) /
``addSealer``, ``addObserver``, ``remove`` (2.x).

3.x read from FISCO-BCOS ``bcos-executor/src/precompiled/ConsensusPrecompiled.cpp``
(``addSealerImpl``, ``removeNode``, ``setWeight``; codes in ``precompiled/common/Common.h``) and
``bcos-ledger/Ledger.cpp`` (a node's entry counts from its ``enableNumber``, the RPC lists entries
with ``enableNumber <= head + 1``); 2.x from ``libprecompiled/ConsensusPrecompiled.cpp`` at v2.11.1.

The list starts with the dev chain's one node as a sealer of weight 1. Node ids are 128 hex digits
(lower-cased). 3.x answers: -51100 invalid node id, -51101 the last sealer, -51102 weight 0,
-51103 no such node, -51104 a new sealer must first be an observer (block version >= 3.1),
``PrecompiledError("Cannot set weight to observer.")``; with governance on only the committee
may call (-50000). 2.x answers 1 (rows changed) or -51100/-51101 and adds a sealer directly.

Nodes added here are bookkeeping: the one real sealer keeps sealing every block whatever the list
says (the dev chain has no peers); a node added as sealer or observer appears in
``getSealerList``/``getObserverList`` and ``getNodeListByType``.
"""

from __future__ import annotations

import re

from fisco_drugtrace.types import Dialect

from .base import CallContext, Hasher, Precompile, PrecompiledError, Txn, address_of, encode
from .sysconfig import COMMITTEE_ADDRESS

__all__ = ["ConsensusPrecompile", "CONSENSUS_ADDRESS", "TABLE", "SEALER", "OBSERVER"]

CONSENSUS_ADDRESS = address_of(0x1003)
TABLE = "s_consensus"
SEALER, OBSERVER = "consensus_sealer", "consensus_observer"
_INVALID_NODE_ID, _LAST_SEALER, _INVALID_WEIGHT = -51100, -51101, -51102
_NODE_NOT_EXIST, _SEALER_SHOULD_BE_OBSERVER, _NO_AUTHORIZED = -51103, -51104, -50000
_HEX128 = re.compile(r"[0-9a-f]{128}")

#: one node entry: (node id, type, vote weight, term weight, enable number)
Node = tuple[str, str, int, int, int]


class ConsensusPrecompile(Precompile):
    """Consensus for either dialect; ``node_id`` is the dev chain's own (the genesis sealer)."""

    def __init__(self, hasher: Hasher, dialect: Dialect, node_id: str, auth: bool) -> None:
        super().__init__(CONSENSUS_ADDRESS, "ConsensusPrecompiled", hasher)
        self.dialect = dialect
        self.node_id = node_id.lower()
        self.auth = auth
        if dialect is Dialect.V3:
            self.register("addSealer(string,uint256)", self._add_sealer)
            self.register("addSealer(string,uint256,uint256)", self._add_sealer_term)
            self.register("addObserver(string)", self._add_observer)
            self.register("remove(string)", self._remove)
            self.register("setWeight(string,uint256)", self._set_weight)
        else:
            self.register("addSealer(string)", self._v2_add_sealer)
            self.register("addObserver(string)", self._v2_add_observer)
            self.register("remove(string)", self._v2_remove)

    def unknown(self, data: bytes) -> bytes:
        if self.dialect is Dialect.V2:
            return encode(["int256"], [0])
        return super().unknown(data)

    def genesis(self, txn: Txn) -> None:
        txn.set(TABLE, "key", ((self.node_id, SEALER, 1, 0, 0),))

    @staticmethod
    def nodes(txn: Txn) -> tuple[Node, ...]:
        return txn.get(TABLE, "key", ())

    def _call_gate(self, ctx: CallContext) -> bytes | None:
        checked = ctx.host.auth_checked(ctx.block_number) if ctx.host is not None else self.auth
        if checked and ctx.sender != COMMITTEE_ADDRESS:  # blockContext.isAuthCheck()
            return encode(["int32"], [_NO_AUTHORIZED])
        return None

    # ------------------------------------------------------------------ 3.x
    def _add(self, txn: Txn, ctx: CallContext, node_id: str, sealer: bool, weight: int, term: int) -> int:
        node_id = node_id.lower()
        if not _HEX128.fullmatch(node_id):
            return _INVALID_NODE_ID
        nodes = list(self.nodes(txn))
        index = next((i for i, n in enumerate(nodes) if n[0] == node_id), None)
        enable = ctx.block_number + 1
        if sealer:
            if weight == 0:
                return _INVALID_WEIGHT
            if index is None:
                return _SEALER_SHOULD_BE_OBSERVER
            nodes[index] = (node_id, SEALER, weight, term, enable)
        elif index is not None:
            if sum(1 for n in nodes if n[1] == SEALER) == 1:
                return _LAST_SEALER
            nodes[index] = (node_id, OBSERVER, 0, 0, enable)
        else:
            nodes.append((node_id, OBSERVER, 0, 0, enable))
        txn.set(TABLE, "key", tuple(nodes))
        return 0

    def _add_sealer(self, txn: Txn, ctx: CallContext, node_id: str, weight: int) -> bytes:
        refused = self._call_gate(ctx)
        return refused or encode(["int32"], [self._add(txn, ctx, node_id, True, weight & (2**64 - 1), 0)])

    def _add_sealer_term(self, txn: Txn, ctx: CallContext, node_id: str, weight: int, term: int) -> bytes:
        refused = self._call_gate(ctx)
        return refused or encode(["int32"], [self._add(txn, ctx, node_id, True, weight & (2**64 - 1),
                                                       term & (2**64 - 1))])

    def _add_observer(self, txn: Txn, ctx: CallContext, node_id: str) -> bytes:
        refused = self._call_gate(ctx)
        return refused or encode(["int32"], [self._add(txn, ctx, node_id, False, 0, 0)])

    def _remove(self, txn: Txn, ctx: CallContext, node_id: str) -> bytes:
        refused = self._call_gate(ctx)
        if refused:
            return refused
        node_id = node_id.lower()
        if len(node_id) != 128:
            return encode(["int32"], [_INVALID_NODE_ID])
        nodes = [n for n in self.nodes(txn) if n[0] != node_id]
        if len(nodes) == len(self.nodes(txn)):
            return encode(["int32"], [_NODE_NOT_EXIST])
        if not any(n[1] == SEALER for n in nodes):
            return encode(["int32"], [_LAST_SEALER])
        txn.set(TABLE, "key", tuple(nodes))
        return encode(["int32"], [0])

    def _set_weight(self, txn: Txn, ctx: CallContext, node_id: str, weight: int) -> bytes:
        refused = self._call_gate(ctx)
        if refused:
            return refused
        node_id = node_id.lower()
        if len(node_id) != 128:
            return encode(["int32"], [_INVALID_NODE_ID])
        if weight == 0:
            return encode(["int32"], [_INVALID_WEIGHT])
        nodes = list(self.nodes(txn))
        index = next((i for i, n in enumerate(nodes) if n[0] == node_id), None)
        if index is None:
            return encode(["int32"], [_NODE_NOT_EXIST])
        if nodes[index][1] == OBSERVER:
            raise PrecompiledError("Cannot set weight to observer.")
        _, kind, _, term, _ = nodes[index]
        nodes[index] = (node_id, kind, weight & (2**64 - 1), term, ctx.block_number + 1)
        txn.set(TABLE, "key", tuple(nodes))
        return encode(["int32"], [0])

    # ------------------------------------------------------------------ 2.x
    def _v2_put(self, txn: Txn, ctx: CallContext, node_id: str, kind: str) -> bytes:
        node_id = node_id.lower()
        if not _HEX128.fullmatch(node_id):
            return encode(["int256"], [_INVALID_NODE_ID])
        nodes = list(self.nodes(txn))
        index = next((i for i, n in enumerate(nodes) if n[0] == node_id), None)
        if kind == OBSERVER and index is not None and self._v2_last_sealer(nodes, node_id):
            return encode(["int256"], [_LAST_SEALER])
        entry = (node_id, kind, 1 if kind == SEALER else 0, 0, ctx.block_number + 1)
        if index is None:
            nodes.append(entry)
        else:
            nodes[index] = entry
        txn.set(TABLE, "key", tuple(nodes))
        return encode(["uint256"], [1])

    @staticmethod
    def _v2_last_sealer(nodes: list[Node], node_id: str) -> bool:
        sealers = [n for n in nodes if n[1] == SEALER]
        return len(sealers) == 1 and sealers[0][0] == node_id

    def _v2_add_sealer(self, txn: Txn, ctx: CallContext, node_id: str) -> bytes:
        return self._v2_put(txn, ctx, node_id, SEALER)

    def _v2_add_observer(self, txn: Txn, ctx: CallContext, node_id: str) -> bytes:
        return self._v2_put(txn, ctx, node_id, OBSERVER)

    def _v2_remove(self, txn: Txn, ctx: CallContext, node_id: str) -> bytes:
        node_id = node_id.lower()
        if not _HEX128.fullmatch(node_id):
            return encode(["int256"], [_INVALID_NODE_ID])
        nodes = list(self.nodes(txn))
        if self._v2_last_sealer(nodes, node_id):
            return encode(["int256"], [_LAST_SEALER])
        kept = [n for n in nodes if n[0] != node_id]
        txn.set(TABLE, "key", tuple(kept))
        removed = len(nodes) - len(kept)
        return encode(["uint256" if removed else "int256"], [removed])
