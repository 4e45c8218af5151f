"""Hashing as the chain's contracts hash, and the signer-suite check.

On a FISCO BCOS ``sm_crypto`` chain the EVM's ``KECCAK256`` opcode is not Keccak: the 3.x
executor hands evmone a host ``hash_fn`` that calls the chain's hash implementation, SM3 on such
a chain (FISCO-BCOS bcos-executor/src/vm/HostContext.cpp, ``evm_hash_fn`` and ``hash_fn =
evm_hash_fn``). So every ``keccak256(...)`` in the suite's Solidity — product and batch ids, unit
leaves, Merkle nodes — is SM3 there, and the service must derive them off chain the same way.
Which one is learnt from the node through the client's ``chain_crypto_suite()``: a 3.x node reports
``smCryptoType`` in ``getGroupInfo``; a 2.x node names a guomi build in ``getClientVersion``'s
"FISCO-BCOS Version" (``"2.9.1 gm"``). A node that says neither is hashed as Keccak and no signer is
refused on its account.
Organisation ids, evidence and manifest hashes are computed off chain only and never recomputed
by a contract: they stay keccak256 on every chain, so they are the same everywhere.
"""

from __future__ import annotations

from typing import Any, Callable

from fisco_drugtrace.crypto.keccak import keccak256
from fisco_drugtrace.crypto.sm import sm3
from fisco_drugtrace.errors import SignerSuiteMismatch

__all__ = ["chain_uses_sm", "chain_hasher", "hash_name", "check_signer_suite"]

Hasher = Callable[[bytes], bytes]


def chain_uses_sm(client: Any) -> bool | None:
    """Whether the node says its chain runs sm_crypto (3.x and 2.x dialects alike, through the
    client's ``chain_crypto_suite``); ``None`` when the node cannot say."""
    probe = getattr(client, "uses_sm_crypto", None)
    if callable(probe):  # a client (or a test double) that answers the question directly
        return bool(probe())
    suite = getattr(client, "chain_crypto_suite", None)
    if callable(suite):
        name = suite()
        return None if name is None else str(name).startswith("sm2")
    return None


def chain_hasher(client: Any) -> Hasher:
    """The hash the chain's EVM computes for ``keccak256``: SM3 on sm_crypto chains, else Keccak-256."""
    return sm3 if chain_uses_sm(client) else keccak256


def hash_name(hasher: Hasher) -> str:
    return "sm3" if hasher is sm3 else "keccak256"


def check_signer_suite(client: Any, signer: Any) -> None:
    """Refuse, before anything is sent, a signer whose crypto suite is not the chain's (an ECDSA
    key on an sm_crypto chain or the reverse: the node would reject every transaction).

    :raises SignerSuiteMismatch: naming both suites.
    """
    if signer is None:
        return
    sm = chain_uses_sm(client)
    if sm is None:  # the node does not report its suite: nothing to compare with
        return
    wanted = "sm2_sm3" if sm else "ecdsa_secp256k1"
    have = str(getattr(getattr(signer, "suite", None), "name", "") or "")
    if have and have != wanted:
        raise SignerSuiteMismatch(have, wanted, str(getattr(signer, "address", "") or ""))
