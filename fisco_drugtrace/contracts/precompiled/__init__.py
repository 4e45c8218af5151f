"""Typed bindings for FISCO BCOS system precompiles (the Java SDK's ``contract/precompiled`` and
``AuthManager`` are the peers): BFS (3.x), CNS (2.x), SystemConfig and Consensus (both), and the
3.x permission governance (:class:`AuthManager`)."""

from .auth import (
    AccessStatus, AuthManager, AuthType, CommitteeInfo, MethodAuth, ProposalInfo, ProposalStatus, ProposalType,
)
from .bfs import BFS_ADDRESS, Bfs, BfsEntry
from .cns import CNS_ADDRESS, Cns, CnsEntry
from .consensus import CONSENSUS_ADDRESS, Consensus
from .sysconfig import SYS_CONFIG_ADDRESS, SystemConfig

__all__ = ["Bfs", "BfsEntry", "BFS_ADDRESS", "Cns", "CnsEntry", "CNS_ADDRESS", "SystemConfig",
           "SYS_CONFIG_ADDRESS", "Consensus", "CONSENSUS_ADDRESS", "AuthManager", "AuthType", "AccessStatus",
           "ProposalType", "ProposalStatus", "ProposalInfo", "CommitteeInfo", "MethodAuth"]
