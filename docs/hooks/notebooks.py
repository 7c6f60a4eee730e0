"""mkdocs hook: the example notebooks (``examples/*.ipynb``, committed without outputs)
become pages under ``examples/``; mkdocs-jupyter runs each one as the site is built, so
the site shows them with fresh outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]


@event_priority(100)  # before mkdocs-jupyter looks at the files
def on_files(files: Files, config: Any) -> Files:
    for notebook in sorted((ROOT / "examples").glob("*.ipynb")):
        files.append(File(f"examples/{notebook.name}", src_dir=str(ROOT),
                          dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files
