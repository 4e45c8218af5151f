"""Where the contract suite lives, per chain and group (JSON under the settings' home dir).

One file, ``addressbook.json``::

    {"version": 1,
     "deployments": {"<chain_id>/<group_id>": {"contracts": {"DrugRegistry": "0x..", ...},
                                               "block_number": 3, "deployer": "0x..",
                                               "deployed_ms": 1700000000000}}}

Writes are atomic (temporary file + ``os.replace``) so a crash never leaves half a book.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fisco_drugtrace.errors import AddressBookError
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["AddressBook", "Deployment", "deployment_key"]

_VERSION = 1


def deployment_key(chain_id: str | int, group_id: str | int) -> str:
    """The book's key for a chain and group."""
    return f"{chain_id}/{group_id}"


@dataclass(frozen=True)
class Deployment:
    """The addresses of one deployed suite on one chain and group."""

    chain_id: str
    group_id: str
    contracts: Mapping[str, str] = field(default_factory=dict)
    block_number: int = 0
    deployer: str = ""
    deployed_ms: int = 0
    #: where the deployer published the suite in the chain's name service ("" = not published)
    name_service: str = ""
    #: the block of the deploy's last transaction (linkSuite): the deploy spans block_number..this
    last_block_number: int = 0

    def address(self, name: str) -> str:
        """The address of contract ``name``; ``AddressBookError`` when the suite lacks it."""
        try:
            return self.contracts[name]
        except KeyError:
            raise AddressBookError(
                f"no address for {name} on chain {self.chain_id} group {self.group_id}"
            ) from None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"contracts": dict(self.contracts), "block_number": self.block_number,
                               "last_block_number": self.last_block_number,
                               "deployer": self.deployer, "deployed_ms": self.deployed_ms}
        if self.name_service:
            out["name_service"] = self.name_service
        return out


class AddressBook:
    """The JSON address book at ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_home(cls, home: str | Path) -> "AddressBook":
        return cls(Path(home) / "addressbook.json")

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"version": _VERSION, "deployments": {}}
        try:
            data = load_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AddressBookError(f"address book {self.path} is unreadable: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("deployments"), dict):
            raise AddressBookError(f"address book {self.path} has no 'deployments' table")
        return data

    def get(self, chain_id: str | int, group_id: str | int) -> Deployment:
        """The deployment for a chain/group; ``AddressBookError`` when there is none."""
        found = self.find(chain_id, group_id)
        if found is None:
            raise AddressBookError(
                f"no drug-trace suite recorded for chain {chain_id} group {group_id} in {self.path}",
                user_message=f"no drug-trace suite is recorded in this home for chain {chain_id} group "
                             f"{group_id}: join the deployment with `fisco-drugtrace contracts attach "
                             "[ORG_REGISTRY_ADDRESS]` (the address its deployer published; none needed when "
                             "it is in the chain's name service)",
            )
        return found

    def find(self, chain_id: str | int, group_id: str | int) -> Deployment | None:
        entry = self._read()["deployments"].get(deployment_key(chain_id, group_id))
        if entry is None:
            return None
        try:
            return Deployment(
                chain_id=str(chain_id), group_id=str(group_id),
                contracts={str(k): str(v) for k, v in entry["contracts"].items()},
                block_number=int(entry.get("block_number", 0)), deployer=str(entry.get("deployer", "")),
                deployed_ms=int(entry.get("deployed_ms", 0)), name_service=str(entry.get("name_service", "")),
                last_block_number=int(entry.get("last_block_number", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AddressBookError(f"address book entry {deployment_key(chain_id, group_id)} is malformed") from exc

    def put(self, deployment: Deployment) -> None:
        """Record (or replace) a deployment, atomically."""
        data = self._read()
        data["deployments"][deployment_key(deployment.chain_id, deployment.group_id)] = deployment.to_json()
        self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        data["version"] = _VERSION
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".addressbook.", dir=str(self.path.parent))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def labels(self, chain_id: str | int, group_id: str | int) -> dict[str, str]:
        """Display names of organisations on a chain/group (0x-hex org id -> name); local only."""
        data = self._read().get("labels", {})
        return dict(data.get(deployment_key(chain_id, group_id), {}))

    def set_label(self, chain_id: str | int, group_id: str | int, org_id_hex: str, name: str) -> None:
        """Remember a display name for an organisation (the chain keeps only its id)."""
        data = self._read()
        data.setdefault("labels", {}).setdefault(deployment_key(chain_id, group_id), {})[org_id_hex.lower()] = name
        self._write(data)

    def all(self) -> list[Deployment]:
        out = []
        for key in self._read()["deployments"]:
            chain, _, group = key.partition("/")
            found = self.find(chain, group)
            if found is not None:
                out.append(found)
        return out
