"""Shared set-up for the push tests: a dev chain served over real sockets in either dialect, a
push client (ws:// or channel://) and a polling client (http://) on it, and the Probe contract."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from fisco_drugtrace import Contract, LocalSigner, Settings, connect
from fisco_drugtrace.client import FiscoClient
from fisco_drugtrace.config import TlsPaths
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, ensure_certificates, serve
from fisco_drugtrace.devchain.channel_server import channel_tls, serve_channel
from fisco_drugtrace.types import Dialect, Log

from tests.conformance.probe import PROBE_INITIAL, load_probe

SIGNERS = [LocalSigner(k) for k in dev_keypairs(4)]


@dataclass
class Served:
    chain: DevChain
    push: FiscoClient
    poll: FiscoClient
    push_url: str
    http_url: str
    settings: Settings

    def client(self, url: str | None = None) -> FiscoClient:
        """Another client (another process's view) on the push URL or ``url``."""
        from dataclasses import replace

        return connect(replace(self.settings, urls=(url or self.push_url,)))


@contextmanager
def served(dialect: str, tls_dir: Path | None = None, data_dir: Path | None = None,
           front: str = "thread") -> Iterator[Served]:
    """``front``: the HTTP front serving the RPC port (``"loop"``: :mod:`.frontloop`)."""
    d = Dialect(dialect)
    chain = DevChain(DevChainConfig(dialect=d, data_dir=data_dir))
    material = ensure_certificates(tls_dir) if tls_dir is not None else None
    http = serve(chain, port=0, tls=material.server if material else None, front=front)
    stops = [http.stop]
    if d is Dialect.V3:
        push_url = http.url.replace("http", "ws", 1)
    else:
        channel = serve_channel(chain, port=0, tls=channel_tls(material) if material else None)
        stops.append(channel.stop)
        push_url = channel.url.replace("channel://", "channels://") if material else channel.url
    tls = TlsPaths(material.sdk_ca, material.sdk_cert, material.sdk_key) if material else None
    settings = Settings(urls=(push_url,), dialect=d, group="group0" if d is Dialect.V3 else 1, tls=tls)
    push = connect(settings)
    poll = connect(Settings(urls=(http.url,), dialect=d, group=settings.group, tls=tls))
    try:
        yield Served(chain, push, poll, push_url, http.url, settings)
    finally:
        push.close()
        poll.close()
        for stop in reversed(stops):
            stop()
        chain.close()


def deploy_probe(client: FiscoClient) -> Contract:
    return Contract.deploy(client, load_probe(), PROBE_INITIAL, signer=SIGNERS[0])


def store_from_senders(probe: Contract, count: int, senders: int = 4, base: int = 0) -> None:
    """``count`` ``tag`` transactions (each emits one anonymous ``Tagged`` whose topic is its number),
    split over ``senders`` threads with their own keys."""
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(worker, count, senders):
                probe.transact("tag", (base + n).to_bytes(32, "big"), f"tx{base + n}",
                               signer=SIGNERS[worker % len(SIGNERS)])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def collect(sub: Any, count: int, timeout: float = 30.0) -> list[Any]:
    """The next ``count`` events of a subscription (fails when one takes longer than ``timeout``)."""
    out = []
    while len(out) < count:
        event = sub.get(timeout=timeout)
        assert event is not None, f"only {len(out)} of {count} events arrived"
        out.append(event)
    return out


def key(log: Log) -> tuple[Any, ...]:
    """What makes an event the same event whichever way it was read."""
    return (log.block_number, log.transaction_hash, log.transaction_index, log.address, log.topics, log.data)


def stored_value(probe: Contract, log: Log) -> int:
    """The number a ``tag`` transaction carried (its event's only topic)."""
    assert log.address == probe.address
    return int.from_bytes(log.topics[0], "big")
