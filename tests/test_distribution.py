"""The import-time check that no other distribution owns the names ``autograd`` or ``nn``,
on fake distributions written into a temporary site folder."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from autograd import _distribution
from autograd._distribution import DistributionConflictError, check, conflicts

ROOT = Path(__file__).resolve().parent.parent


def fake_dist(site: Path, name: str, version: str, files: list[str],
              top_level: str | None = None) -> None:
    """Install a fake distribution ``name`` into ``site``: the metadata pip leaves, and the
    (empty) files its RECORD lists. The files must exist: from Python 3.13 on,
    ``Distribution.files`` leaves out the entries of RECORD that are not on disk."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).touch()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    if top_level is not None:
        (info / "top_level.txt").write_text(top_level)


def test_hips_autograd_is_found_by_the_quick_check(tmp_path):
    fake_dist(tmp_path, "autograd", "1.9.1", ["autograd/__init__.py", "autograd/core.py"])
    assert conflicts([str(tmp_path)]) == [("autograd", "autograd", "1.9.1")]
    with pytest.raises(DistributionConflictError, match="pip uninstall autograd"):
        check([str(tmp_path)])


def test_other_names_are_found_only_by_the_thorough_check(tmp_path):
    fake_dist(tmp_path, "neural-things", "2.0", [], top_level="nn\nthings\n")
    fake_dist(tmp_path, "unrelated", "1.0", ["unrelated/__init__.py", "nn_helpers.py"])
    assert conflicts([str(tmp_path)]) == []
    assert conflicts([str(tmp_path)], thorough=True) == [("nn", "neural-things", "2.0")]


def test_chainrule_itself_is_no_conflict(tmp_path):
    fake_dist(tmp_path, "chainrule", "0.1.0", ["autograd/__init__.py", "nn/__init__.py"])
    assert conflicts([str(tmp_path)], thorough=True) == []
    check([str(tmp_path)], thorough=True)


def test_this_environment_passes():
    check()


def test_a_module_loaded_from_elsewhere_is_named(monkeypatch, tmp_path):
    impostor = types.ModuleType("nn")
    impostor.__file__ = str(tmp_path / "nn" / "__init__.py")
    monkeypatch.setitem(sys.modules, "nn", impostor)
    with pytest.raises(DistributionConflictError, match="`import nn` loaded .*not chainrule's"):
        check()
    monkeypatch.undo()
    check()


def test_import_fails_clearly_when_hips_autograd_is_installed(tmp_path):
    site = tmp_path / "site"  # not the working folder, whose fake autograd/ would come first
    fake_dist(site, "autograd", "1.9.1", ["autograd/__init__.py"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    result = subprocess.run([sys.executable, "-c", "import nn"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DistributionConflictError" in result.stderr
    assert "the distribution autograd 1.9.1 also provides the import name `autograd`" \
        in result.stderr
    assert _distribution.ROOT == ROOT
