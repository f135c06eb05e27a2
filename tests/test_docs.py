"""The README stays true: its first commands, CI calling its test command, its data dictionary."""

from __future__ import annotations

import re

from tasks.dictionary import with_data_dictionary
from tests.conftest import ROOT


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", _readme(), re.S)
    assert first_block
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "data/samples" in makefile


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci.splitlines() if line.startswith("make")] == ["make test"]


def test_readme_data_dictionary_matches_the_schemas() -> None:
    readme = _readme()
    assert with_data_dictionary(readme) == readme, "run: .venv/bin/python -m tasks.dictionary README.md"
