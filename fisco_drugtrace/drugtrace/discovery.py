"""Finding a deployed suite without being given its address: the chain's own name service.

The deployer publishes the suite's ``OrgRegistry`` under :data:`NAME_SERVICE_PATH`; a newcomer's
``contracts attach`` with no address reads it back. Until the name-service bindings are present
(FISCO BCOS 3.x BFS at 0x100e, 2.x CNS at 0x1004) discovery says how to attach by address.
"""

from __future__ import annotations

from typing import Any

from fisco_drugtrace.errors import AddressBookError

__all__ = ["discover_org_registry", "NAME_SERVICE_APP"]

#: the application's directory in BFS (``/apps/<app>/<version>``) and its CNS contract name
NAME_SERVICE_APP = "fisco-drugtrace"


def discover_org_registry(client: Any) -> tuple[str, str]:
    """``(address, "bfs"|"cns")`` of the published ``OrgRegistry``.

    :raises AddressBookError: nothing is published on this chain and group.
    """
    raise AddressBookError(
        "no OrgRegistry address given and none is published in this chain's name service",
        user_message="give the suite's OrgRegistry address: `fisco-drugtrace contracts attach 0x…` (or set "
                     "[suite] org_registry in the settings / $FISCO_ORG_REGISTRY); ask the deployer for it")
