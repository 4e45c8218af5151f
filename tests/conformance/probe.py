"""The Probe test contract (``Probe.sol`` next to this file), compiled once into ``probe.json``.

Rebuild after editing the source::

    cd tests/conformance && ../../node_modules/.bin/solcjs --bin --abi --optimize -o /tmp/probe Probe.sol
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ProbeArtifact", "load_probe", "PROBE_INITIAL"]

#: The constructor argument the suites deploy with.
PROBE_INITIAL = 41


@dataclass(frozen=True)
class ProbeArtifact:
    """Duck-typed like ``contracts.artifacts.Artifact`` (``name``, ``abi``, ``bytecode``)."""

    name: str
    abi: list[dict[str, Any]] = field(repr=False)
    bytecode: bytes = field(repr=False)


def load_probe() -> ProbeArtifact:
    data = json.loads((Path(__file__).with_name("probe.json")).read_text())
    return ProbeArtifact(data["name"], data["abi"], bytes.fromhex(data["bytecode"][2:]))
