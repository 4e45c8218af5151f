"""BFS, the 3.x contract file system at ``0x100e``: ``mkdir``, ``list``, ``link``, ``readlink``, ``touch``.

Read from FISCO-BCOS ``bcos-executor/src/precompiled/BFSPrecompiled.cpp`` (``makeDir``, ``listDir``,
``listDirPage``, ``link``/``linkImpl``, ``linkAdaptCNS``, ``readLink``, ``touch``, ``initBfs``, ``rebuildBfs``,
``recursiveBuildDir``, ``checkPathPrefixValid``), ``precompiled/common/Utilities.cpp``
(``checkPathValid``, ``getParentDirAndBaseName``), ``bcos-tool/BfsFileFactory.cpp`` (the rows of a
directory entry and of a link), ``bcos-framework/executor/PrecompiledTypeDef.h`` (``/sys`` names and
addresses) and the ABI in ``precompiled/solidity/BfsPrecompiled.sol``. The dev chain reports block
version 3.7, so the 3.1+ layout applies: every directory is a table whose rows are its children
(``[type, status, acl_type, acl_white, acl_black, extra]``), every link a table with the rows
``type``, ``link_address``, ``link_abi`` (only when not empty) and ``name`` (the CNS version).

Behaviour kept as the node has it, including its surprises:

* ``link(absolutePath, address, abi)`` resolves the path *under* ``/apps/``: ``"Hello/1.0"`` and
  ``"/Hello/1.0"`` both make ``/apps/Hello/1.0`` (``getContractTableName``), so
  ``"/apps/Hello/1.0"`` makes ``/apps/apps/Hello/1.0``. It does not check the address.
* ``link(name, version, address, abi)`` (the CNS form) refuses an address without a contract and a
  name or version containing ``/`` with -51202, and stores the version in the link's ``name`` row.
* Re-linking an existing link overwrites its address (and its ABI only when one is given).
* ``readlink`` of anything but a link answers the zero address.
* ``mkdir`` only under ``/apps/``, ``/tables/``, ``/usr/`` (-53005 elsewhere), -53002 if it exists.
* Return codes (``precompiled/common/Common.h``): 0, -53001 not exist, -53002 already exist,
  -53003 build dir failed, -53005 invalid path, -53006 invalid type, -51202 address/version error.
"""

from __future__ import annotations

import re

from .base import CallContext, Hasher, Precompile, PrecompiledError, Txn, address_of, encode

__all__ = ["BfsPrecompile", "BFS_ADDRESS", "CODES", "SYS_LINKS"]

BFS_ADDRESS = address_of(0x100E)

CODES = {
    "success": 0, "not_exist": -53001, "already_exist": -53002, "build_dir_failed": -53003,
    "invalid_path": -53005, "invalid_type": -53006, "address_or_version_error": -51202,
}
_OK, _NOT_EXIST, _EXIST, _BUILD_FAILED = 0, -53001, -53002, -53003
_INVALID_PATH, _INVALID_TYPE, _ADDR_OR_VERSION = -53005, -53006, -51202

_TYPE_DIR, _TYPE_CONTRACT, _TYPE_LINK = "directory", "contract", "link"
_APPS_PREFIX = "/apps/"
_PATH_MAX = 128  # FS_PATH_MAX_LENGTH_330 (block version >= 3.3)
_LEVEL_MAX = 6  # FS_PATH_MAX_LEVEL
_LIST_MAX = 500  # USER_TABLE_MAX_LIMIT_COUNT
_ABI_MAX = 16 * 1024 * 1024 - 1  # USER_TABLE_FIELD_VALUE_MAX_LENGTH
_FIELD_RE = re.compile(r"[\w]+[\w\-#@.]*", re.ASCII)  # the 3.2+ regex of checkPathValid

#: ``/sys`` links a 3.7 genesis writes (``BFS_SYS_SUBS`` / ``SYS_NAME_ADDRESS_MAP``).
SYS_LINKS = {
    "status": 0x1000, "table_storage": 0x1001, "table_manager": 0x1002, "consensus": 0x1003,
    "auth": 0x1005, "kv_storage": 0x1009, "crypto_tools": 0x100A, "dag_test": 0x100C, "bfs": 0x100E,
    "group_sig": 0x5004, "ring_sig": 0x5005, "discrete_zkp": 0x5100, "account_manager": 0x10003,
    "cast_tools": 0x100F, "sharding": 0x1010,
}

_INFO = "(string,string,string[])[]"


def _dir_entry(kind: str) -> tuple[str, ...]:
    return (kind, "0", "0", "", "", "")


def path_valid(path: str) -> bool:
    """``checkPathValid`` at block version 3.7."""
    if not path or len(path) > _PATH_MAX:
        return False
    if path == "/":
        return True
    inner = path[1:] if path.startswith("/") else path
    inner = inner[:-1] if inner.endswith("/") else inner
    parts = _split(inner)
    if not parts or len(parts) > _LEVEL_MAX:
        return False
    return all(p and _FIELD_RE.fullmatch(p) for p in parts)


def _split(text: str) -> list[str]:
    """``boost::split(..., is_any_of("/"), token_compress_on)``: a run of ``/`` is one separator."""
    return re.split(r"/+", text)


def parent_and_base(path: str) -> tuple[str, str]:
    """``getParentDirAndBaseName``."""
    if path == "/":
        return "/", "/"
    if path.endswith("/"):
        path = path[:-1]
    index = path.rfind("/")
    parent = path[:index] if index >= 0 else ""
    return (parent or "/"), path[index + 1:]


class BfsPrecompile(Precompile):
    """The BFS precompile (3.x only)."""

    def __init__(self, hasher: Hasher) -> None:
        super().__init__(BFS_ADDRESS, "BFSPrecompiled", hasher)
        self.register("list(string)", self._list)
        self.register("list(string,uint256,uint256)", self._list_page)
        self.register("mkdir(string)", self._mkdir)
        self.register("link(string,string,string,string)", self._link_cns)
        self.register("link(string,string,string)", self._link)
        self.register("readlink(string)", self._readlink)
        self.register("touch(string,string)", self._touch)
        self.register("initBfs()", self._init_bfs)
        self.register("rebuildBfs(uint256,uint256)", self._rebuild_bfs)

    # ------------------------------------------------------------------ genesis
    def genesis(self, txn: Txn) -> None:
        """The tree ``initBfs`` builds: ``/`` with ``apps``, ``usr``, ``tables``, ``sys``; ``/sys`` links."""
        txn.create("/")
        for sub in ("apps", "usr", "tables", "sys"):
            txn.set("/", sub, _dir_entry(_TYPE_DIR))
            txn.create("/" + sub)
        for name, number in SYS_LINKS.items():
            txn.set("/sys", name, _dir_entry(_TYPE_LINK))
            table = "/sys/" + name
            txn.create(table)
            txn.set(table, "type", (_TYPE_LINK,))
            txn.set(table, "link_address", (address_of(number)[2:],))

    # ------------------------------------------------------------------ helpers
    def _build_dirs(self, txn: Txn, directory: str) -> bool:
        """``recursiveBuildDir`` (3.1+): create each missing directory of ``directory``."""
        inner = directory[1:] if directory.startswith("/") else directory
        inner = inner[:-1] if inner.endswith("/") else inner
        if not directory:
            return False
        root = "/"
        for part in _split(inner):
            if not txn.exists(root):
                return False
            new = (root if root == "/" else root + "/") + part
            entry = txn.get(root, part)
            if entry is None:
                txn.set(root, part, _dir_entry(_TYPE_DIR))
                txn.create(new)
            elif entry[0] != _TYPE_DIR:
                return False
            root = new
        return True

    def _touch_file(self, txn: Txn, path: str, kind: str) -> int:
        """``touch`` as called from ``mkdir``/``link`` (``externalTouchNewFile``); its return code."""
        if not path_valid(path):
            return _INVALID_PATH
        if kind not in (_TYPE_DIR, _TYPE_CONTRACT, _TYPE_LINK):
            return _INVALID_TYPE
        if not (path.startswith(_APPS_PREFIX) or path.startswith("/tables/") or path.startswith("/usr/")):
            return _INVALID_PATH
        if kind == _TYPE_DIR:
            parent, base = path, ""
        else:
            parent, base = parent_and_base(path)
        if not self._build_dirs(txn, parent):
            raise PrecompiledError("Recursive build bfs dir error.")
        if kind != _TYPE_DIR:
            txn.set(parent, base, _dir_entry(kind))
        return _OK

    @staticmethod
    def _entry_of(txn: Txn, path: str) -> tuple[str, ...] | None:
        parent, base = parent_and_base(path)
        if base == "/":
            return _dir_entry(_TYPE_DIR)
        return txn.get(parent, base)

    @staticmethod
    def _link_info(txn: Txn, path: str, base: str) -> tuple[str, str, list[str]]:
        address = txn.get(path, "link_address", ("",))[0]
        abi = txn.get(path, "link_abi", ("",))[0]
        return base, _TYPE_LINK, [address, abi]

    # ------------------------------------------------------------------ methods
    def _mkdir(self, txn: Txn, ctx: CallContext, path: str) -> bytes:
        if path.startswith("/shards/"):
            return encode(["int256"], [_BUILD_FAILED])
        if txn.exists(path):
            return encode(["int32"], [_EXIST])
        return encode(["int256"], [self._touch_file(txn, path, _TYPE_DIR)])

    def _init_bfs(self, txn: Txn, ctx: CallContext) -> bytes:
        """``initBfs``: the tree exists since genesis, so nothing to do and no output."""
        return b""

    def _rebuild_bfs(self, txn: Txn, ctx: CallContext, from_version: int, to_version: int) -> bytes:
        """``rebuildBfs``: only SystemConfig may ask (-50000); a 3.7 tree needs no 3.0 -> 3.1 rebuild."""
        if ctx.sender != address_of(0x1000):
            return encode(["int32"], [-50000])
        return encode(["int32"], [_OK])

    def _touch(self, txn: Txn, ctx: CallContext, path: str, kind: str) -> bytes:
        return encode(["int32"], [self._touch_file(txn, path, kind)])

    def _listing(self, txn: Txn, path: str, offset: int, limit: int) -> tuple[int, list, int]:
        """(code, files, rows in the directory) of ``list``."""
        if not path_valid(path):
            return _INVALID_PATH, [], 0
        if not txn.exists(path):
            return _NOT_EXIST, [], 0
        entry = self._entry_of(txn, path)
        if entry is None:  # a table that is no file (a contract's own storage, e.g. /apps/<address>)
            return _NOT_EXIST, [], 0
        _, base = parent_and_base(path)
        if entry[0] == _TYPE_DIR:
            keys = txn.keys(path)
            files = [(k, txn.get(path, k)[0], list(txn.get(path, k)[1:])) for k in keys[offset:offset + limit]]
            return _OK, files, len(keys)
        if entry[0] == _TYPE_LINK:
            return _OK, [self._link_info(txn, path, base)], 1
        return _OK, [(base, _TYPE_CONTRACT, list(entry[1:]))], 1

    def _list(self, txn: Txn, ctx: CallContext, path: str) -> bytes:
        code, files, _ = self._listing(txn, path, 0, _LIST_MAX)
        return encode(["int32", _INFO], [code, files])

    def _list_page(self, txn: Txn, ctx: CallContext, path: str, offset: int, limit: int) -> bytes:
        code, files, total = self._listing(txn, path, offset, limit)
        if code == _OK and limit == len(files) and self._entry_of(txn, path)[0] == _TYPE_DIR:  # type: ignore[index]
            code = total - offset - limit  # "count is full, maybe still left elements"
        return encode(["int256", _INFO], [code, files])

    def _write_link(self, txn: Txn, table: str, address: str, abi: str, version: str = "") -> None:
        """``BfsFileFactory::buildLink`` at block version 3.7."""
        txn.set(table, "type", (_TYPE_LINK,))
        txn.set(table, "link_address", (address,))
        if abi:
            txn.set(table, "link_abi", (abi,))
        if version:
            txn.set(table, "name", (version,))

    def _link(self, txn: Txn, ctx: CallContext, path: str, address: str, abi: str) -> bytes:
        if path.startswith("/shards/"):
            return encode(["int256"], [_INVALID_PATH])
        address = address[2:] if address[:2] in ("0x", "0X") else address
        table = _APPS_PREFIX + (path[1:] if path.startswith("/") else path)
        if not path_valid(table):
            return encode(["int256"], [_INVALID_PATH])
        if txn.exists(table):
            if txn.get(table, "type", ("",))[0] == _TYPE_LINK:
                self._write_link(txn, table, address, abi)
                return encode(["int256"], [_OK])
            return encode(["int256"], [_EXIST])
        if self._touch_file(txn, table, _TYPE_LINK) != _OK:
            return encode(["int256"], [_BUILD_FAILED])
        txn.create(table)
        self._write_link(txn, table, address, abi)
        return encode(["int256"], [_OK])

    def _link_cns(self, txn: Txn, ctx: CallContext, name: str, version: str, address: str, abi: str) -> bytes:
        address = address[2:] if address[:2] in ("0x", "0X") else address
        name, version = name.strip(), version.strip()
        valid = _OK
        if not ctx.code_exists("0x" + address) or len(address) != 40 or address != address.lower():
            valid = _ADDR_OR_VERSION
        elif "/" in version or "/" in name:
            valid = _ADDR_OR_VERSION
        elif len(abi.encode()) > _ABI_MAX:
            raise PrecompiledError("abi too long")
        table = _APPS_PREFIX + name + "/" + version
        if valid < 0 or not path_valid(table):
            return encode(["int32"], [valid if valid < 0 else _INVALID_PATH])
        table = table.rstrip("/") if version == "" else table
        if txn.exists(table):
            if txn.get(table, "type", ("",))[0] == _TYPE_LINK:
                txn.set(table, "link_address", (address,))
                txn.set(table, "link_abi", (abi,))
                return encode(["int32"], [_OK])
            return encode(["int32"], [_EXIST])
        if self._touch_file(txn, table, _TYPE_LINK) != _OK:
            return encode(["int32"], [_BUILD_FAILED])
        txn.create(table)
        self._write_link(txn, table, address, abi, version)
        return encode(["int32"], [_OK])

    def _readlink(self, txn: Txn, ctx: CallContext, path: str) -> bytes:
        zero = "0x" + "00" * 20
        if txn.exists(path) and txn.get(path, "type", ("",))[0] == _TYPE_LINK:
            stored = txn.get(path, "link_address", ("",))[0]
            text = stored[2:] if stored[:2] in ("0x", "0X") else stored
            if re.fullmatch(r"[0-9a-fA-F]{40}", text):
                return encode(["address"], ["0x" + text.lower()])
        return encode(["address"], [zero])
