"""Consensus (precompile ``0x1003``), both dialects.

Peer: the Java SDK's ``contract/precompiled/consensus/ConsensusService.java`` (``addSealer``,
``addObserver``, ``removeNode``, ``setWeight``). ABI from FISCO-BCOS ``bcos-executor/src/
precompiled/solidity/ConsensusPrecompiled.sol`` (3.x) and ``libprecompiled/ConsensusPrecompiled.cpp``
(2.x: no weights). On a governed 3.x chain these go through a committee proposal
(:meth:`~fisco_drugtrace.contracts.precompiled.auth.AuthManager.set_consensus_weight`).
"""

from __future__ import annotations

from typing import Any

from fisco_drugtrace.types import Dialect

from ._common import PrecompiledContract, fn

__all__ = ["Consensus", "CONSENSUS_ADDRESS", "CONSENSUS_CODES"]

CONSENSUS_ADDRESS = "0x0000000000000000000000000000000000001003"
CONSENSUS_CODES = {-51100: "invalid node id", -51101: "the last sealer cannot leave", -51102: "weight must be > 0",
                   -51103: "no such node", -51104: "a new sealer must be an observer first",
                   -50000: "not authorised: only the committee may change consensus"}

_ABI_V3 = [fn("addSealer", ["string", "uint256"], ["int32"]), fn("addObserver", ["string"], ["int32"]),
           fn("remove", ["string"], ["int32"]), fn("setWeight", ["string", "uint256"], ["int32"])]
_ABI_V2 = [fn("addSealer", ["string"], ["int256"]), fn("addObserver", ["string"], ["int256"]),
           fn("remove", ["string"], ["int256"])]


class Consensus(PrecompiledContract):
    """``Consensus(client, signer).add_observer(node_id)``, ``.add_sealer(node_id, weight)``, ..."""

    ADDRESS = CONSENSUS_ADDRESS
    NAME = "Consensus"
    DIALECTS = (Dialect.V3, Dialect.V2)
    CODES = CONSENSUS_CODES

    def abi_for(self, dialect: Dialect) -> list[dict[str, Any]]:
        return _ABI_V3 if dialect is Dialect.V3 else _ABI_V2

    def _v3(self) -> bool:
        return self.client.dialect is Dialect.V3

    def add_sealer(self, node_id: str, weight: int = 1) -> None:
        """Make ``node_id`` a sealer (3.x: it must be an observer already; 2.x ignores ``weight``)."""
        args = (node_id, weight) if self._v3() else (node_id,)
        self._check(f"addSealer {node_id[:16]}...", int(self._transact("addSealer", *args)), ok_positive=True)

    def add_observer(self, node_id: str) -> None:
        self._check(f"addObserver {node_id[:16]}...", int(self._transact("addObserver", node_id)), ok_positive=True)

    def remove(self, node_id: str) -> None:
        self._check(f"remove {node_id[:16]}...", int(self._transact("remove", node_id)), ok_positive=True)

    def set_weight(self, node_id: str, weight: int) -> None:
        """3.x only."""
        if not self._v3():
            from fisco_drugtrace.errors import ContractError

            raise ContractError("2.x consensus has no weights")
        self._check(f"setWeight {node_id[:16]}...", int(self._transact("setWeight", node_id, weight)))
