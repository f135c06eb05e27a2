"""The layout holds: the import contracts in pyproject.toml pass, and they do fail on a back-import; no module is
long without saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
MAX_LINES = 300
LONG_REASON = "Longer than 300 lines because"  # what a long module's docstring says, with its reason


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}  # this tree's flows and tasks, not the installed ones
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "back_import", "broken"), [
    ("tasks/warehouse/run.py", "from tasks.aggregate import outlets", "tasks.warehouse is not allowed to import"),
    ("tasks/schemas.py", "from tasks.warehouse import storage", "tasks.schemas is not allowed to import"),
    ("tasks/nlp/quotes.py", "from tasks.clean import lines", "tasks.nlp is not allowed to import tasks.clean"),
    ("tasks/ingest/decode.py", "from flows import scheduling", "tasks.ingest is not allowed to import flows"),
])
def test_a_back_import_breaks_the_contracts(tmp_path: Path, module: str, back_import: str, broken: str) -> None:
    for part in ("flows", "tasks", "pyproject.toml"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / part)
    target = tmp_path / module
    future = "from __future__ import annotations\n"
    text = target.read_text(encoding="utf-8")
    assert future in text
    target.write_text(text.replace(future, f"{future}{back_import}\n", 1), encoding="utf-8")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert broken in " ".join(result.stdout.split()), result.stdout


def test_no_module_is_long_without_saying_why() -> None:
    long = []
    for path in sorted([*ROOT.glob("flows/*.py"), *ROOT.glob("tasks/**/*.py")]):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and LONG_REASON not in text[:2000]:
            long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert not long, long
