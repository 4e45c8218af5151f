"""Finding a deployed suite without being given its address: the chain's own name service.

The deployer publishes the suite's ``OrgRegistry`` in the chain's name service, under the
application name :data:`NAME_SERVICE_APP` and a version naming this release's contracts
(:func:`suite_version`, from the compiled sources' hash):

- FISCO BCOS 3.x: a BFS link ``/apps/fisco-drugtrace/<version>`` (precompile 0x100e, ``link(name,
  version, address, abi)``, the CNS-compatible form, which the node puts under ``/apps/<name>/
  <version>``: FISCO-BCOS bcos-executor/src/precompiled/BFSPrecompiled.cpp);
- FISCO BCOS 2.x: a CNS record ``fisco-drugtrace`` / ``<version>`` (precompile 0x1004).

``contracts attach`` with no address reads it back. The name service is not authenticated — on a
chain without governance any account may link a path, and on 3.x a link is overwritten by the
next one — so a deploy never takes over a path that names another root's live suite
(:func:`published_org_registry`, :func:`held_by_another_root`), and ``attach`` reports the root
organisation of what it found, for the newcomer to check against what its regulator told it. Another version published there (a suite of a
different release) is named, not taken: its code would not match this release's artifacts.
The record's ABI field carries ``{"fisco-drugtrace": {"deploy_block": N}}`` — not an ABI, but the
one place a link has for a note: the block the suite was deployed in, where a newcomer's event
reading starts (without it, from block 0).
"""

from __future__ import annotations

import json
from typing import Any

from fisco_drugtrace.errors import AddressBookError, DrugTraceError
from fisco_drugtrace.types import Dialect
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["NAME_SERVICE_APP", "suite_version", "name_service_path", "publish_suite", "discover_org_registry",
           "published_org_registry", "held_by_another_root"]

#: the application's directory in BFS (``/apps/<app>/<version>``) and its CNS contract name
NAME_SERVICE_APP = "fisco-drugtrace"


def suite_version() -> str:
    """This release's suite version in the name service: ``suite-`` + 16 hex of the sources' hash."""
    from fisco_drugtrace.contracts.artifacts import load_manifest

    return "suite-" + str(load_manifest().source_hash).removeprefix("0x")[:16]


def name_service_path(dialect: Dialect, version: str | None = None) -> str:
    """Where the suite is published: ``/apps/fisco-drugtrace/<version>`` (BFS) or ``cns:fisco-drugtrace/<version>``."""
    version = version or suite_version()
    return f"/apps/{NAME_SERVICE_APP}/{version}" if dialect is Dialect.V3 else f"cns:{NAME_SERVICE_APP}/{version}"


def _note(deploy_block: int) -> str:
    return json.dumps({NAME_SERVICE_APP: {"deploy_block": int(deploy_block)}}, separators=(",", ":"))


def _deploy_block(note: str) -> int:
    try:
        value = load_json(note)[NAME_SERVICE_APP]["deploy_block"]
    except (ValueError, KeyError, TypeError):
        return 0
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def publish_suite(client: Any, signer: Any, org_registry: str, deploy_block: int = 0) -> str:
    """Publish ``org_registry`` in the chain's name service; returns where (see :func:`name_service_path`).

    :raises DrugTraceError: the node refused (e.g. no permission on a chain with governance).
    """
    version = suite_version()
    if client.dialect is Dialect.V3:
        from fisco_drugtrace.contracts.precompiled import Bfs

        Bfs(client, signer).link_version(NAME_SERVICE_APP, version, org_registry, _note(deploy_block))
    else:
        from fisco_drugtrace.contracts.precompiled import Cns

        Cns(client, signer).insert(NAME_SERVICE_APP, version, org_registry, _note(deploy_block))
    return name_service_path(client.dialect, version)


def published_org_registry(client: Any) -> str | None:
    """The ``OrgRegistry`` this release's path names now (``None``: nothing published yet).

    :raises DrugTraceError: the name service could not be read.
    """
    return _lookup(client, suite_version())[0]


def held_by_another_root(client: Any, org_registry: str, account: str) -> bool:
    """Whether ``org_registry`` is a live suite whose root organisation ``account`` does not act
    for (then publishing another suite over its name would hijack other organisations' discovery).
    A link to nothing, or to something that is not an ``OrgRegistry``, is held by no one."""
    from fisco_drugtrace.contracts.binding import Contract
    from fisco_drugtrace.drugtrace.suite import suite_abi

    try:
        if not client.get_code(org_registry):
            return False
        registry = Contract(client, suite_abi("OrgRegistry"), org_registry)
        root = bytes(registry.call("rootOrg"))
        mine = bytes(registry.call("orgOf", account))
    except DrugTraceError:
        return False
    return root != bytes(32) and mine != root


def discover_org_registry(client: Any) -> tuple[str, str, int]:
    """``(address, where, deploy block)`` of the ``OrgRegistry`` this release's suite published here.

    :raises AddressBookError: nothing (of this release) is published on this chain and group.
    """
    version = suite_version()
    where = name_service_path(client.dialect, version)
    try:
        found, others, block = _lookup(client, version)
    except DrugTraceError as exc:
        raise AddressBookError(f"the chain's name service could not be read: {exc}",
                               user_message=f"the chain's name service could not be read ({exc}); give the "
                                            "suite's OrgRegistry address: `fisco-drugtrace contracts attach 0x…`"
                               ) from exc
    if found is not None:
        return found, where, block
    if others:
        raise AddressBookError(
            f"no suite of this release ({version}) in the name service; found {', '.join(others)}",
            user_message=f"the name service lists a drug-trace suite of another release ({', '.join(others)}), "
                         f"not this one ({version}): attach it by address with `fisco-drugtrace contracts attach "
                         "0x…` (its code will be compared) or use the matching fisco-drugtrace release")
    raise AddressBookError(
        f"no OrgRegistry address given and none published at {where}",
        user_message=f"no drug-trace suite is published at {where} on this chain: give the suite's OrgRegistry "
                     "address (`fisco-drugtrace contracts attach 0x…`, or [suite] org_registry in the settings / "
                     "$FISCO_ORG_REGISTRY); ask the deployer for it")


def _lookup(client: Any, version: str) -> tuple[str | None, list[str], int]:
    if client.dialect is Dialect.V3:
        from fisco_drugtrace.contracts.precompiled import Bfs
        from fisco_drugtrace.errors import PrecompiledCallError

        bfs = Bfs(client)
        path = f"/apps/{NAME_SERVICE_APP}/{version}"
        found = bfs.readlink(path)
        if found is not None:
            try:
                link = bfs.list(path)
            except PrecompiledCallError:
                link = []
            note = link[0].ext[1] if link and len(link[0].ext) > 1 else ""
            return found, [], _deploy_block(note)
        try:
            entries = bfs.list(f"/apps/{NAME_SERVICE_APP}")
        except PrecompiledCallError:  # no such directory: nothing published at all
            return None, [], 0
        return None, sorted(e.name for e in entries), 0
    from fisco_drugtrace.contracts.precompiled import Cns

    rows = Cns(client).select(NAME_SERVICE_APP)
    mine = [r for r in rows if r.version == version]
    if mine:
        return mine[-1].address, [], _deploy_block(mine[-1].abi)
    return None, sorted({r.version for r in rows}), 0
