"""The package's Python is formatted (``ruff format``), linted (``ruff check``) and type-checked (``mypy --strict``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        [sys.executable, "-m", "ruff", "check", "."],
        [sys.executable, "-m", "mypy"],
    ],
    ids=["ruff-format", "ruff-check", "mypy"],
)
def test_python_sources_pass(command: list[str]) -> None:
    finished = subprocess.run(command, cwd=PACKAGE, capture_output=True, text=True, check=False)
    assert finished.returncode == 0, f"{' '.join(command[2:])} failed:\n{finished.stdout}{finished.stderr}"
