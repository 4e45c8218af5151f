"""FISCO BCOS system precompiles on the dev chain: one module per precompile, a registry by address.

See :mod:`.registry` for how the executor reaches them and :mod:`.base` for their state.
"""

from .base import PRECOMPILE_STATUS, address_of
from .bfs import BFS_ADDRESS
from .cns import CNS_ADDRESS
from .registry import PrecompileHost

__all__ = ["PrecompileHost", "PRECOMPILE_STATUS", "BFS_ADDRESS", "CNS_ADDRESS", "address_of"]
