"""Joining a suite someone else deployed: read it from the chain, check its code, record it.

An organisation that did not deploy the suite knows one address — the ``OrgRegistry`` the
deployer (the national regulator) publishes, or finds it in the chain's name service. From it
the rest is read on chain: ``OrgRegistry.suite()`` returns the four linked contracts. Each
contract's runtime code is then compared with this release's shipped artifact, so a newcomer
never signs against code it does not know.

The comparison is exact except for Solidity ``immutable`` values: the compiler emits the
runtime code with each immutable as a ``PUSH32`` of 32 zero bytes and the constructor writes
the value in (solc's ``immutableReferences``; the suite keeps the root org and the linked
registries there). Such an operand may differ; every other byte, and the length, must match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fisco_drugtrace.contracts.artifacts import SUITE_CONTRACTS, load_artifact
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.drugtrace.addressbook import Deployment
from fisco_drugtrace.drugtrace.suite import suite_abi
from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.errors import AddressBookError, HexError

__all__ = ["CodeCheck", "Attachment", "SuiteCodeMismatch", "code_difference", "read_linked_suite", "attach_suite"]

_PUSH1, _PUSH32 = 0x60, 0x7F
_ZERO_ADDRESS = "0x" + "0" * 40


class SuiteCodeMismatch(AddressBookError):
    """The suite at an address runs code that differs from this release's artifacts."""

    def __init__(self, checks: "tuple[CodeCheck, ...]") -> None:
        self.checks = checks
        bad = [f"{c.name} at {c.address}: {c.reason}" for c in checks if not c.matches]
        super().__init__(
            "the suite's code differs from this release's artifacts: " + "; ".join(bad),
            user_message="not attached: " + "; ".join(bad)
                         + " (a different release of fisco-drugtrace, or not this suite; "
                           "--accept-different-code records it anyway)")


@dataclass(frozen=True)
class CodeCheck:
    """One contract of the suite: where it is and whether its code is the shipped one."""

    name: str
    address: str
    matches: bool
    reason: str = ""


@dataclass(frozen=True)
class Attachment:
    """The result of ``TraceService.attach``: the deployment recorded and what was checked."""

    deployment: Deployment
    checks: tuple[CodeCheck, ...]
    source: str
    #: the suite's root organisation (its national regulator): what a newcomer checks against
    #: what its regulator told it, above all for a suite found in the (unauthenticated) name service
    root_org_id: bytes = b""

    @property
    def differing(self) -> list[str]:
        """Names of the contracts whose code is not this release's."""
        return [c.name for c in self.checks if not c.matches]


def _immutable_slots(code: bytes) -> list[int]:
    """Offsets of ``PUSH32 0`` operands in compiler output (where immutables are written)."""
    slots, i, n = [], 0, len(code)
    while i < n:
        op = code[i]
        if _PUSH1 <= op <= _PUSH32:
            width = op - _PUSH1 + 1
            if op == _PUSH32 and code[i + 1:i + 33] == b"\x00" * 32:
                slots.append(i + 1)
            i += width
        i += 1
    return slots


def code_difference(on_chain: bytes, artifact_runtime: bytes) -> str | None:
    """Why ``on_chain`` is not ``artifact_runtime`` (``None`` when it is, immutables aside)."""
    if not on_chain:
        return "no code at this address"
    if len(on_chain) != len(artifact_runtime):
        return f"runtime code is {len(on_chain)} bytes, the artifact's is {len(artifact_runtime)}"
    if on_chain == artifact_runtime:
        return None
    masked_chain, masked_art = bytearray(on_chain), bytearray(artifact_runtime)
    for at in _immutable_slots(artifact_runtime):
        masked_chain[at:at + 32] = masked_art[at:at + 32]
    if masked_chain == masked_art:
        return None
    first = next(i for i, (a, b) in enumerate(zip(masked_chain, masked_art)) if a != b)
    return f"runtime code differs from the artifact from byte {first}"


def read_linked_suite(client: Any, org_registry: str) -> dict[str, str]:
    """The suite addresses, read from ``OrgRegistry.suite()`` (and ``procurementLedger()``) at ``org_registry``.

    :raises HexError: ``org_registry`` is not an address (bad input: exit 2 in the CLI).
    :raises AddressBookError: no contract there, or an ``OrgRegistry`` that was never linked.
    """
    try:
        address = normalize_address(org_registry)
    except HexError as exc:
        raise HexError(f"not a contract address: {org_registry!r}") from exc
    if not client.get_code(address):
        raise AddressBookError(f"no contract at {address} on this chain and group",
                               user_message=f"no contract at {address} on this chain and group: check the "
                                            "OrgRegistry address you were given (and the group)")
    registry = Contract(client, suite_abi("OrgRegistry"), address)
    try:
        linked = registry.call("suite")
    except Exception as exc:  # a contract that is not an OrgRegistry reverts or answers garbage
        raise AddressBookError(f"{address} does not answer OrgRegistry.suite(): {exc}",
                               user_message=f"{address} is not a drug-trace OrgRegistry") from exc
    addresses = [normalize_address(str(a)) for a in linked]
    if any(a == _ZERO_ADDRESS for a in addresses):
        raise AddressBookError(f"OrgRegistry {address} is not linked to a suite yet",
                               user_message=f"OrgRegistry {address} is not linked to a suite yet "
                                            "(its deployer has not finished `contracts deploy`)")
    found = dict(zip(SUITE_CONTRACTS, [address, *addresses]))
    try:  # issue 17: linked after the suite; a registry deployed before it has no such view
        procurement = normalize_address(str(registry.call("procurementLedger")))
    except Exception:
        procurement = _ZERO_ADDRESS
    if procurement != _ZERO_ADDRESS:
        found["ProcurementLedger"] = procurement
    return found


def attach_suite(client: Any, org_registry: str, *, chain_id: str, group_id: str, source: str = "address",
                 accept_different_code: bool = False, deploy_block: int = 0) -> Attachment:
    """Read, check and describe the suite at ``org_registry`` (recording it is the caller's part).

    ``deploy_block`` is where reading its events starts (the name service's note; 0 = from genesis,
    always correct, slower on a long chain). Nothing scans the chain to find it.

    :raises SuiteCodeMismatch: some contract's code differs and ``accept_different_code`` is unset.
    """
    contracts = read_linked_suite(client, org_registry)
    checks = []
    for name, address in contracts.items():
        reason = code_difference(bytes(client.get_code(address)), load_artifact(name).deployed_bytecode)
        checks.append(CodeCheck(name, address, reason is None, reason or ""))
    found = tuple(checks)
    if not accept_different_code and not all(c.matches for c in found):
        raise SuiteCodeMismatch(found)
    deployment = Deployment(chain_id=str(chain_id), group_id=str(group_id), contracts=contracts,
                            block_number=max(0, int(deploy_block)))
    root = bytes(Contract(client, suite_abi("OrgRegistry"), contracts["OrgRegistry"]).call("rootOrg"))
    return Attachment(deployment, found, source, root)

