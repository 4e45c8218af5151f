"""Contract bindings, compiled artifacts and the Solidity compiler driver.

The binding is re-exported here; artifacts and the compiler live in
:mod:`fisco_drugtrace.contracts.artifacts` and :mod:`fisco_drugtrace.contracts.compiler`.
"""

from fisco_drugtrace.contracts.binding import Contract, TxResult

__all__ = ["Contract", "TxResult"]
