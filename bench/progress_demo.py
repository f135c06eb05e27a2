"""The progress display on a terminal, shown on a 2,000-article run: writes 2,000 short synthetic articles (JSON
lines made up here, 20 files of 100) into a temporary folder, runs ``newslake run`` on them under a pseudo-terminal,
as a person at a terminal would, and prints the display's successive states as the terminal showed them.

    .venv/bin/python -m bench.progress_demo [-n 2000] [--files 20] [--frames 12] [--raw FILE]

--raw keeps everything the terminal received (escape sequences included), to replay with ``cat FILE``.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours, cursor moves, hide/show cursor
PLACES = ["Harbor City", "Millbrook", "Eastvale", "Port Ilsen", "Ridgeford", "Lake Amsel", "Norwick", "Calder Bay"]
PEOPLE = ["Alda Brenn", "Tomas Vale", "Irene Okafor", "Marek Lind", "Sofia Trell", "Jonah Pike", "Nadia Ferro"]
GROUPS = ["the transit office", "the city council", "the water board", "the school district", "the port authority"]
TOPICS = ["a new tram line", "the budget vote", "flood repairs", "a teachers' contract", "the ferry timetable",
          "a library reopening", "the bridge inspection", "a housing plan"]
OUTLETS = ["The Harbor Ledger", "Millbrook Daily", "Eastvale Courier", "Ridgeford Post"]


def article(rng: random.Random, number: int) -> dict[str, str]:
    place, person, group, topic = (rng.choice(PLACES), rng.choice(PEOPLE), rng.choice(GROUPS), rng.choice(TOPICS))
    sentences = [f"{person} of {group} in {place} spoke about {topic} on Tuesday.",
                 f"\"We expect work to start within {rng.randint(2, 11)} weeks,\" {person.split()[0]} said.",
                 f"Residents of {place} asked {group} for details at a meeting that ran {rng.randint(1, 3)} hours.",
                 f"The plan would cost about {rng.randint(2, 90)} million dollars, according to {group}.",
                 f"A second meeting in {rng.choice(PLACES)} is set for next month."]
    outlet = rng.choice(OUTLETS)
    return {"id": f"demo-{number}", "title": f"{place}: {topic} ({number})", "text": " ".join(sentences),
            "outlet": outlet, "url": f"https://{outlet.lower().replace(' ', '')}.example/news/{number}",
            "published": f"2024-05-{1 + number % 28:02d}"}


def under_terminal(command: list[str], columns: int) -> bytes:
    """What ``command`` writes to a terminal (its stdout and stderr), read from a pseudo-terminal's far end."""
    main_fd, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "40", "TERM": "xterm-256color"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=terminal, stdout=terminal, stderr=terminal,
                            start_new_session=True)
    os.close(terminal)
    received = bytearray()
    while True:
        try:
            data = os.read(main_fd, 65536)
        except OSError:  # EIO: every process holding the terminal has ended
            break
        if not data:
            break
        received += data
    os.close(main_fd)
    if proc.wait() != 0:
        sys.exit(f"newslake run failed ({proc.returncode}):\n{received.decode(errors='replace')[-3000:]}")
    return bytes(received)


def frames(received: bytes) -> list[str]:
    """The display's successive states: each redraw of its line, without escape sequences, repeats dropped."""
    shown: list[str] = []
    for line in re.split(r"[\r\n]+", ESCAPES.sub("", received.decode(errors="replace"))):
        line = line.rstrip()
        if line and (not shown or line != shown[-1]):
            shown.append(line)
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="articles (default 2000)")
    parser.add_argument("--files", type=int, default=20, help="JSONL files they are written to (default 20)")
    parser.add_argument("--frames", type=int, default=12, help="states of the display printed (default 12)")
    parser.add_argument("--raw", type=Path, default=None, help="keep what the terminal received in this file")
    args = parser.parse_args()
    rng = random.Random(21)
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        per_file = -(-args.n // args.files)
        for start in range(0, args.n, per_file):
            lines = [json.dumps(article(rng, i)) for i in range(start, min(start + per_file, args.n))]
            (inbox / f"export-{start // per_file:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        received = under_terminal([sys.executable, "-m", "flows.cli", "run", str(inbox), "--out",
                                   str(Path(tmp) / "w"), "--workers", "2"], columns=150)
    if args.raw:
        args.raw.write_bytes(received)
    shown = frames(received)
    live = [i for i, line in enumerate(shown) if "files " in line and "articles" in line]
    print(f"{len(live)} states of the display among {len(shown)} lines the terminal showed; {args.frames} of them:")
    step = max(1, len(live) // max(1, args.frames - 1))
    picked = sorted({*live[::step], *live[-1:]})
    print("\n".join(shown[i] for i in picked))
    print("...then, after the display:")
    print("\n".join(shown[max(picked, default=0) + 1:]))


if __name__ == "__main__":
    main()
