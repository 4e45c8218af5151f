"""Property: FailoverTransport's rotation. For any pattern of healthy and failing nodes it asks
nodes in order from the preferred one, each at most once per send, returns the first good
answer and prefers that node from then on; when all fail it names every failure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.errors import BadResponseError, ConnectError, RequestTimeout, TlsError, TransportError
from fisco_drugtrace.rpc import FailoverTransport

_FAILURES = [ConnectError, RequestTimeout, TlsError, BadResponseError]


class _Node:
    def __init__(self, index: int) -> None:
        self.index = index
        self.failure: type[TransportError] | None = None
        self.asked: list[float | None] = []

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        self.asked.append(timeout)
        if self.failure is not None:
            raise self.failure(f"node {self.index} failed", url=f"fake://{self.index}")
        return b"answer from %d" % self.index

    def close(self) -> None:
        return None


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=5).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.lists(st.sampled_from([None, *_FAILURES]), min_size=n, max_size=n),
                                             min_size=1, max_size=6))))
def test_rotation(case: tuple[int, list[list[type[TransportError] | None]]]) -> None:
    count, rounds = case
    nodes = [_Node(i) for i in range(count)]
    failover = FailoverTransport(nodes, timeout=10.0)
    preferred = 0
    for pattern in rounds:
        for node, failure in zip(nodes, pattern):
            node.failure = failure
            node.asked.clear()
        order = [(preferred + step) % count for step in range(count)]
        healthy = [i for i in order if pattern[i] is None]
        try:
            answer = failover.send(b"{}")
        except TransportError as exc:
            assert not healthy
            assert all(len(node.asked) == 1 for node in nodes)
            assert type(exc) is pattern[order[-1]]  # the last failure's type
            if count > 1:
                assert all(f"node {i} failed" in str(exc) for i in range(count))
            continue
        first = healthy[0]
        assert answer == b"answer from %d" % first
        asked = [i for i in order if nodes[i].asked]
        assert asked == order[:order.index(first) + 1]  # in order, each once, none after the answer
        assert all(len(nodes[i].asked) == 1 for i in asked)
        assert all(t is not None and 0 < t <= 10.0 for i in asked for t in nodes[i].asked)
        preferred = first
        assert failover.current is nodes[first]
