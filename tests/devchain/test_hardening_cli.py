"""Issue 16 item 10 and issue 19 item 9: `devchain start` prints (and writes) the exports that
point the CLI at a chain on a custom port/data dir, config paths survive `cd`, and a
non-loopback bind warns and shows the real address."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import pytest

from fisco_drugtrace.config import load_settings
from fisco_drugtrace.errors import ConfigError

CLI = [sys.executable, "-m", "fisco_drugtrace.cli.main"]
REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], *, env: dict | None = None, cwd: Path | None = None, timeout: float = 120
        ) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def read_until(proc: subprocess.Popen, done: Callable[[str], bool], timeout: float = 60) -> str:
    """Lines of ``proc``'s stdout up to the first for which ``done`` holds (fails after ``timeout``,
    never hangs on a chain that keeps serving without printing it)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    text = ""
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no such line within {timeout} s; got:\n{text}") from None
        if line is None:
            raise AssertionError(f"the process ended first; got:\n{text}")
        text += line
        if done(line):
            return text


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCO_")}
    env["FISCO_DRUGTRACE_HOME"] = str(tmp_path / "elsewhere-home")
    return env


def test_detached_start_on_a_custom_port_and_data_dir_prints_and_writes_working_exports(tmp_path: Path) -> None:
    data = tmp_path / "my chain"
    env = clean_env(tmp_path)
    started = run([*CLI, "devchain", "start", "--detach", "--port", "0", "--data-dir", str(data), "--json"], env=env)
    assert started.returncode == 0, started.stderr
    try:
        out = json.loads(started.stdout)
        exports = out["exports"]
        assert exports["FISCO_RPC_URL"] == out["url"] and exports["FISCO_RPC_URL"] != "http://127.0.0.1:20200"
        assert exports["FISCO_ACCOUNT_DIR"] == str(data.resolve() / "accounts")
        assert Path(out["env_file"]) == data / "devchain.env"
        human = run([*CLI, "devchain", "status", "--data-dir", str(data)], env=env)
        assert human.returncode == 0
        # the env file, sourced in another directory, points the CLI at this chain (not at :20200)
        script = (f"source {json.dumps(str(data / 'devchain.env'))} && cd / && "
                  f"{sys.executable} -m fisco_drugtrace.cli.main node info --json && echo '@@' && "
                  f"{sys.executable} -m fisco_drugtrace.cli.main account list --json")
        done = run(["bash", "-c", script], env=env)
        assert done.returncode == 0, done.stderr
        node, accounts = (json.loads(part) for part in done.stdout.split("@@"))
        print(node, accounts)
        assert node["block_number"] == 0
        assert {a["address"] for a in accounts} >= {a["address"] for a in out["accounts"]}
    finally:
        run([*CLI, "devchain", "stop", "--data-dir", str(data)], env=env)


def test_foreground_start_prints_the_export_lines(tmp_path: Path) -> None:
    proc = subprocess.Popen([*CLI, "devchain", "start", "--port", "0", "--data-dir", str(tmp_path / "d")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path))
    try:
        text = read_until(proc, lambda line: line.startswith("export FISCO_DRUGTRACE_HOME"))
        assert "export FISCO_RPC_URL=http://127.0.0.1:" in text
        assert f"export FISCO_ACCOUNT_DIR={tmp_path / 'd' / 'accounts'}" in text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_binding_every_interface_warns_and_shows_the_real_address(tmp_path: Path) -> None:
    proc = subprocess.Popen([*CLI, "devchain", "start", "--host", "0.0.0.0", "--port", "0", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path))
    try:
        out = json.loads(read_until(proc, lambda line: line.startswith("}")))
        assert out["listening"].startswith("0.0.0.0:") and out["listening"].endswith(out["url"].rsplit(":", 1)[1])
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "warning" in err and "0.0.0.0" in err and "every network interface" in err


def test_config_paths_are_absolute_at_load_time_and_survive_cd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    settings = load_settings("chain-config/devchain.toml", environ={})
    assert settings.account_dir == REPO / ".devchain" / "accounts" or settings.account_dir.resolve() == (
        REPO / ".devchain" / "accounts")
    assert settings.account_dir.is_absolute() and settings.home.is_absolute()
    monkeypatch.chdir(tmp_path)
    assert settings.account_dir.resolve() == (REPO / ".devchain" / "accounts").resolve()
    # relative paths from the environment are taken from the directory at load time
    from_env = load_settings(None, environ={"FISCO_ACCOUNT_DIR": "keys"})
    assert from_env.account_dir == tmp_path / "keys"


def test_a_relative_config_path_names_the_absolute_file_it_looked_for(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_settings("chain-config/devchain.toml", environ={})
    assert str(tmp_path / "chain-config" / "devchain.toml") in str(info.value)
