"""CNS, the FISCO BCOS 2.x contract name service (precompile ``0x1004``).

Peer: the 2.x Java SDK's ``contract/precompiled/cns/CnsService.java`` (``registerCNS``,
``selectByName``, ``selectByNameAndVersion``, ``getContractAddress``). ABI and codes from
FISCO-BCOS ``libprecompiled/CNSPrecompiled.cpp`` / ``Common.h`` at v2.11.1.
"""

from __future__ import annotations

from dataclasses import dataclass

from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.errors import ContractError, HexError
from fisco_drugtrace.types import Dialect
from fisco_drugtrace.jsonsafe import load_json

from ._common import ZERO_ADDRESS, PrecompiledContract, fn

__all__ = ["Cns", "CnsEntry", "CNS_ADDRESS", "CNS_CODES"]

CNS_ADDRESS = "0x0000000000000000000000000000000000001004"
CNS_CODES = {-51200: "name and version already exist", -51201: "version longer than 128",
             -50102: "invalid address", -50000: "no permission"}

_ABI = [
    fn("insert", ["string", "string", "string", "string"], ["int256"]),
    fn("selectByName", ["string"], ["string"], "view"),
    fn("selectByNameAndVersion", ["string", "string"], ["string"], "view"),
    fn("getContractAddress", ["string", "string"], ["address"], "view"),
]


@dataclass(frozen=True)
class CnsEntry:
    """One CNS record (the address as the registrant wrote it, normalised when it is one)."""

    name: str
    version: str
    address: str
    abi: str


class Cns(PrecompiledContract):
    """``Cns(client, signer).insert(name, version, address, abi)``, ``.address_of(name, version=None)``."""

    ADDRESS = CNS_ADDRESS
    NAME = "CNS"
    ABI = _ABI
    DIALECTS = (Dialect.V2,)
    CODES = CNS_CODES

    def insert(self, name: str, version: str, address: str, abi: str = "") -> None:
        """Register ``name``/``version`` -> ``address``.

        :raises PrecompiledCallError: -51200 exists already, -51201 version too long, -50102 bad address.
        """
        self._check(f"cns insert {name} {version}", int(self._transact("insert", name, version,
                                                                        normalize_address(address), abi)),
                    ok_positive=True)

    def select(self, name: str, version: str | None = None) -> list[CnsEntry]:
        """Every version registered under ``name`` in registration order (or just ``version``)."""
        text = self._call("selectByName", name) if version is None else \
            self._call("selectByNameAndVersion", name, version)
        try:
            rows = load_json(text)
            return [CnsEntry(r["name"], r["version"], _address(r["address"]), r["abi"]) for r in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise ContractError(f"CNS answered something that is not its JSON list: {text[:200]!r}") from exc

    def address_of(self, name: str, version: str | None = None) -> str | None:
        """The address of ``name`` at ``version``, or of its latest registration when ``version`` is
        ``None``; ``None`` when nothing is registered."""
        if version is None:
            rows = self.select(name)
            return rows[-1].address if rows else None
        address = normalize_address(self._call("getContractAddress", name, version))
        return None if address == ZERO_ADDRESS else address


def _address(text: str) -> str:
    try:
        return normalize_address(text)
    except HexError:
        return text
