"""The precompiles of one dev chain, keyed by address, and the one entry point the executor calls.

pyrevm cannot host Python precompiles, so the executor hands a transaction or call addressed
*directly* to a precompile address to :meth:`PrecompileHost.execute` instead of the EVM. A contract
calling a precompile from inside the EVM finds an empty account there (see the dev chain README).
"""

from __future__ import annotations

from typing import Callable

from fisco_drugtrace.types import Dialect

from ..records import ExecOutcome
from .base import (
    PRECOMPILE_GAS, PRECOMPILE_STATUS, CallContext, Hasher, PermissionDenied, Precompile, PrecompiledError,
    Tables, Txn, error_output,
)
from .bfs import BfsPrecompile
from .cns import CnsPrecompile

__all__ = ["PrecompileHost"]


class PrecompileHost:
    """All precompiles of a chain of ``dialect`` plus their shared state tables.

    :param hasher: the chain's hash (selectors are its first four bytes, as the node's
        ``getFuncSelector``).
    """

    def __init__(self, dialect: Dialect, hasher: Hasher) -> None:
        self.dialect = dialect
        self.hasher = hasher
        self.tables = Tables()
        self._status = PRECOMPILE_STATUS[dialect]
        self.precompiles: dict[str, Precompile] = {}
        for precompile in self._build():
            self.precompiles[precompile.address] = precompile
        txn = Txn(self.tables)
        for precompile in self.precompiles.values():
            precompile.genesis(txn)
        txn.commit()

    def _build(self) -> list[Precompile]:
        if self.dialect is Dialect.V3:
            return [BfsPrecompile(self.hasher)]
        return [CnsPrecompile(self.hasher)]

    @property
    def addresses(self) -> frozenset[str]:
        return frozenset(self.precompiles)

    def handles(self, to: str) -> bool:
        return to in self.precompiles

    def execute(self, sender: str, to: str, data: bytes, *, block_number: int, readonly: bool,
                code_exists: Callable[[str], bool]) -> ExecOutcome:
        """Run one transaction (``readonly=False``: its writes are kept if it succeeds) or call."""
        precompile = self.precompiles[to]
        txn = Txn(self.tables)
        ctx = CallContext(sender, block_number, readonly, self.dialect, code_exists, self)
        try:
            output = precompile.execute(txn, ctx, data)
        except PrecompiledError as exc:
            return ExecOutcome(self._status["precompiled_error"], error_output(str(exc)), PRECOMPILE_GAS)
        except PermissionDenied as exc:
            return ExecOutcome(self._status["permission_denied"], error_output(str(exc)), PRECOMPILE_GAS)
        if not readonly:
            txn.commit()
        return ExecOutcome(self._status["ok"], output, PRECOMPILE_GAS)
