#!/usr/bin/env python3
"""Rebuild the committed contract artifacts: a thin wrapper around `fisco-drugtrace contracts compile`.

Usage: scripts/compile_contracts.py [--compiler solc|solcjs] [--check] [--json]
"""

from __future__ import annotations

import sys

from fisco_drugtrace.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["contracts", "compile", *sys.argv[1:]]))
