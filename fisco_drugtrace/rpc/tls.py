"""FISCO BCOS mutual TLS for the SDK: the certificate set and the client SSL context."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from fisco_drugtrace.errors import ConfigError

__all__ = ["TlsFiles", "build_ssl_context", "system_ssl_context"]


@dataclass(frozen=True)
class TlsFiles:
    """The SDK certificate set of a node (build_chain's ``sdk/`` folder)."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def from_sdk_dir(cls, sdk_dir: str | Path) -> "TlsFiles":
        """``ca.crt``, ``sdk.crt`` and ``sdk.key`` inside ``sdk_dir``."""
        folder = Path(sdk_dir)
        return cls(ca=folder / "ca.crt", cert=folder / "sdk.crt", key=folder / "sdk.key")


def build_ssl_context(tls: TlsFiles) -> ssl.SSLContext:
    """A client context for FISCO's mutual TLS: TLS >= 1.2, CA-verified, no host-name check
    (node certificates carry no host name; see build_chain.sh's ``sdk/`` certificates)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # node certificates carry no host name
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        context.load_verify_locations(cafile=str(tls.ca))
        context.load_cert_chain(certfile=str(tls.cert), keyfile=str(tls.key))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS files (ca={tls.ca}, cert={tls.cert}, key={tls.key}): {exc}") from exc
    return context


def system_ssl_context() -> ssl.SSLContext:
    """For an ``https`` URL without SDK certificates: the system trust store, host names checked
    (a node behind a publicly trusted proxy)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
