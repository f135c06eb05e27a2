"""Huge inputs against a normal corpus, in one run: peak memory and seconds per MB of the whole pipeline.

    .venv/bin/python -m bench.large_inputs [--corpora ../shared/corpora] [--cases baseline,page,...] [--keep DIR]

Each case is a fresh `newslake run` (python -m flows.cli, NLP included) in a process of its own, on inputs generated
into a temporary folder from AllSides article texts (allsides_news/articles.jsonl.gz; nothing is written into the
repository):
  baseline       --baseline-n AllSides articles (default 200) as one JSON lines file: what a normal corpus costs
  page           one HTML page of --page-mb MB (default 50): a live page whose posts and comments are all text
  page-scripts   one HTML page of --page-mb MB that is mostly inline scripts, styles and base64 images around one
                 ordinary article
  records        --records one-word JSON records (default 1,000,000), each word a new one
  records-same   --records one-word JSON records, all the same word: one article, the rest duplicates
  jsonl          --jsonl-mb MB of JSON lines (default 300) made of AllSides articles with their sentences shuffled,
                 so no two are the same; --jsonl-unique N makes only N of them differ (the rest repeat them and are
                 quarantined as duplicates before NLP: ingest and clean see every record, NLP the N)
Prints, per case, the input's size, the flow's seconds (its own summary: without process start and the Prefect
server's start) per MB, and peak resident memory sampled every 0.2 s: of the newslake process, of the Prefect
server it starts, and of both with any worker processes; then the flow's peak memory at the end of each stage.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from itertools import cycle, islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ("baseline", "page", "page-scripts", "records", "records-same", "jsonl")
MB = 1024 * 1024
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def allsides(corpora: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        yield from (json.loads(line) for line in fh)


def write_baseline(corpora: Path, n: int, path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in islice(allsides(corpora), n):
            fh.write(json.dumps(record) + "\n")


def _texts(corpora: Path, n: int = 2000) -> list[str]:
    return [r["text"] if isinstance(r.get("text"), str) else " ".join(r.get("text") or [])
            for r in islice(allsides(corpora), n)]


def write_page(corpora: Path, size: int, path: Path, *, scripts: bool) -> None:
    """A page of ``size`` bytes: posts and comments all of text, or (``scripts``) one article inside inline
    scripts, styles and base64 images, the way a single-page app ships its state."""
    texts = _texts(corpora)
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Live: the day in news | The Daily Example'
                 '</title><meta property="og:site_name" content="The Daily Example"><script type="application/ld+json">'
                 '{"@type": "NewsArticle", "datePublished": "2020-06-02T10:00:00Z", "author": {"name": "Ann Lee"}}'
                 "</script></head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><main><article>"
                 "<h1>Live: the day in news</h1>")
        written = 600
        if scripts:
            for paragraph in texts[0].split("\n"):
                if paragraph.strip():
                    fh.write(f"<p>{paragraph}</p>\n")
            fh.write("</article></main>")
            while written < size:
                kind = rng.randrange(3)
                if kind == 0:
                    block = ("<script>window.__STATE__ = " + json.dumps({"items": rng.sample(texts, 20)})
                             + ";</script>\n")
                elif kind == 1:
                    block = "<style>" + "".join(f".c{n}{{margin:{n}px}}" for n in range(20_000)) + "</style>\n"
                else:
                    block = '<img alt="" src="data:image/jpeg;base64,' + "QUJDRA" * 150_000 + '">\n'
                fh.write(block)
                written += len(block)
        else:
            number = 0
            while written < size:
                number += 1
                text = rng.choice(texts)
                block = (f"<div class='post' id='p{number}'><h3>Update {number}</h3>"
                         + "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip()) + "</div>\n")
                fh.write(block)
                written += len(block.encode())
            fh.write("</article></main>")
        fh.write("<footer>© The Daily Example</footer></body></html>\n")


def write_records(n: int, path: Path, *, same: bool = False) -> None:
    """``n`` one-word records, each word a new one (so each is an article of its own), or all the same word."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    with path.open("w", encoding="utf-8") as fh:
        for number in range(n):
            if same:
                fh.write(json.dumps({"id": number, "text": "Tide"}) + "\n")
                continue
            word, k = [], number
            for _ in range(5):
                k, r = divmod(k, 26)
                word.append(letters[r])
            fh.write(json.dumps({"id": number, "text": "Tide" + "".join(word)}) + "\n")


def write_jsonl(corpora: Path, size: int, unique: int | None, path: Path) -> int:
    """About ``size`` bytes of JSON lines: AllSides records, their sentences shuffled and their ids and URLs
    numbered, so that each is a new article (or, with ``unique``, the first ``unique`` of them repeated)."""
    records = list(islice(allsides(corpora), 4000))
    rng = random.Random(11)
    written = count = 0
    lines: list[str] = []
    with path.open("w", encoding="utf-8") as fh:
        for number, record in enumerate(cycle(records)):
            if written >= size:
                break
            if unique is not None and number >= unique:
                line = lines[number % unique]
            else:
                text = record["text"] if isinstance(record.get("text"), str) else " ".join(record.get("text") or [])
                sentences = _SENTENCE.split(text)
                rng.shuffle(sentences)
                varied = dict(record, text=" ".join(sentences), id=f"v{number}",
                              url=f"{record.get('url') or 'https://example.com/a'}?v={number}")
                line = json.dumps(varied) + "\n"
                if unique is not None:
                    lines.append(line)
            fh.write(line)
            written += len(line.encode())
            count += 1
    return count


class TreePeak:
    """Peak resident memory of a process, of its Prefect server child and of the whole tree, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.peak = {"flow": 0.0, "server": 0.0, "tree": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {key: round(value / MB, 1) for key, value in self.peak.items()}

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.2):
            try:
                now = {"flow": self.process.memory_info().rss, "server": 0, "tree": self.process.memory_info().rss}
                for child in self.process.children(recursive=True):
                    try:
                        rss = child.memory_info().rss
                        now["tree"] += rss
                        if "uvicorn" in " ".join(child.cmdline()) or "server" in " ".join(child.cmdline()):
                            now["server"] += rss
                    except psutil.Error:
                        continue
            except psutil.Error:
                return
            for key, value in now.items():
                self.peak[key] = max(self.peak[key], value)


def run_case(inputs: Path, out: Path, log: Path, workers: int, max_input_mb: float) -> dict[str, Any]:
    env = dict(os.environ, PREFECT_LOGGING_LEVEL="INFO")
    command = [sys.executable, "-m", "flows.cli", "run", str(inputs), "--out", str(out), "--workers", str(workers),
               "--max-input-mb", str(max_input_mb)]
    started = time.perf_counter()
    with log.open("w") as fh:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        sampler = TreePeak(process.pid)
        code = process.wait()
        peak = sampler.stop()
    wall = time.perf_counter() - started
    summary = None
    for line in log.read_text(errors="replace").splitlines():
        if " - run: {" in line:
            summary = json.loads(line.split(" - run: ", 1)[1])
    return {"exit": code, "wall": wall, "peak": peak, "summary": summary}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--baseline-n", type=int, default=200)
    parser.add_argument("--page-mb", type=float, default=50)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--jsonl-mb", type=float, default=300)
    parser.add_argument("--jsonl-unique", type=int, default=None)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-input-mb", type=float, default=1024, help="passed on: the inputs exceed the default")
    parser.add_argument("--keep", type=Path, default=None, help="write inputs, warehouses and logs here (kept)")
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    if unknown := set(cases) - set(CASES):
        parser.error(f"unknown cases {sorted(unknown)}")
    with tempfile.TemporaryDirectory(prefix="newslake-large-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        for case in cases:
            folder = work / case
            folder.mkdir(exist_ok=True)
            note = ""
            if case == "baseline":
                inputs = folder / "allsides.jsonl"
                write_baseline(args.corpora, args.baseline_n, inputs)
            elif case in ("page", "page-scripts"):
                inputs = folder / "page.html"
                write_page(args.corpora, int(args.page_mb * MB), inputs, scripts=case == "page-scripts")
            elif case in ("records", "records-same"):
                inputs = folder / "words.jsonl"
                write_records(args.records, inputs, same=case == "records-same")
            else:
                inputs = folder / "big.jsonl"
                count = write_jsonl(args.corpora, int(args.jsonl_mb * MB), args.jsonl_unique, inputs)
                note = f"{count:,} records" + (f", {args.jsonl_unique:,} unique" if args.jsonl_unique else "")
            size_mb = inputs.stat().st_size / MB
            print(f"[{case}] {size_mb:.1f} MB input; running ...", flush=True)
            result = run_case(inputs, folder / "warehouse", folder / "run.log", args.workers, args.max_input_mb)
            result.update(case=case, mb=size_mb, note=note)
            rows.append(result)
            summary = result["summary"] or {}
            print(f"[{case}] exit {result['exit']}, {summary.get('seconds', float('nan'))} s flow, "
                  f"{result['wall']:.0f} s wall, peak {result['peak']}; articles {summary.get('articles_in_run')}, "
                  f"quarantined {summary.get('quarantined')}", flush=True)
        base = next((r for r in rows if r["case"] == "baseline" and r["summary"]), None)
        base_rate = base["summary"]["seconds"] / base["mb"] if base else None
        print("\n| case | input MB | articles | quarantined | flow s | s/MB | x baseline s/MB | peak MB newslake "
              "| peak MB Prefect server | peak MB tree |")
        print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            s = r["summary"] or {}
            rate = s["seconds"] / r["mb"] if s else float("nan")
            ratio = f"{rate / base_rate:.2f}" if base_rate and s else "-"
            print(f"| {r['case']}{' (' + r['note'] + ')' if r['note'] else ''} | {r['mb']:.1f} | "
                  f"{s.get('articles_in_run', '-')} | {s.get('quarantined', '-')} | {s.get('seconds', '-')} | "
                  f"{rate:.2f} | {ratio} | {r['peak']['flow']} | {r['peak']['server']} | {r['peak']['tree']} |")
        print("\nflow's peak RSS (MB) at the end of each stage, and seconds per stage:")
        for r in rows:
            s = r["summary"] or {}
            print(f"  {r['case']}: {s.get('stage_peak_rss_mb')}  {s.get('stage_seconds')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
