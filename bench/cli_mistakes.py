"""Common mistakes on the command line, as a user makes them: each ``newslake`` command in a process of its own,
timed from start to exit, with its exit status and what it printed. The issue's goal: one line within 3 s (they
took 15-20 s of Prefect start-up and two tracebacks).

    .venv/bin/python -m bench.cli_mistakes

Baseline for the ratio: ``newslake --version`` in the same way (the interpreter and the command's own imports).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 3.0


def newslake(*args: str) -> tuple[float, int, list[str]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return time.perf_counter() - started, done.returncode, lines


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "a.txt").write_text("An article of a few words.", encoding="utf-8")
        (folder / "notes.xyz").write_text("Not an input.", encoding="utf-8")
        (folder / "taken").mkdir()
        (folder / "taken" / "x").write_text("mine", encoding="utf-8")
        mistakes = {
            "--out is a file": ["run", str(folder / "a.txt"), "--out", str(folder / "a.txt")],
            "an unknown --field": ["run", str(folder / "a.txt"), "--out", str(folder / "w"), "--field", "txet=body"],
            "--batch-size 0": ["run", str(folder / "a.txt"), "--out", str(folder / "w"), "--batch-size", "0"],
            "a model that is not installed": ["run", str(folder / "a.txt"), "--out", str(folder / "w"), "--model",
                                              "en_core_web_xl"],
            "every input missing": ["run", str(folder / "gone.txt"), "--out", str(folder / "w")],
            "only an unsupported file": ["run", str(folder / "notes.xyz"), "--out", str(folder / "w")],
            "export over a folder in use": ["export", str(folder / "w"), str(folder / "taken")],
        }
        base, _, _ = newslake("--version")
        print(f"baseline: newslake --version {base:.2f} s")
        worst = 0.0
        for name, args in mistakes.items():
            seconds, status, lines = newslake(*args)
            worst = max(worst, seconds)
            print(f"{name:32} {seconds:5.2f} s ({seconds / base:4.1f}x baseline)  status {status}  "
                  f"{len(lines)} line(s): {lines[0] if lines else ''}")
        print(f"slowest {worst:.2f} s; goal < {GOAL_SECONDS:.0f} s: {'met' if worst < GOAL_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
