"""Regenerate every figure the README shows, into docs/images/ (needs matplotlib and dot).

Run:  python examples/make_figures.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "docs" / "images"
SCRIPTS = ["w5_update.py", "gradient_descent.py", "moons.py", "teacher_student.py",
           "house_prices.py"]

if __name__ == "__main__":
    TARGET.mkdir(parents=True, exist_ok=True)
    for script in SCRIPTS:
        print(f"== {script}")
        subprocess.run([sys.executable, str(HERE / script), str(TARGET)], check=True,
                       stdout=subprocess.DEVNULL)
    for path in sorted(TARGET.iterdir()):
        print(f"  {path.relative_to(HERE.parent)}  {path.stat().st_size:,} bytes")
