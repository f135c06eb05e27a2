"""How fast ``newslake dashboard`` shows a warehouse, and how much memory it holds: every page in headless Chromium.

    .venv/bin/python -m bench.dashboard DIR [--screenshots data/screenshots/NAME] [--chromium /usr/bin/chromium]

Starts ``newslake dashboard DIR`` as a process of its own and times its start to the first answer. Then each page
is opened cold (a new browser context, so no cached plotly.js; on the first of --repeat loads the server has never
answered that page's questions, so DuckDB runs every query) and again warm (reloaded: plotly.js from the browser's
cache, answers from the per-commit cache); medians of --repeat loads, and "first drawn", the very first load
(neither side has anything cached). Per page:
first paint (the browser's first-contentful-paint) and drawn (every chart plotted and table filled: the page's
``newslakeReadyAt``), both from navigation start. The baseline, measured first in the same browser: a page of the
same server that only loads plotly.min.js and draws one empty plot, the floor of any page here. Peak RSS of the
dashboard process is the kernel's (VmHWM) after every page. Screenshots (full page) go to --screenshots, by default
data/screenshots/<name of DIR>/ (git-ignored: on a warehouse of publishers' articles they show their text).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("trends", "entities", "map", "stories", "quotes", "outlets", "health")
BASELINE_PAGE = """<!doctype html><script src="/static/plotly.min.js"></script><div id="c"></div>
<script>Plotly.newPlot("c", [{x: [1], y: [1]}]); window.newslakeReadyAt = performance.now();</script>"""
FIRST_PAINT = "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def start_dashboard(out: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    """The dashboard as `newslake dashboard` runs it, and the seconds from its start to its first answer."""
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "flows.cli", "dashboard", str(out), "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/meta", timeout=60).close()
            return server, time.perf_counter() - started
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"newslake dashboard exited with {server.returncode}") from None
            time.sleep(0.02)


def timed_load(page: Any, url: str, reload: bool = False) -> tuple[float, float]:
    """(first paint, drawn) in seconds from navigation start."""
    if reload:
        page.reload()
    else:
        page.goto(url)
    page.wait_for_function("window.newslakeReadyAt !== undefined", timeout=120_000)
    paint, drawn = page.evaluate(f"[{FIRST_PAINT}, window.newslakeReadyAt]")
    return paint / 1000, drawn / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--repeat", type=int, default=3, help="loads of each page (medians printed)")
    args = parser.parse_args()
    shots = args.screenshots or ROOT / "data" / "screenshots" / args.warehouse.resolve().name
    shots.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, start_s = start_dashboard(args.warehouse, port)
    rows: list[tuple[str, float, float, float, float, float, float]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            warm_up = browser.new_page()  # the browser's own first page costs more: not the dashboard's
            warm_up.set_content("<p>warm-up</p>")
            warm_up.close()
            context = browser.new_context()
            page = context.new_page()
            page.route(f"{base}/baseline", lambda route: route.fulfill(body=BASELINE_PAGE, content_type="text/html"))
            floor = timed_load(page, f"{base}/baseline")
            context.close()
            # the first load of a page in each repeat after the first is cold for the browser only: the server has
            # answered it once, so its queries come from the per-commit cache
            for name in PAGES:
                loads = []
                for _ in range(args.repeat):
                    context = browser.new_context(viewport={"width": 1300, "height": 900})
                    page = context.new_page()
                    loads.append((*timed_load(page, f"{base}/{name}"),
                                  *timed_load(page, f"{base}/{name}", reload=True)))
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                    context.close()
                medians = [statistics.median(load[i] for load in loads) for i in range(4)]
                rows.append((name, loads[0][1], *medians, peak_rss_mb(server.pid)))
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    parquet_mb = sum(f.stat().st_size for f in args.warehouse.glob("*/*.parquet")) / 2**20  # the tables' folders
    print(f"warehouse {args.warehouse} ({parquet_mb:.0f} MB of Parquet); cores {os.cpu_count()}")
    print(f"newslake dashboard: first answer {start_s:.2f} s after the process started")
    print(f"baseline (plotly.min.js and one empty plot): first paint {floor[0]:.2f} s, drawn {floor[1]:.2f} s")
    print(f"{'page':<9} {'first drawn s':>13} {'cold paint s':>12} {'cold drawn s':>12} {'x base':>7} "
          f"{'warm paint s':>12} {'warm drawn s':>12} {'peak RSS MB':>12}")
    for name, first, cold_paint, cold_drawn, warm_paint, warm_drawn, rss in rows:
        print(f"{name:<9} {first:>13.2f} {cold_paint:>12.2f} {cold_drawn:>12.2f} {cold_drawn / floor[1]:>7.1f} "
              f"{warm_paint:>12.2f} {warm_drawn:>12.2f} {rss:>12.0f}")
    print(f"screenshots: {shots}")


if __name__ == "__main__":
    main()
