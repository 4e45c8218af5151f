"""Settings: TOML file, search order, environment and override precedence, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fisco_drugtrace.config import DEFAULT_CONFIG_NAME, Settings, TlsPaths, load_settings
from fisco_drugtrace.errors import ConfigError
from fisco_drugtrace.types import Dialect

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_built_in_defaults_when_nothing_is_configured(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.dialect is Dialect.V3
    assert settings.urls == ("http://127.0.0.1:20200",)
    assert settings.group == "group0"
    assert settings.chain_id is None and settings.tls is None and settings.source is None
    assert settings.account_dir == settings.home / "accounts"


def test_file_in_current_directory_is_found(tmp_path: Path) -> None:
    _write(tmp_path / DEFAULT_CONFIG_NAME, '[chain]\ngroup = "group7"\n')
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.group == "group7"
    assert settings.source == (tmp_path / DEFAULT_CONFIG_NAME).resolve()


def test_full_file_with_relative_paths_resolved_against_its_folder(tmp_path: Path) -> None:
    sdk = tmp_path / "conf" / "sdk"
    sdk.mkdir(parents=True)
    for name in ("ca.crt", "sdk.crt", "sdk.key"):
        (sdk / name).write_text("x")
    config = _write(tmp_path / "conf" / "chain.toml", """
[chain]
dialect = "v3"
group = "group0"
chain_id = "chain0"
node = "node0"
[network]
urls = ["https://10.0.0.1:20200", "https://10.0.0.2:20200"]
timeout = 12.5
retries = 5
[tls]
ca = "sdk/ca.crt"
cert = "sdk/sdk.crt"
key = "sdk/sdk.key"
[account]
dir = "keys"
default = "alice"
[home]
dir = "state"
""")
    s = load_settings(config, environ={}, cwd=tmp_path)
    assert s.urls == ("https://10.0.0.1:20200", "https://10.0.0.2:20200")
    assert s.chain_id == "chain0" and s.node == "node0"
    assert s.timeout == 12.5 and s.retries == 5
    assert s.tls == TlsPaths(ca=sdk / "ca.crt", cert=sdk / "sdk.crt", key=sdk / "sdk.key")
    assert s.account_dir == tmp_path / "conf" / "keys"
    assert s.account == "alice"
    assert s.home == tmp_path / "conf" / "state"


def test_v2_dialect_uses_integer_group_and_chain(tmp_path: Path) -> None:
    config = _write(tmp_path / "c.toml", '[chain]\ndialect = "v2"\ngroup = 1\nchain_id = "1"\n')
    s = load_settings(config, environ={})
    assert s.dialect is Dialect.V2 and s.group == 1 and s.chain_id == 1


def test_v2_default_group_is_one(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path / "c.toml", '[chain]\ndialect = "v2"\n'), environ={})
    assert s.group == 1


def test_environment_overrides_file_and_overrides_win(tmp_path: Path) -> None:
    config = _write(tmp_path / "c.toml", '[network]\nurls = ["http://file:1"]\n[account]\ndefault = "file"\n')
    env = {"FISCO_RPC_URL": "http://env:1, http://env:2", "FISCO_ACCOUNT": "env", "FISCO_GROUP": "g9",
           "FISCO_CHAIN_ID": "c9", "FISCO_ACCOUNT_DIR": str(tmp_path / "acc"), "FISCO_DRUGTRACE_HOME": str(tmp_path / "h")}
    s = load_settings(config, environ=env)
    assert s.urls == ("http://env:1", "http://env:2")
    assert (s.account, s.group, s.chain_id) == ("env", "g9", "c9")
    assert s.account_dir == tmp_path / "acc" and s.home == tmp_path / "h"
    s2 = load_settings(config, {"urls": ["http://flag:1"], "account": "flag", "group": None}, environ=env)
    assert s2.urls == ("http://flag:1",) and s2.account == "flag" and s2.group == "g9"


def test_env_tls_files_are_checked(tmp_path: Path) -> None:
    for name in ("ca", "cert", "key"):
        (tmp_path / name).write_text("x")
    env = {"FISCO_TLS_CA": str(tmp_path / "ca"), "FISCO_TLS_CERT": str(tmp_path / "cert"),
           "FISCO_TLS_KEY": str(tmp_path / "key")}
    assert load_settings(environ=env, cwd=tmp_path).tls == TlsPaths(tmp_path / "ca", tmp_path / "cert", tmp_path / "key")
    env["FISCO_TLS_KEY"] = str(tmp_path / "absent.key")
    with pytest.raises(ConfigError, match="absent.key"):
        load_settings(environ=env, cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[chain\ndialect = 'v3'", "not valid TOML"),
        ("[chain]\ndialect = 'v4'", "unknown dialect"),
        ("[tls]\nca = 'ca.crt'\ncert = 'sdk.crt'\nkey = 'sdk.key'", "does not exist"),
        ("[tls]\nca = 'ca.crt'", "missing cert, key"),
        ("[network]\nurls = ['127.0.0.1:20200']", "http://"),
        ("[network]\nurls = []", "at least one"),
        ("[network]\ntimeout = 'soon'", "timeout"),
        ("[network]\nretries = -1", "retries"),
        ("[chain]\ndialect = 'v2'\ngroup = 'group0'", "integer"),
        ("[chains]\nx = 1", "unknown section"),
        ("chain = 3", "must be a table"),
    ],
)
def test_malformed_configs_give_clear_config_errors(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(_write(tmp_path / "bad.toml", text), environ={})


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_unknown_override_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown settings override"):
        load_settings(overrides={"colour": "red"}, environ={}, cwd=tmp_path)


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().group = "x"  # type: ignore[misc]


@pytest.mark.parametrize(("name", "dialect", "group"), [("devchain.toml", Dialect.V3, "group0"),
                                                       ("devchain-v2.toml", Dialect.V2, 1)])
def test_shipped_dev_chain_configs_load(name: str, dialect: Dialect, group: object) -> None:
    s = load_settings(REPO / "chain-config" / name, environ={})
    assert s.dialect is dialect and s.group == group and s.tls is None
    assert s.urls[0].startswith("http://127.0.0.1:")
