"The linter config in pyproject.toml holds for the library, the notebooks and the tests (line limit, no `;`-joined statements)."
import subprocess, sys
from pathlib import Path
from conftest import ROOT


def test_ruff_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    r = subprocess.run([str(ruff), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
