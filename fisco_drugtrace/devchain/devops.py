"""State edits made by test controls (set code, set storage), kept so a replay reproduces them.

The EVM state is rebuilt by re-executing stored transactions (see :mod:`.chain`); an edit that
no transaction made would be lost on a restart or a revert. So each edit is recorded with the
head block it was made after, stored in the data dir's ``meta`` (key ``dev_ops``, JSON), and
applied again after that block during a replay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .evm import Executor

__all__ = ["DevOp", "dump_ops", "load_ops", "META_KEY"]

META_KEY = "dev_ops"


@dataclass(frozen=True, slots=True)
class DevOp:
    """One edit: ``kind`` ``"code"`` (``value`` = code hex) or ``"storage"`` (``slot``/``value`` ints),
    made when the head was block ``after``."""

    after: int
    kind: str
    address: str
    slot: int = 0
    value: str = ""

    def apply(self, executor: Executor) -> None:
        if self.kind == "code":
            executor.set_code(self.address, bytes.fromhex(self.value))
        else:
            executor.set_storage(self.address, self.slot, int(self.value, 16))


def dump_ops(ops: list[DevOp]) -> str:
    return json.dumps([[o.after, o.kind, o.address, o.slot, o.value] for o in ops])


def load_ops(text: str | None) -> list[DevOp]:
    if not text:
        return []
    return [DevOp(int(a), str(k), str(addr), int(slot), str(v)) for a, k, addr, slot, v in json.loads(text)]
