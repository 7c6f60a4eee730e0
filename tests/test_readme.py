"""Every ```python block of the README runs as written, each in a fresh interpreter in an
empty folder; where a ```text block follows it directly, that is its exact output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import need, need_dot

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[int, str, str | None]]:
    """(line, code, expected output or None) for each python block of ``text``."""
    found = []
    fences = list(FENCE.finditer(text))
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        expected = None
        if i + 1 < len(fences) and fences[i + 1].group(1) == "text":
            following = fences[i + 1]
            if text[fence.end():following.start()].strip() == "":
                expected = following.group(2)
        found.append((text.count("\n", 0, fence.start()) + 1, fence.group(2), expected))
    return found


BLOCKS = blocks((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_python_blocks_and_shown_outputs():
    assert len(BLOCKS) >= 4
    assert any(expected is not None for _, _, expected in BLOCKS)


def test_block_extraction_pairs_output_only_when_it_follows_directly():
    text = "```python\nprint(1)\n```\n\n```text\n1\n```\nprose\n```python\nx = 1\n```\n" \
        "words\n```text\nnot output\n```\n"
    assert blocks(text) == [(1, "print(1)\n", "1\n"), (9, "x = 1\n", None)]


@pytest.mark.parametrize(("line", "code", "expected"), BLOCKS,
                         ids=[f"README.md:{line}" for line, _, _ in BLOCKS])
def test_readme_block_runs(line: int, code: str, expected: str | None, tmp_path: Path):
    if "compile" in code:
        need("numpy")
    if "draw_dot" in code or "draw_network" in code or "draw_html" in code:
        need_dot()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"README.md:{line} failed:\n{result.stderr}"
    if expected is not None:
        assert result.stdout == expected, f"README.md:{line} printed something else"
