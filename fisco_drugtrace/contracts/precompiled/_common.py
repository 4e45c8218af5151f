"""What the precompile bindings share: ABI entries written out from the node's Solidity
interfaces, a :class:`~fisco_drugtrace.contracts.binding.Contract` at a fixed address, and the
reading of a return code."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from fisco_drugtrace.accounts import Signer
from fisco_drugtrace.client.base import FiscoClient
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.encoding.abi import ERROR_SELECTOR
from fisco_drugtrace.errors import ContractError, ContractRevert, PrecompiledCallError, TransactionFailed
from fisco_drugtrace.types import Dialect

__all__ = ["fn", "PrecompiledContract", "ZERO_ADDRESS"]

ZERO_ADDRESS = "0x" + "00" * 20


def fn(name: str, inputs: Sequence[str], outputs: Sequence[str | Mapping[str, Any]] = (),
       mutability: str = "nonpayable") -> dict[str, Any]:
    """One ABI function entry from its type names (an output may be a full entry, for tuples)."""
    def param(t: str | Mapping[str, Any], i: int) -> dict[str, Any]:
        return dict(t) if not isinstance(t, str) else {"name": f"arg{i}", "type": t}
    return {"type": "function", "name": name, "stateMutability": mutability,
            "inputs": [param(t, i) for i, t in enumerate(inputs)],
            "outputs": [param(t, i) for i, t in enumerate(outputs)]}


class PrecompiledContract:
    """A system precompile bound to a client and (for writes) a signer.

    :param dialects: the protocol generations that have this precompile; another is refused at once.
    """

    ADDRESS = ""
    NAME = ""
    ABI: list[dict[str, Any]] = []
    DIALECTS: tuple[Dialect, ...] = (Dialect.V3,)
    CODES: Mapping[int, str] = {}

    def __init__(self, client: FiscoClient, signer: Signer | None = None) -> None:
        if client.dialect not in self.DIALECTS:
            names = " or ".join(d.value for d in self.DIALECTS)
            raise ContractError(f"{self.NAME} is a FISCO BCOS {names} precompile; this client speaks "
                                f"{client.dialect.value}")
        self.client = client
        self.signer = signer
        self.contract = Contract(client, self.abi_for(client.dialect), self.ADDRESS, signer)

    def abi_for(self, dialect: Dialect) -> list[dict[str, Any]]:
        """The ABI this precompile has on ``dialect`` (one ABI unless a subclass says otherwise)."""
        return self.ABI

    def _call(self, fn_name: str, *args: Any) -> Any:
        return self.contract.call(fn_name, *args, sender=self.signer.address if self.signer else None)

    def _transact(self, fn_name: str, *args: Any) -> Any:
        """Send, and return the decoded output (the precompile's return value).

        :raises TransactionFailed: the node refused it (``PrecompiledError``, ``PermissionDenied``,
            ...); the message carries the node's reason from the ``Error(string)`` output.
        """
        return self._transact_receipt(fn_name, *args)[0]

    def _transact_receipt(self, fn_name: str, *args: Any) -> tuple[Any, Any]:
        try:
            result = self.contract.transact(fn_name, *args)
        except ContractRevert:
            raise
        except TransactionFailed as exc:
            reason = _reason(exc.receipt.output) if exc.receipt is not None else ""
            if not reason:
                raise
            raise TransactionFailed(exc.receipt, f"{self.NAME} {fn_name}: status {exc.status} {exc.status_name}: "
                                                 f"{reason}") from None
        output = self.contract.abi.function(fn_name, args).decode_output(result.receipt.output)
        return output, result.receipt

    def _check(self, operation: str, code: int, *, ok_positive: bool = False) -> int:
        """Raise :class:`PrecompiledCallError` for a negative code (or any non-zero one)."""
        if code < 0 or (code > 0 and not ok_positive):
            raise PrecompiledCallError(operation, code, self.CODES.get(code, "unknown code"))
        return code


def _reason(output: bytes) -> str:
    """The text of an ``Error(string)`` output, or ``""``."""
    import eth_abi

    if bytes(output[:4]) != ERROR_SELECTOR:
        return ""
    try:
        return str(eth_abi.decode(["string"], bytes(output[4:]))[0])
    except Exception:  # noqa: BLE001 - not an Error(string) after all
        return ""
