"""Which framework for ``newslake dashboard``: start time to the first page a browser shows, and peak memory, of the
same minimal app (one plotly line chart of a DuckDB query) in Streamlit, Dash, Panel and a static page served by
the standard library's ThreadingHTTPServer with the plotly package's own plotly.min.js.

    .venv/bin/python -m bench.dashboard_frameworks --python /tmp/fwvenv/bin/python [--repeat 3]

The candidates are not newslake's dependencies: install them in a scratch venv first
(``python3 -m venv /tmp/fwvenv && /tmp/fwvenv/bin/pip install streamlit dash panel plotly duckdb``) and name its
python with --python (the static page needs only plotly and duckdb there). Each app is a process of its own,
started cold; headless Chromium (/usr/bin/chromium, through Playwright) loads the page from the moment the process
starts, again until the chart's first point is drawn (``.js-plotly-plot .scatterlayer .trace``; no network, so a
page that wants a CDN never gets there). Figures per framework: seconds to first HTTP answer, seconds to the chart
drawn, peak RSS of the server's process tree (sampled every 0.05 s until the chart is drawn and 2 s after, which
covers Streamlit's and Panel's per-session script run), and the distributions the framework installs (its
requirement closure in that venv). The static page is the baseline every ratio is against.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

CHART_DRAWN = ".js-plotly-plot .scatterlayer .trace"
QUERY = "select range as x, (range * 7) % 11 as y from range(50)"

APPS = {
    "static": f'''
        import json, duckdb, plotly, sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from pathlib import Path
        JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        PAGE = b"""<!doctype html><script src="/plotly.min.js"></script><div id="c"></div><script>
        fetch("/data").then(r => r.json()).then(d => Plotly.newPlot("c", [{{x: d.x, y: d.y}}]));</script>"""
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/data":
                    rows = duckdb.sql("{QUERY}").fetchall()
                    data = {{"x": [r[0] for r in rows], "y": [r[1] for r in rows]}}
                    body, kind = json.dumps(data).encode(), "application/json"
                elif self.path == "/plotly.min.js":
                    body, kind = JS.read_bytes(), "text/javascript"
                else:
                    body, kind = PAGE, "text/html"
                self.send_response(200); self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
        ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    ''',
    "dash": f'''
        import sys, duckdb, plotly.graph_objects as go
        from dash import Dash, dcc
        rows = duckdb.sql("{QUERY}").fetchall()
        app = Dash(__name__)
        app.layout = dcc.Graph(figure=go.Figure(go.Scatter(x=[r[0] for r in rows], y=[r[1] for r in rows])))
        app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False)
    ''',
    "streamlit": f'''
        import duckdb, plotly.graph_objects as go, streamlit as st
        rows = duckdb.sql("{QUERY}").fetchall()
        st.plotly_chart(go.Figure(go.Scatter(x=[r[0] for r in rows], y=[r[1] for r in rows])))
    ''',
    "panel": f'''
        import duckdb, panel as pn, plotly.graph_objects as go
        rows = duckdb.sql("{QUERY}").fetchall()
        pn.pane.Plotly(go.Figure(go.Scatter(x=[r[0] for r in rows], y=[r[1] for r in rows]))).servable()
    ''',
}
DISTRIBUTIONS = {"static": ["plotly", "duckdb"], "dash": ["dash", "plotly", "duckdb"],
                 "streamlit": ["streamlit", "plotly", "duckdb"], "panel": ["panel", "plotly", "duckdb"]}
CLOSURE = """
import sys, re
from importlib.metadata import distribution, PackageNotFoundError
seen, todo = set(), sys.argv[1:]
while todo:
    name = re.split(r"[ ;<>=!~\\[(]", todo.pop())[0].lower().replace("_", "-")
    if name in seen: continue
    try: dist = distribution(name)
    except PackageNotFoundError: continue
    seen.add(name)
    todo += [r for r in dist.requires or [] if "extra ==" not in r]
print(len(seen))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(python: str, name: str, app: Path, port: int) -> list[str]:
    if name == "streamlit":
        return [python, "-m", "streamlit", "run", str(app), "--server.headless", "true", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    if name == "panel":
        return [python, "-m", "panel", "serve", str(app), "--port", str(port), "--address", "127.0.0.1"]
    return [python, str(app), str(port)]


def tree_rss_mb(proc: psutil.Process) -> float:
    try:
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except psutil.Error:
        return 0.0


def measure_once(python: str, name: str, browser, folder: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    app = folder / f"{name}_app.py"
    app.write_text(textwrap.dedent(APPS[name]), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    peak, done = [0.0], threading.Event()
    started = time.perf_counter()
    server = subprocess.Popen(command(python, name, app, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc = psutil.Process(server.pid)

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_mb(proc))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        first_answer = None
        while first_answer is None:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                first_answer = time.perf_counter() - started
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"{name} exited with {server.returncode}") from None
                time.sleep(0.02)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector(CHART_DRAWN, timeout=60_000)
        drawn = time.perf_counter() - started
        time.sleep(2)
        page.close()
    finally:
        done.set()
        sampler.join()
        server.terminate()
        server.wait(10)
    return {"first_answer_s": first_answer, "chart_drawn_s": drawn, "peak_rss_mb": peak[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="a python with streamlit, dash, panel, plotly and duckdb")
    parser.add_argument("--repeat", type=int, default=3, help="cold starts per framework (median reported)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        warm = browser.new_page()  # the browser's own first page costs more: not any framework's
        warm.set_content("<p>warm-up</p>")
        warm.close()
        for name in APPS:
            runs = [measure_once(args.python, name, browser, Path(scratch)) for _ in range(args.repeat)]
            results[name] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            closure = subprocess.run([args.python, "-c", CLOSURE, *DISTRIBUTIONS[name]], capture_output=True,
                                     text=True, check=True)
            results[name]["distributions"] = float(closure.stdout)
        browser.close()
    base = results["static"]
    print(f"{'framework':<10} {'first answer s':>15} {'chart drawn s':>14} {'x static':>9} {'peak RSS MB':>12} "
          f"{'x static':>9} {'distributions':>14}")
    for name, r in results.items():
        print(f"{name:<10} {r['first_answer_s']:>15.2f} {r['chart_drawn_s']:>14.2f} "
              f"{r['chart_drawn_s'] / base['chart_drawn_s']:>9.1f} {r['peak_rss_mb']:>12.0f} "
              f"{r['peak_rss_mb'] / base['peak_rss_mb']:>9.1f} {r['distributions']:>14.0f}")


if __name__ == "__main__":
    main()
