"""docs/how-to/add-an-op.md, performed: its diff blocks are applied to a copy of the package
(``autograd/``, ``nn/``, ``tests/``, ``pyproject.toml`` and the accuracy page) to add
``atan``, then its ``./run`` steps run there in order, in subprocesses: atan's tests, its
``check_op``, the accuracy page regenerated (and held to a fresh run); a backward pass and a
second derivative check the new ``Value.atan``. A diff that no longer applies, or steps that
leave the op incomplete, fail here: the guide cannot drift from the package. The diffs
touch at most two files (the regenerated page is the output of a command, not an edit).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import need

need("torch")
need("mpmath")
need("numpy")

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "how-to" / "add-an-op.md"
PAGE = "docs/reference/accuracy.md"  # the page a step regenerates
COPIED = ("autograd", "nn", "tests", "pyproject.toml", PAGE)
MAX_FILES = 2  # the target: adding an op edits at most two files
DIFF = re.compile(r"^```diff\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
BASH = re.compile(r"^```bash\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Hunk:
    """One hunk of a diff block: ``old`` (context and removed lines) becomes ``new``
    (context and added lines) in ``path``. No line numbers: ``old`` must occur once."""

    path: str
    label: str
    old: str
    new: str


def hunks(text: str) -> list[Hunk]:
    """The hunks of every ```diff block of ``text``, in order. A block names its file in a
    ``+++ b/<path>`` header; each ``@@ <label> @@`` line starts a hunk; an empty line is an
    empty context line."""
    out = []
    for block in DIFF.finditer(text):
        path, label, old, new = None, None, [], []
        lines = block.group(1).splitlines()
        for line in [*lines, "@@"]:  # a last marker closes the last hunk
            if label is None and line.startswith(("--- ", "+++ ")):
                path = line[4:].removeprefix("b/") if line.startswith("+") else path
                continue
            if line.startswith("@@"):
                if label is not None:
                    assert path, f"a diff block of {GUIDE.name} names no file (+++ b/...)"
                    out.append(Hunk(path, label, "".join(old), "".join(new)))
                label, old, new = line.strip("@ ") or f"hunk {len(out) + 1}", [], []
                continue
            tag, body = (line[:1], line[1:]) if line else (" ", "")
            assert tag in " -+" and label is not None, f"not a diff line: {line!r}"
            if tag in " -":
                old.append(body + "\n")
            if tag in " +":
                new.append(body + "\n")
    return out


def apply(root: Path, hunk: Hunk) -> None:
    file = root / hunk.path
    text = file.read_text(encoding="utf-8")
    found = ("\n" + text).count("\n" + hunk.old)  # whole lines only
    assert found == 1, (f"{GUIDE.relative_to(ROOT)}: hunk '{hunk.label}' of {hunk.path} "
                        f"matches {found} places of the package, not 1: update the guide")
    at = ("\n" + text).index("\n" + hunk.old)
    file.write_text(text[:at] + hunk.new + text[at + len(hunk.old):], encoding="utf-8")


def guide_commands() -> list[str]:
    """The guide's ``./run`` commands, in order, but the whole suite (``./run -m pytest``
    alone: this file is part of it)."""
    return [line for block in BASH.finditer(GUIDE.read_text(encoding="utf-8"))
            for line in block.group(1).splitlines()
            if line.startswith("./run ") and line.strip() != "./run -m pytest"]


HUNKS = hunks(GUIDE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package with the guide's diffs applied."""
    root = tmp_path_factory.mktemp("add_an_op")
    skip = shutil.ignore_patterns("__pycache__", "node_modules", ".pytest_cache")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=skip)
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    for hunk in HUNKS:
        apply(root, hunk)
    return root


def run(copy: Path, command: str) -> subprocess.CompletedProcess[str]:
    """A ``./run`` command line of the guide (``> file`` redirects its output) in the copy,
    with this interpreter and the copy first on the path."""
    args = shlex.split(command)
    assert args[0] == "./run", command
    args[0] = sys.executable
    out = None
    if ">" in args:
        args, out = args[:args.index(">")], args[args.index(">") + 1]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": os.pathsep.join(
        [str(copy), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run(args, cwd=copy, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, (f"{command}\n{result.stdout[-4000:]}"
                                    f"{result.stderr[-3000:]}")
    if out is not None:
        (copy / out).write_text(result.stdout, encoding="utf-8")
    return result


def passed(result: subprocess.CompletedProcess[str]) -> int:
    """How many tests a pytest run passed."""
    found = re.findall(r"(\d+) passed", result.stdout)
    return int(found[-1]) if found else 0


def test_adding_atan_touches_at_most_two_files():
    touched = sorted({h.path for h in HUNKS})
    assert touched, f"{GUIDE.name} has no diff blocks"
    assert len(touched) <= MAX_FILES, touched
    assert any(p.startswith("autograd/") for p in touched), touched  # the op
    assert any(p.startswith("tests/") for p in touched), touched  # its oracles


def test_the_guides_commands_pass_in_the_copy(copy: Path):
    """Each ``./run`` step of the guide in turn: atan's tests (more than one ran), its
    ``check_op``, the accuracy page regenerated (and then held to a fresh run)."""
    commands = guide_commands()
    assert any("-m pytest" in c and "atan" in c for c in commands), commands
    assert any(c.endswith(f"> {PAGE}") for c in commands), commands
    for command in commands:
        result = run(copy, command)
        if "-m pytest" in command:
            assert passed(result) >= 10, result.stdout[-2000:]
        if "check_op" in command:
            assert result.stdout == "True\n", result.stdout
    page = (copy / PAGE).read_text(encoding="utf-8")
    assert "| `atan` | forward |" in page and "| `atan` | d/dx |" in page
    held = run(copy, "./run -m pytest tests/test_ulp.py -q -p no:cacheprovider -k fresh_run")
    assert passed(held) == 1, held.stdout[-2000:]


CHECK = """
import math
import sys

import autograd
from autograd import OPS, Value

assert autograd.__file__.startswith(sys.argv[1]), autograd.__file__  # the patched copy
x = Value(0.5)
y = x.atan()
y.backward()
assert y.data == math.atan(0.5), y.data
assert math.isclose(x.grad, 1 / (1 + 0.5**2), rel_tol=1e-15), x.grad
d2 = autograd.grad(autograd.grad(lambda v: v.atan()))(0.5)  # -2x/(1 + x²)²
assert math.isclose(d2, -2 * 0.5 / (1 + 0.5**2) ** 2, rel_tol=1e-12), d2
assert [str(f) for f in OPS["atan"].formulas("out", ["x"])] == ["1/(1 + x·x)"]
print("ok")
"""


def test_atan_backward_in_the_copy(copy: Path):
    result = run(copy, f"./run -c {shlex.quote(CHECK)} {shlex.quote(str(copy))}")
    assert result.stdout == "ok\n", result.stdout


def test_the_guides_edits_are_lint_clean(copy: Path):
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (./install.sh dev)")
    paths = " ".join(sorted({h.path for h in HUNKS}))
    run(copy, f"./run -m ruff check --no-cache {paths}")


def test_hunks_apply_only_where_they_match_once(tmp_path: Path):
    (tmp_path / "f.py").write_text("a = 1\nb = 2\nab = 1\n", encoding="utf-8")
    text = "```diff\n+++ b/f.py\n@@ one @@\n-b = 2\n+b = 3\n c = 4\n```\n"
    (hunk,) = hunks(text)
    with pytest.raises(AssertionError, match="matches 0 places"):
        apply(tmp_path, hunk)
    (hunk,) = hunks(text.replace(" c = 4\n", ""))
    apply(tmp_path, hunk)
    assert (tmp_path / "f.py").read_text(encoding="utf-8") == "a = 1\nb = 3\nab = 1\n"
    (hunk,) = hunks("```diff\n+++ b/f.py\n@@\n-b = 1\n+x\n```\n")  # 'ab = 1' is not a line
    with pytest.raises(AssertionError, match="matches 0 places"):
        apply(tmp_path, hunk)
