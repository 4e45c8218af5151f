"""SDK configuration: one frozen :class:`Settings`, from a TOML file, the environment and overrides.

Search order for the file: the explicit ``path`` -> ``./fisco-drugtrace.toml`` -> built-in dev
defaults (FISCO BCOS 3.x on ``http://127.0.0.1:20200``, ``group0``). Environment variables then
override the file, and ``overrides`` (the CLI's flags) override both.

File layout::

    [chain]    dialect = "v3" | "v2";  group = "group0" (v2: 1);  chain_id = "chain0" (optional)
               node = ""                  # 3.x node name; "" = any node of the group
    [network]  urls = ["https://127.0.0.1:20200"];  timeout = 30;  retries = 3
               max_answer_bytes = 67108864   # answers larger than this are refused
    [tls]      ca = "sdk/ca.crt";  cert = "sdk/sdk.crt";  key = "sdk/sdk.key"   # relative to the file
    [account]  dir = "accounts";  default = "alice"
    [home]     dir = "~/.fisco-drugtrace"   # address book, code store, audit index
    [suite]    org_registry = "0x…"        # the deployment to join (`contracts attach`)
    [database] url = "postgresql://user@host/db"   # code store + audit index in PostgreSQL ("" = SQLite files)
               schema = "fdt"             # prefix of this home's schemas in that database

Environment: ``FISCO_RPC_URL`` (comma separated), ``FISCO_GROUP``, ``FISCO_DIALECT``,
``FISCO_CHAIN_ID``, ``FISCO_TLS_CA``, ``FISCO_TLS_CERT``, ``FISCO_TLS_KEY``, ``FISCO_ACCOUNT``,
``FISCO_ACCOUNT_DIR``, ``FISCO_DRUGTRACE_HOME``, ``FISCO_TIMEOUT`` (seconds: the total deadline
of one node call, retries and failover included), ``FISCO_MAX_ANSWER_BYTES``, ``FISCO_ORG_REGISTRY``,
``FISCO_DRUGTRACE_DATABASE`` (a ``postgresql://`` DSN), ``FISCO_DRUGTRACE_DB_SCHEMA``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fisco_drugtrace.errors import ConfigError
from fisco_drugtrace.types import Dialect

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "Settings",
    "TlsPaths",
    "load_settings",
    "default_settings",
    "DEFAULT_CONFIG_NAME",
    "ENVIRONMENT_VARIABLES",
]

#: The file looked for in the current directory when no path is given.
DEFAULT_CONFIG_NAME = "fisco-drugtrace.toml"

#: Environment variable -> Settings field it overrides.
ENVIRONMENT_VARIABLES: Mapping[str, str] = {
    "FISCO_RPC_URL": "urls",
    "FISCO_GROUP": "group",
    "FISCO_DIALECT": "dialect",
    "FISCO_CHAIN_ID": "chain_id",
    "FISCO_TLS_CA": "tls_ca",
    "FISCO_TLS_CERT": "tls_cert",
    "FISCO_TLS_KEY": "tls_key",
    "FISCO_ACCOUNT": "account",
    "FISCO_ACCOUNT_DIR": "account_dir",
    "FISCO_DRUGTRACE_HOME": "home",
    "FISCO_ORG_REGISTRY": "org_registry",
    "FISCO_TIMEOUT": "timeout",
    "FISCO_MAX_ANSWER_BYTES": "max_answer_bytes",
    "FISCO_DRUGTRACE_DATABASE": "database",
    "FISCO_DRUGTRACE_DB_SCHEMA": "database_schema",
}

#: The default answer size cap (64 MiB): a full 3.x block of ~10k transactions is ~20 MB.
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024

_DEFAULT_HOME = "~/.fisco-drugtrace"


@dataclass(frozen=True)
class TlsPaths:
    """The SDK certificate set: chain CA, SDK certificate and its private key."""

    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class Settings:
    """Everything needed to talk to a chain and find local state.

    ``group`` is a string for 3.x (``"group0"``) and an int for 2.x (``1``). ``chain_id`` is
    ``None`` when it should be read from the node.
    """

    dialect: Dialect = Dialect.V3
    urls: tuple[str, ...] = ("http://127.0.0.1:20200",)
    group: str | int = "group0"
    chain_id: str | int | None = None
    node: str = ""
    tls: TlsPaths | None = None
    timeout: float = 30.0
    retries: int = 3
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    account_dir: Path = Path(_DEFAULT_HOME).expanduser() / "accounts"
    account: str | None = None
    home: Path = Path(_DEFAULT_HOME).expanduser()
    source: Path | None = None
    #: the drug-trace suite to join (``[suite] org_registry``): its OrgRegistry address, "" = not set
    org_registry: str = ""
    #: ``[database] url``: "" = the code store and audit index are SQLite files under ``home``;
    #: a ``postgresql://`` DSN puts them in that database (it may hold a password: never printed)
    database: str = field(default="", repr=False)
    #: ``[database] schema``: prefix of this home's schemas in that database
    database_schema: str = "fdt"

    @property
    def url(self) -> str:
        """The first node URL."""
        return self.urls[0]


def default_settings() -> Settings:
    """The built-in dev defaults (3.x dev chain on 127.0.0.1:20200, group0)."""
    return Settings()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc


def _table(data: Mapping[str, Any], name: str, path: Path | None) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path or 'config'}: [{name}] must be a table")
    return value


def _flatten(data: Mapping[str, Any], path: Path | None) -> dict[str, Any]:
    """TOML tables -> flat field values (still unvalidated)."""
    known = {"chain", "network", "tls", "account", "home", "suite", "database"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path or 'config'}: unknown section(s) {sorted(unknown)}; expected {sorted(known)}")
    chain, network = _table(data, "chain", path), _table(data, "network", path)
    tls, account, home = _table(data, "tls", path), _table(data, "account", path), _table(data, "home", path)
    suite = _table(data, "suite", path)
    database = _table(data, "database", path)
    out: dict[str, Any] = {}
    mapping = [
        (chain, "dialect", "dialect"), (chain, "group", "group"), (chain, "chain_id", "chain_id"),
        (chain, "node", "node"), (network, "urls", "urls"), (network, "url", "urls"),
        (network, "timeout", "timeout"), (network, "retries", "retries"),
        (network, "max_answer_bytes", "max_answer_bytes"), (tls, "ca", "tls_ca"),
        (tls, "cert", "tls_cert"), (tls, "key", "tls_key"), (account, "dir", "account_dir"),
        (account, "default", "account"), (home, "dir", "home"), (suite, "org_registry", "org_registry"),
        (database, "url", "database"), (database, "schema", "database_schema"),
    ]
    for table, key, field_name in mapping:
        if key in table:
            out[field_name] = table[key]
    return out


def _resolve(value: Any, base: Path | None, what: str) -> Path:
    if not isinstance(value, (str, os.PathLike)) or not str(value):
        raise ConfigError(f"{what} must be a non-empty path, got {value!r}")
    candidate = Path(os.path.expanduser(str(value)))
    if not candidate.is_absolute() and base is not None:
        candidate = base / candidate
    return candidate


def _urls(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [u.strip() for u in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = [str(u).strip() for u in value]
    else:
        raise ConfigError(f"network urls must be a string or a list of strings, got {value!r}")
    urls = tuple(u for u in items if u)
    if not urls:
        raise ConfigError("at least one node URL is required")
    for url in urls:
        if not url.startswith(("http://", "https://", "ws://", "wss://", "channel://", "channels://")):
            raise ConfigError(f"node URL must start with http://, https://, ws://, wss:// (3.x push) or "
                              f"channel://, channels:// (2.x push), got {url!r}")
    return urls


def _dialect(value: Any) -> Dialect:
    text = str(value).strip().lower()
    aliases = {"v3": Dialect.V3, "3": Dialect.V3, "3.x": Dialect.V3, "v2": Dialect.V2, "2": Dialect.V2, "2.x": Dialect.V2}
    if text not in aliases:
        raise ConfigError(f"unknown dialect {value!r}: use 'v3' (FISCO BCOS 3.x) or 'v2' (2.x)")
    return aliases[text]


def _group(value: Any, dialect: Dialect) -> str | int:
    if dialect is Dialect.V2:
        try:
            group = int(str(value), 0)
        except ValueError as exc:
            raise ConfigError(f"a 2.x group id is an integer (1..32767), got {value!r}") from exc
        if not 1 <= group <= 32767:
            raise ConfigError(f"a 2.x group id is in 1..32767, got {group}")
        return group
    text = str(value).strip()
    if not text:
        raise ConfigError("the 3.x group must be a non-empty string such as 'group0'")
    return text


def _chain_id(value: Any, dialect: Dialect) -> str | int | None:
    if value is None or value == "":
        return None
    if dialect is Dialect.V2:
        try:
            return int(str(value), 0)
        except ValueError as exc:
            raise ConfigError(f"a 2.x chain id is an integer, got {value!r}") from exc
    return str(value)


def _number(value: Any, what: str, cast: type, minimum: float) -> Any:
    try:
        number = cast(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{what} must be a number, got {value!r}") from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise ConfigError(f"{what} must be a finite number, got {value!r}")
    if number < minimum:
        raise ConfigError(f"{what} must be >= {minimum}, got {number}")
    return number


def _build(raw: Mapping[str, Any], bases: Mapping[str, Path | None], source: Path | None) -> Settings:
    """Validated Settings from flat raw values; ``bases[field]`` resolves relative paths."""
    dialect = _dialect(raw.get("dialect", "v3"))
    default_group: str | int = "group0" if dialect is Dialect.V3 else 1
    home = _resolve(raw["home"], bases.get("home"), "home dir") if "home" in raw else Path(_DEFAULT_HOME).expanduser()
    account_dir = (_resolve(raw["account_dir"], bases.get("account_dir"), "account dir")
                   if "account_dir" in raw else home / "accounts")
    tls_keys = [k for k in ("tls_ca", "tls_cert", "tls_key") if raw.get(k)]
    tls: TlsPaths | None = None
    if tls_keys:
        if len(tls_keys) != 3:
            missing = sorted({"tls_ca", "tls_cert", "tls_key"} - set(tls_keys))
            short = ", ".join(m[4:] for m in missing)
            raise ConfigError(f"TLS needs ca, cert and key together; missing {short} (set "
                              f"{', '.join('FISCO_' + m.upper() for m in missing)} or [tls] {short})")
        paths = {k: _resolve(raw[k], bases.get(k), f"TLS {k[4:]}") for k in tls_keys}
        for key, path in paths.items():
            if not path.is_file():
                raise ConfigError(f"TLS {key[4:]} file {path} does not exist")
        tls = TlsPaths(ca=paths["tls_ca"], cert=paths["tls_cert"], key=paths["tls_key"])
    account = raw.get("account")
    return Settings(
        dialect=dialect,
        urls=_urls(raw.get("urls", Settings.urls)),
        group=_group(raw.get("group", default_group), dialect),
        chain_id=_chain_id(raw.get("chain_id"), dialect),
        node=str(raw.get("node", "") or ""),
        tls=tls,
        timeout=_number(raw.get("timeout", 30.0), "network timeout", float, 0.001),
        retries=_number(raw.get("retries", 3), "network retries", int, 0),
        max_answer_bytes=_number(raw.get("max_answer_bytes", DEFAULT_MAX_ANSWER_BYTES), "network max_answer_bytes",
                                 int, 1024),
        account_dir=account_dir,
        account=str(account) if account else None,
        home=home,
        source=source,
        org_registry=_org_registry(raw.get("org_registry", "")),
        database=_database(raw.get("database", "")),
        database_schema=_database_schema(raw.get("database_schema", "fdt")),
    )


def _database(value: Any) -> str:
    text = str(value or "").strip()
    if text.lower() in ("", "sqlite"):
        return ""
    if not text.lower().startswith(("postgresql://", "postgres://")):
        raise ConfigError("[database] url must be a postgresql:// DSN (or \"\" / \"sqlite\" for SQLite files "
                          "under the home), got a value starting with " + repr(text.split("://")[0][:20]))
    return text


def _database_schema(value: Any) -> str:
    text = str(value or "").strip()
    if not (1 <= len(text) <= 20 and text[0].isascii() and text[0].isalpha()
            and all(c.isascii() and (c.isalnum() or c == "_") for c in text)):
        raise ConfigError(f"[database] schema must be 1-20 letters, digits or '_' starting with a letter, got {text!r}")
    return text.lower()


def _org_registry(value: Any) -> str:
    text = str(value or "").strip()
    if text and not (text[:2].lower() == "0x" and len(text) == 42
                     and all(c in "0123456789abcdefABCDEF" for c in text[2:])):
        raise ConfigError(f"[suite] org_registry must be a 0x-prefixed 20-byte address, got {text!r}")
    return text.lower()


def load_settings(path: str | os.PathLike[str] | None = None, overrides: Mapping[str, Any] | None = None, *,
                  environ: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None) -> Settings:
    """Load :class:`Settings`: file (explicit, ``./fisco-drugtrace.toml`` or defaults) < env < overrides.

    :param path: an explicit config file; it must exist.
    :param overrides: field values that win over everything (``urls``, ``account``, ``group``,
        ``dialect``, ``chain_id``, ``timeout``, ``retries``, ``tls_ca``/``tls_cert``/``tls_key``,
        ``account_dir``, ``home``, ``node``, ``max_answer_bytes``). ``None`` values are ignored.
    :param environ: the environment (defaults to ``os.environ``).
    :param cwd: where to look for ``fisco-drugtrace.toml`` and what relative paths of ``path``, the
        environment and ``overrides`` are taken from (defaults to the current directory). All paths
        in the result are absolute.
    :raises ConfigError: malformed TOML, unknown dialect, missing certificate files, bad values.
    """
    env = os.environ if environ is None else environ
    # Every path is made absolute here, at load time: a relative config path (``--config`` or
    # ``FISCO_DRUGTRACE_CONFIG``) against the current directory, paths inside the file against the
    # file's directory, relative paths from the environment or flags against the current
    # directory — so the Settings stay valid whatever directory the process moves to later.
    here = Path(os.path.abspath(cwd or os.getcwd()))
    source: Path | None = None
    if path is not None:
        source = Path(path).expanduser()
        if not source.is_absolute():
            source = here / source
    else:
        candidate = here / DEFAULT_CONFIG_NAME
        if candidate.is_file():
            source = candidate
    raw: dict[str, Any] = {}
    bases: dict[str, Path | None] = {}
    if source is not None:
        raw = _flatten(_read_toml(source), source)
        bases = {k: source.parent for k in raw}
    for variable, field_name in ENVIRONMENT_VARIABLES.items():
        value = env.get(variable)
        if value:
            raw[field_name] = value
            bases[field_name] = here
    for field_name, value in (overrides or {}).items():
        if value is None:
            continue
        if field_name not in set(ENVIRONMENT_VARIABLES.values()) | {"timeout", "retries", "node"}:
            raise ConfigError(f"unknown settings override {field_name!r}")
        raw[field_name] = value
        bases[field_name] = here
    return _build(raw, bases, source.resolve() if source is not None else None)
