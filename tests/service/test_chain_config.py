"""chain-config/four-node-v3 loads as documented, and the environment overrides it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fisco_drugtrace.config import load_settings
from fisco_drugtrace.errors import ConfigError
from fisco_drugtrace.types import Dialect

SOURCE = Path(__file__).resolve().parents[2] / "chain-config" / "four-node-v3" / "fisco-drugtrace.toml"


@pytest.fixture()
def four_node(tmp_path: Path) -> Path:
    target = tmp_path / "four-node-v3"
    target.mkdir()
    shutil.copy(SOURCE, target / SOURCE.name)
    sdk = target / "sdk"
    sdk.mkdir()
    for name in ("ca.crt", "sdk.crt", "sdk.key"):
        (sdk / name).write_text("placeholder\n")
    return target / SOURCE.name


def test_four_node_file_names_four_tls_endpoints(four_node: Path) -> None:
    s = load_settings(four_node, environ={})
    assert s.dialect is Dialect.V3 and s.group == "group0" and s.chain_id == "chain0"
    assert s.urls == tuple(f"https://127.0.0.1:{p}" for p in range(20200, 20204))
    assert s.tls is not None and s.tls.ca == four_node.parent / "sdk" / "ca.crt"
    assert s.home == four_node.parent / "home"


def test_environment_overrides_the_file(four_node: Path, tmp_path: Path) -> None:
    s = load_settings(four_node, environ={"FISCO_RPC_URL": "https://10.0.0.1:20200,https://10.0.0.2:20200",
                                          "FISCO_GROUP": "group1", "FISCO_DRUGTRACE_HOME": str(tmp_path / "h")})
    assert s.urls == ("https://10.0.0.1:20200", "https://10.0.0.2:20200")
    assert s.group == "group1" and s.home == tmp_path / "h"


def test_missing_certificates_are_reported(tmp_path: Path) -> None:
    shutil.copy(SOURCE, tmp_path / SOURCE.name)
    with pytest.raises(ConfigError):
        load_settings(tmp_path / SOURCE.name, environ={})
