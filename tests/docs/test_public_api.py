"""The public API is a decision: every name in ``__all__`` resolves, nothing else is promised."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import fisco_drugtrace

ROOT = Path(__file__).resolve().parents[2]


def test_every_public_name_resolves() -> None:
    missing = [name for name in fisco_drugtrace.__all__ if not hasattr(fisco_drugtrace, name)]
    assert missing == []


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        fisco_drugtrace.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_version_comes_from_the_package_metadata() -> None:
    assert fisco_drugtrace.__version__ == importlib.metadata.version("fisco-drugtrace")


def test_import_stays_light() -> None:
    """Importing the package must not pull in the EVM, the CLI or the HTTP stack."""
    code = ("import sys, fisco_drugtrace; "
            "print(','.join(m for m in ('pyrevm', 'click', 'requests', 'fisco_drugtrace.devchain') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_readme_sdk_example_runs() -> None:
    """The README shows examples/sdk_quickstart.py; it must run as written."""
    example = (ROOT / "examples" / "sdk_quickstart.py").read_text(encoding="utf-8")
    body = example.split("\n\n", 1)[1].strip()  # after the docstring and the imports
    assert len(body.splitlines()) == 10
    assert body in (ROOT / "README.md").read_text(encoding="utf-8")
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "sdk_quickstart.py")],
                         capture_output=True, text=True, check=True, timeout=120)
    state, count, root = out.stdout.split()
    assert (state, count) == ("NONE", "100") and len(root) == 66  # committed, not yet released (T0b)
