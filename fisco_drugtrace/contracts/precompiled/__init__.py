"""Typed bindings for FISCO BCOS system precompiles (the Java SDK's ``contract/precompiled`` and
``AuthManager`` are the peers): BFS (3.x), CNS (2.x)."""

from .bfs import BFS_ADDRESS, Bfs, BfsEntry
from .cns import CNS_ADDRESS, Cns, CnsEntry

__all__ = ["Bfs", "BfsEntry", "BFS_ADDRESS", "Cns", "CnsEntry", "CNS_ADDRESS"]
