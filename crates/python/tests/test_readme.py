"""The README's Python example runs as written (in a scratch folder, on the embedded store)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "README.md"


def python_examples() -> list[str]:
    section = README.read_text().split("## In Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_has_a_python_example() -> None:
    assert python_examples(), "README.md's `## In Python` section has no ```python block"


@pytest.mark.parametrize("example", python_examples())
def test_the_readme_python_example_runs(example: str, tmp_path: Path) -> None:
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(example, str(README), "exec"), {"__name__": "readme_example"})
    finally:
        os.chdir(previous)
