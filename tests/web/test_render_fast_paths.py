"""The served path's two fast paths render exactly what the plain ones did: ``to_json`` (a walk
planned once per type) against the straightforward walk it replaced, on real served answers and on
every kind of value; the packaged static files from memory (ETag, 304, 404, 405, security headers)."""

from __future__ import annotations

import dataclasses
import enum
from collections import namedtuple
from typing import Any, Mapping

import pytest
from starlette.testclient import TestClient

from fisco_drugtrace.web import create_app
from fisco_drugtrace.web.app import STATIC
from fisco_drugtrace.web.jsonview import to_json


def reference_to_json(obj: Any) -> Any:
    """The walk as it was before the per-type plans (kept here as the oracle)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if not f.repr or f.name == "raw":
                continue
            value = getattr(obj, f.name)
            out[f.name] = reference_to_json(value)
            if isinstance(value, enum.Enum) and not isinstance(value.value, str):
                out[f.name + "_value"] = int(value.value)
        return out
    if isinstance(obj, enum.Enum):
        return obj.name if not isinstance(obj.value, str) else obj.value
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return "0x" + bytes(obj).hex()
    if isinstance(obj, Mapping):
        return {str(k): reference_to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [reference_to_json(v) for v in obj]
    if hasattr(obj, "_asdict"):
        return reference_to_json(obj._asdict())
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


class Colour(enum.IntEnum):
    RED = 1
    BLUE = 2


class Word(enum.Enum):
    YES = "yes"


class Flag(enum.Flag):
    A = 1
    B = 2


class MyInt(int):
    pass


class HasAsDict:
    def _asdict(self) -> dict[str, Any]:
        return {"x": b"\x01", "colour": Colour.BLUE}


Pair = namedtuple("Pair", "left right")


@dataclasses.dataclass(frozen=True)
class Inner:
    colour: Colour
    word: Word
    blob: bytes
    hidden: str = dataclasses.field(default="no", repr=False)
    raw: Any = None


@dataclasses.dataclass
class Outer:
    inner: Inner
    items: list[Any]
    mapping: dict[Any, Any]
    pair: Pair
    flag: Flag
    other: Any


def test_to_json_is_the_plain_walk_on_every_kind_of_value() -> None:
    inner = Inner(Colour.RED, Word.YES, b"\xff\x00", raw=object())
    samples = [
        Outer(inner, [1, 2.5, "s", None, True, bytearray(b"\x02"), memoryview(b"\x03"), (Colour.BLUE,)],
              {1: inner, "k": frozenset([3])}, Pair(inner, b"\x04"), Flag.A | Flag.B, HasAsDict()),
        Outer(inner, [], {}, Pair(None, None), Flag.A, MyInt(7)),
        Outer(inner, [{"nested": [inner]}], {b"k": set()}, Pair(1, 2), Flag.B, ValueError("boom")),
        Colour.RED, Word.YES, b"", None, 3, "text", Pair(1, [b"\x05"]), HasAsDict(),
    ]
    for sample in samples * 2:  # the second pass runs on the plans the first one made
        assert to_json(sample) == reference_to_json(sample), sample


@pytest.fixture(scope="module")
def backend(world, make_backend):
    made = make_backend()
    made.sync_once()
    return made


def test_served_answers_render_as_the_plain_walk_renders_them(world, backend) -> None:
    verifier = backend.verifier
    forged = world.listed_codes[0][:7] + "999999999" + "0000"
    codes = [world.listed_codes[4], world.recalled_codes[2], world.story.codes[0], forged, "8160347000000001791X",
             "8299999" + "000000001" + "0000"]
    seen = set()
    for code in codes:
        answer = verifier.verify(code)
        seen.add(answer.verdict)
        assert to_json(answer) == reference_to_json(answer), code
        chain = backend.service().verify_code(code)
        assert to_json(chain) == reference_to_json(chain), code
    assert len(seen) == 3  # genuine, counterfeit and cannot tell here all rendered


def test_packaged_static_files_from_memory(backend) -> None:
    with TestClient(create_app(backend, start_sync=False)) as http:
        for path in sorted(p for p in STATIC.iterdir() if p.suffix in (".css", ".js")):
            got = http.get(f"/static/{path.name}")
            assert got.status_code == 200 and got.content == path.read_bytes()
            assert got.headers["content-type"].startswith("text/css" if path.suffix == ".css" else "text/javascript")
            assert got.headers["x-content-type-options"] == "nosniff"  # the security headers still apply
            etag = got.headers["etag"]
            again = http.get(f"/static/{path.name}", headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b""
            assert http.get(f"/static/{path.name}", headers={"If-None-Match": '"other"'}).status_code == 200
        assert http.get("/static/nothing.css").status_code == 404
        assert http.get("/static/../backend.py").status_code == 404
        assert http.post("/static/app.css").status_code == 405
