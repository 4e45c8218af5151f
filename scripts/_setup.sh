# Sourced by scripts/test and scripts/demo: installs everything the project needs from the
# registries (PyPI, npm) into ./.venv and ./node_modules. Idempotent and quiet when up to date.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "==> creating .venv ($("$PY" --version))"
  "$PY" -m venv "$ROOT/.venv"
fi
stamp="$ROOT/.venv/.installed"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  echo "==> installing Python packages (pip install -e '.[dev]')"
  "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$ROOT/.venv/bin/python" -m pip install -q -e "$ROOT[dev]"
  touch "$stamp"
fi
if command -v npm >/dev/null 2>&1; then
  if [ ! -x "$ROOT/node_modules/.bin/solcjs" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    echo "==> installing solcjs 0.8.11 (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
else
  echo "==> npm not found: compiling contracts needs solc 0.8.11 on PATH (committed artifacts still work)" >&2
fi
export PATH="$ROOT/.venv/bin:$PATH"
