"""Every ```python block of the README and of the docs runs as written, each in a fresh
interpreter in an empty folder (a docs page's blocks after the page's earlier blocks, whose
output is not kept: a page is read top to bottom); where a ```text block follows it
directly, that is its exact output."""

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


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = [(page.relative_to(ROOT).as_posix(), line, code, expected) for page in PAGES
          for line, code, expected in blocks(page.read_text(encoding="utf-8"))]
#: runs the page's earlier blocks quietly, then the block (argv: the two files)
RUNNER = ("import contextlib, io, runpy, sys\n"
          "with contextlib.redirect_stdout(io.StringIO()):\n"
          "    scope = runpy.run_path(sys.argv[1])\n"
          "exec(compile(open(sys.argv[2]).read(), sys.argv[2], 'exec'), scope)\n")


def _before(page: str, line: int) -> str:
    """The code of ``page``'s blocks above ``line`` (none for the README: its blocks stand
    alone)."""
    if page == "README.md":
        return ""
    return "".join(code for p, n, code, _ in BLOCKS if p == page and n < line)


def test_the_readme_has_python_blocks_and_shown_outputs():
    readme = [b for b in BLOCKS if b[0] == "README.md"]
    assert len(readme) >= 4 and len(BLOCKS) > len(readme)
    assert any(expected is not None for _, _, _, expected in readme)


def test_block_extraction_pairs_output_only_when_it_follows_directly():
    text = "```python\nprint(1)\n```\n\n```text\n1\n```\nprose\n```python\nx = 1\n```\n" \
        "words\n```text\nnot output\n```\n"
    assert blocks(text) == [(1, "print(1)\n", "1\n"), (9, "x = 1\n", None)]


@pytest.mark.parametrize(("page", "line", "code", "expected"), BLOCKS,
                         ids=[f"{page}:{line}" for page, line, _, _ in BLOCKS])
def test_readme_block_runs(page: str, line: int, code: str, expected: str | None,
                           tmp_path: Path):
    if "compile" in code:
        need("numpy")
    if "draw_dot" in code or "draw_network" in code or "draw_html" in code:
        need_dot()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    (tmp_path / "before.py").write_text(_before(page, line), encoding="utf-8")
    (tmp_path / "block.py").write_text(code, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", RUNNER, "before.py", "block.py"],
                            cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{page}:{line} failed:\n{result.stderr}"
    if expected is not None:
        assert result.stdout == expected, f"{page}:{line} printed something else"
