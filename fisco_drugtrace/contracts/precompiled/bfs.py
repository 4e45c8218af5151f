"""BFS, the FISCO BCOS 3.x contract file system (precompile ``0x100e``).

Peer: the Java SDK's ``contract/precompiled/bfs/BFSService.java`` (``mkdir``, ``list``, ``link``
in both forms, ``readlink``). ABI from FISCO-BCOS ``bcos-executor/src/precompiled/solidity/
BfsPrecompiled.sol``; return codes from ``precompiled/common/Common.h``.

Paths: the node's ``link(absolutePath, ...)`` resolves its path under ``/apps/`` (``"Hello/1"`` is
``/apps/Hello/1``). :meth:`Bfs.link` accepts ``/apps/Hello/1`` too and strips the ``/apps/``
prefix, so what you link is what :meth:`Bfs.readlink` and :meth:`Bfs.list` find at that path.
"""

from __future__ import annotations

from dataclasses import dataclass

from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.errors import ContractError
from fisco_drugtrace.types import Dialect

from ._common import ZERO_ADDRESS, PrecompiledContract, fn

__all__ = ["Bfs", "BfsEntry", "BFS_ADDRESS", "BFS_CODES"]

BFS_ADDRESS = "0x000000000000000000000000000000000000100e"

BFS_CODES = {
    -53001: "file does not exist", -53002: "file already exists", -53003: "cannot build the directory",
    -53005: "invalid path", -53006: "invalid file type", -53007: "count error",
    -51202: "address or version error",
}

_INFO = {"name": "files", "type": "tuple[]", "components": [
    {"name": "file_name", "type": "string"}, {"name": "file_type", "type": "string"},
    {"name": "ext", "type": "string[]"}]}

_ABI = [
    fn("list", ["string"], ["int32", _INFO], "view"),
    fn("list", ["string", "uint256", "uint256"], ["int256", _INFO], "view"),
    fn("mkdir", ["string"], ["int32"]),
    fn("link", ["string", "string", "string"], ["int256"]),
    fn("link", ["string", "string", "string", "string"], ["int32"]),
    fn("readlink", ["string"], ["address"], "view"),
    fn("touch", ["string", "string"], ["int32"]),
]


@dataclass(frozen=True)
class BfsEntry:
    """One file in a listing: ``type`` is ``directory``, ``link`` or ``contract``; for a link
    listed by its own path ``ext`` is ``[address, abi]``."""

    name: str
    type: str
    ext: tuple[str, ...] = ()

    @property
    def link_address(self) -> str | None:
        """The address a link points at (when this entry is a link listed by its own path)."""
        if self.type == "link" and self.ext and len(self.ext[0].removeprefix("0x")) == 40:
            return normalize_address(self.ext[0])
        return None


def _under_apps(path: str) -> str:
    if path == "/apps" or path == "/apps/":
        raise ContractError("link needs a path below /apps/, e.g. /apps/DrugTrace/OrgRegistry")
    return path.removeprefix("/apps/").lstrip("/")


class Bfs(PrecompiledContract):
    """``Bfs(client, signer).link("/apps/DrugTrace/OrgRegistry", address)``, ``.readlink(path)``, ``.list(path)``."""

    ADDRESS = BFS_ADDRESS
    NAME = "BFS"
    ABI = _ABI
    DIALECTS = (Dialect.V3,)
    CODES = BFS_CODES

    def mkdir(self, path: str) -> None:
        """Create ``path`` and any missing parents (only under /apps/, /tables/, /usr/).

        :raises PrecompiledCallError: -53002 it exists, -53005 invalid path, ...
        """
        self._check(f"mkdir {path}", int(self._transact("mkdir", path)))

    def link(self, path: str, address: str, abi: str = "") -> None:
        """Point the link ``path`` (``/apps/...``) at ``address``; an existing link is overwritten."""
        self._check(f"link {path}", int(self._transact("link(string,string,string)", _under_apps(path),
                                                        normalize_address(address), abi)))

    def link_version(self, name: str, version: str, address: str, abi: str = "") -> None:
        """The CNS-compatible form: ``/apps/<name>/<version>``; the node checks a contract is there."""
        self._check(f"link {name} {version}", int(self._transact(
            "link(string,string,string,string)", name, version, normalize_address(address), abi)))

    def readlink(self, path: str) -> str | None:
        """The address the link at ``path`` points at, or ``None`` (no link there)."""
        address = normalize_address(self._call("readlink", path))
        return None if address == ZERO_ADDRESS else address

    def list(self, path: str, offset: int = 0, limit: int = 500) -> list[BfsEntry]:
        """The files in directory ``path`` (or the link/contract at ``path`` itself).

        :raises PrecompiledCallError: -53001 no such file, -53005 invalid path.
        """
        code, files = self._call("list(string,uint256,uint256)", path, offset, limit)
        self._check(f"list {path}", int(code), ok_positive=True)
        return [_entry(f) for f in files]


def _entry(raw: object) -> BfsEntry:
    if isinstance(raw, dict):
        return BfsEntry(raw["file_name"], raw["file_type"], tuple(raw["ext"]))
    name, kind, ext = raw  # type: ignore[misc]
    return BfsEntry(name, kind, tuple(ext))
