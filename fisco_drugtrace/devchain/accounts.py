"""Deterministic dev accounts: the same keys on every dev chain, written as V3 keystores.

Key ``i`` is ``H("fisco-drugtrace devchain account <i>")`` with the chain's hash, so tests,
demos and scripts can rely on fixed addresses. FISCO chains have no native coin (gas is not
charged), so every account can transact without funding. The keystores use the ``fast`` KDF and
the documented password :data:`DEV_PASSWORD` — these keys protect nothing; never use them on a
real chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.crypto.keystore import AccountStore
from fisco_drugtrace.crypto.suite import CryptoSuite
from fisco_drugtrace.errors import InvalidKeyError

__all__ = ["DEV_PASSWORD", "DEV_ACCOUNT_COUNT", "DevAccount", "dev_keypairs", "write_dev_keystores",
           "read_dev_accounts"]

#: The password of every dev-account keystore (documented, deliberately public).
DEV_PASSWORD = "devchain"
DEV_ACCOUNT_COUNT = 10
_SEED = "fisco-drugtrace devchain account "


@dataclass(frozen=True)
class DevAccount:
    """A dev account: its keystore name (``dev0`` ...), address and keystore file."""

    name: str
    address: str
    keystore: str


def dev_keypairs(count: int = DEV_ACCOUNT_COUNT, suite: CryptoSuite = ECDSA) -> list[KeyPair]:
    """The first ``count`` deterministic dev key pairs."""
    pairs = []
    for index in range(count):
        candidate = suite.hash((_SEED + str(index)).encode())
        while True:
            try:
                pairs.append(KeyPair.from_private_key(candidate, suite))
                break
            except InvalidKeyError:  # pragma: no cover - probability ~2^-128
                candidate = suite.hash(candidate)
    return pairs


def write_dev_keystores(directory: Path, count: int = DEV_ACCOUNT_COUNT, suite: CryptoSuite = ECDSA) -> list[DevAccount]:
    """Write (or reuse) keystores ``dev0.json`` ... in ``directory``, encrypted with :data:`DEV_PASSWORD`."""
    store = AccountStore(directory, suite, kdf="fast")
    existing = {info.name: info for info in store.list()}
    accounts = []
    for index, pair in enumerate(dev_keypairs(count, suite)):
        name = f"dev{index}"
        info = existing.get(name)
        if info is None or info.address != pair.address:
            if info is not None:
                Path(info.path).unlink()
            info = store.add(name, pair, DEV_PASSWORD)
        accounts.append(DevAccount(name, pair.address, info.path))
    return accounts


def read_dev_accounts(directory: Path, count: int = DEV_ACCOUNT_COUNT, suite: CryptoSuite = ECDSA) -> list[DevAccount]:
    """The dev accounts whose keystores ``dev0.json`` ... another process wrote in ``directory``.

    Read-only (nothing is decrypted or written): a keystore is listed only when its address is the
    deterministic dev address of its index, so a stray or replaced file is never shown as a dev account.
    """
    if not directory.is_dir():
        return []
    existing = {info.name: info for info in AccountStore(directory, suite, kdf="fast").list()}
    accounts = []
    for index, pair in enumerate(dev_keypairs(count, suite)):
        info = existing.get(f"dev{index}")
        if info is not None and info.address == pair.address:
            accounts.append(DevAccount(info.name, pair.address, info.path))
    return accounts
