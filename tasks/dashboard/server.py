"""``newslake dashboard DIR``: a page per question and a JSON answer per chart, served on 127.0.0.1 by the standard
library's threading HTTP server.

Chosen by measurement (bench/dashboard_frameworks.py, README "Dashboard"): the same one-chart app drew its chart
soonest and held the least memory as a static page fetching JSON from a small server, against Dash, Streamlit and
Panel, and it adds one dependency (plotly, for the plotly.min.js it ships). The browser needs no network: the page,
its script, plotly.js and the map's country outlines (``geometry``) all come from this server.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb

from tasks.dashboard import DEFAULT_PORT
from tasks.dashboard import queries as q
from tasks.dashboard.geometry import countries_geojson
from tasks.dashboard.reader import Warehouse

log = logging.getLogger(__name__)

PAGES = ("trends", "entities", "map", "stories", "quotes", "outlets", "health")
STATIC = files("tasks.dashboard") / "static"
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".geojson": "application/geo+json"}
Params = dict[str, str]


class BadRequest(ValueError):
    """A filter the dashboard cannot read (a date that is not YYYY-MM-DD)."""


def plotly_js() -> Path:
    """plotly.js as the plotly package ships it, so the page loads no script from the network (found, not
    imported: the Python side of plotly costs ~40 MB the dashboard would hold for nothing)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("plotly is not installed: pip install plotly")
    return Path(spec.submodule_search_locations[0]) / "package_data" / "plotly.min.js"


def filters(params: Params) -> q.Filters:
    def day(name: str) -> dt.date | None:
        text = params.get(name, "").strip()
        try:
            return dt.date.fromisoformat(text) if text else None
        except ValueError:
            raise BadRequest(f"{name}: expected a date YYYY-MM-DD, got {text!r}") from None

    return q.Filters(start=day("from"), end=day("to"), outlet=params.get("outlet") or None)


def _ids(params: Params) -> list[str]:
    return [i for i in params.get("entities", "").split(",") if i][:q.MAX_ENTITIES]


def _attention(wh: Warehouse, params: Params) -> dict[str, Any]:
    chosen = q.resolve_entities(wh, _ids(params), filters(params))
    return {"entities": chosen, **q.attention(wh, [e["entity_id"] for e in chosen], filters(params))}


def _top_entities(wh: Warehouse, params: Params) -> dict[str, Any]:
    f = filters(params)
    return {"people": q.top_entities(wh, q.PEOPLE, f), "organisations": q.top_entities(wh, q.ORGANISATIONS, f),
            "places": q.top_entities(wh, q.PLACES, f)}


def _quotes(wh: Warehouse, params: Params) -> dict[str, Any]:
    f = filters(params)
    return {"speakers": q.speakers(wh, f), "quotes": q.quotes(wh, params.get("speaker") or None, f)}


ANSWERS: dict[str, Callable[[Warehouse, Params], Any]] = {
    "meta": lambda wh, p: {"version": wh.version(), "outlets": q.outlet_choices(wh), **q.period_bounds(wh)[0]},
    "search": lambda wh, p: q.search_entities(wh, p.get("q", "")) if p.get("q", "").strip() else [],
    "attention": _attention,
    "top_entities": _top_entities,
    "countries": lambda wh, p: q.countries(wh, filters(p)),
    "stories": lambda wh, p: q.stories(wh, filters(p)),
    "quotes": _quotes,
    "outlets": lambda wh, p: q.outlets_side_by_side(wh, filters(p)),
    "health": lambda wh, p: q.health(wh),
}


class Handler(BaseHTTPRequestHandler):
    """GET only: ``/<page>`` the page, ``/static/<file>`` its files, ``/api/<answer>?filters`` a chart's data."""

    warehouse: Warehouse
    server_version = "newslake-dashboard"

    def __init__(self, *args: Any, warehouse: Warehouse, **kwargs: Any) -> None:
        self.warehouse = warehouse
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        if path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/trends" + (f"?{url.query}" if url.query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path.lstrip("/") in PAGES:
            self._send(HTTPStatus.OK, (STATIC / "page.html").read_bytes(), STATIC_TYPES[".html"], cache=False)
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        elif path == "/static/plotly.min.js":
            self._send(HTTPStatus.OK, plotly_js().read_bytes(), STATIC_TYPES[".js"], cache=True)
        elif path == "/static/countries.geojson":  # the map's outlines: plotly.js would fetch its own from a CDN
            self._send(HTTPStatus.OK, countries_geojson(), STATIC_TYPES[".geojson"], cache=True)
        elif path.startswith("/static/") and (name := path.removeprefix("/static/")) in {"app.js", "app.css"}:
            self._send(HTTPStatus.OK, (STATIC / name).read_bytes(), STATIC_TYPES[Path(name).suffix], cache=False)
        elif path.startswith("/api/") and (answer := ANSWERS.get(path.removeprefix("/api/"))):
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            try:
                body = json.dumps(answer(self.warehouse, params)).encode()
            except BadRequest as problem:
                self._send(HTTPStatus.BAD_REQUEST, json.dumps({"error": str(problem)}).encode(), "application/json")
                return
            except (duckdb.Error, OSError) as problem:  # e.g. a view of the user's views.sql that no longer binds
                log.warning("%s: %s", self.path, problem)
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, json.dumps({"error": str(problem)}).encode(),
                           "application/json")
                return
            self._send(HTTPStatus.OK, body, "application/json", cache=False)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, kind: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # plotly.js changes only with the package; pages and answers change with every commit
        self.send_header("Cache-Control", "max-age=86400" if cache else "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def make_server(out: str | Path, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:port (0: any free port), not yet serving."""
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, warehouse=Warehouse(out)))
    server.daemon_threads = True
    return server


def serve(out: str | Path, port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted, after printing the address to open."""
    server = make_server(out, port)
    print(f"newslake: dashboard of {out} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C stops it)",
          flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
