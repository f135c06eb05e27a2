// newslake dashboard: one page per question; every number comes from /api/<answer> (DuckDB on the server).
// The filters (from, to, outlet) live in the URL, so they carry across pages, reloads and shared links.
"use strict";

const params = new URLSearchParams(location.search);
const pageName = location.pathname.replace(/^\/+|\/+$/g, "") || "trends";
const FILTERS = ["from", "to", "outlet"];
const main = document.getElementById("page");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function query(extra = {}) {
  const out = new URLSearchParams();
  for (const key of FILTERS) if (params.get(key)) out.set(key, params.get(key));
  for (const [key, value] of Object.entries(extra)) if (value) out.set(key, value);
  return out.toString();
}

async function api(name, extra = {}) {
  const answer = await fetch(`/api/${name}?${query(extra)}`);
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

function go(extra) {  // the same page with changed parameters (filters kept)
  for (const [key, value] of Object.entries(extra)) value ? params.set(key, value) : params.delete(key);
  history.pushState(null, "", `${location.pathname}?${params}`);
  render();
}

function chart(traces, layout = {}, parent = main, kind = "chart") {  // in its place before plotting: plotly sizes it there
  const node = el("div", { class: kind });
  parent.append(node);
  Plotly.newPlot(node, traces, { margin: { t: 40, l: 60, r: 20, b: 60 }, ...layout },
                 { displaylogo: false, responsive: true });
  return node;
}

function bars(title, rows, label, value, extra = {}, parent = main) {  // horizontal bars, the largest on top
  const shown = rows.slice().reverse();
  return chart([{ type: "bar", orientation: "h", y: shown.map(r => r[label]), x: shown.map(r => r[value]),
                  ...extra }], { title: { text: title }, margin: { t: 40, l: 20, r: 20, b: 40 },
                                      yaxis: { automargin: true } }, parent);
}

function table(headers, rows) {
  return el("table", {}, el("tr", {}, headers.map(h => el("th", {}, h))),
            rows.map(cells => el("tr", {}, cells.map(c => el("td", {}, c)))));
}

const day = text => (text ? text.slice(0, 10) : "undated");
const list = items => (items || []).join(", ");
const none = text => el("p", { class: "note" }, text);

const PAGES = {
  async trends() {
    const answer = await api("attention", { entities: params.get("entities") });
    const chosen = answer.entities;
    const search = el("input", { type: "search", id: "entity-search", placeholder: "Search a name…", size: 30 });
    const suggestions = el("div", { id: "suggestions" });
    search.addEventListener("input", async () => {
      const found = search.value.trim() ? await api("search", { q: search.value }) : [];
      suggestions.replaceChildren(...found.map(e => el("button", {
        type: "button", onclick: () => go({ entities: [...new Set([...chosen.map(c => c.entity_id), e.entity_id])].join(",") }),
      }, `${e.canonical_name} (${e.label}, ${e.mention_count} mentions)`)));
    });
    const chips = chosen.map(e => el("span", { class: "chip" }, e.canonical_name, el("button", {
      type: "button", title: "remove",
      onclick: () => go({ entities: chosen.filter(c => c.entity_id !== e.entity_id).map(c => c.entity_id).join(",") }),
    }, "×")));
    main.append(el("h2", {}, "Attention over time"), el("p", {}, search, suggestions), el("p", {}, "Showing: ", chips));
    const dated = answer.rows.filter(r => r.day);
    const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
    const traces = chosen.flatMap((e, i) => {  // an entity's two lines in one colour
      const rows = dated.filter(r => r.entity_id === e.entity_id);
      const color = palette[i % palette.length];
      return [{ name: `${e.canonical_name}`, mode: "lines+markers", line: { color }, x: rows.map(r => r.day), y: rows.map(r => r.mentions) },
              { name: `${e.canonical_name} without duplicates`, mode: "lines+markers", line: { dash: "dot", color },
                x: rows.map(r => r.day), y: rows.map(r => r.mentions_excl_duplicates) }];
    });
    chart(traces, { title: { text: `Mentions per ${answer.bucket} (dotted: not counting articles that copy another)` },
                    xaxis: { type: "date", tickformat: "%Y-%m-%d" }, yaxis: { rangemode: "tozero" } });
    const undated = answer.rows.filter(r => !r.day);
    if (undated.length) main.append(none(`In articles without a date: ${undated.map(r => `${r.canonical_name} ${r.mentions} mentions`).join("; ")}.`));
  },

  async entities() {
    const top = await api("top_entities");
    main.append(el("h2", {}, "Most mentioned people, organisations and places"));
    const row = el("div", { class: "row" });
    main.append(row);
    for (const [key, title] of [["people", "People"], ["organisations", "Organisations"], ["places", "Places"]]) {
      if (!top[key].length) { row.append(none(`No ${key} in this period and outlet.`)); continue; }
      bars(title, top[key], "canonical_name", "mentions", {}, row);
    }
  },

  async map() {  // outlines from this server (/static/countries.geojson): plotly's base map would come from a CDN
    const [counts, outlines] = await Promise.all([api("countries"), fetch("/static/countries.geojson").then(r => r.json())]);
    const names = Object.fromEntries(outlines.features.map(f => [f.id, f.properties.name]));
    // plotly.js loads its world topojson for any geo trace, even with every base layer hidden as here: an empty one
    // registered under its name (scope world, resolution 110) stands in, so it fetches nothing from its CDN
    window.PlotlyGeoAssets = window.PlotlyGeoAssets || {};
    PlotlyGeoAssets.topojson = PlotlyGeoAssets.topojson || {};
    PlotlyGeoAssets.topojson.world_110m ??= { type: "Topology", objects: {}, arcs: [] };
    main.append(el("h2", {}, "Where the news is: articles naming a place in each country"));
    const every = outlines.features.map(f => f.id);
    const drawn = counts.filter(c => names[c.country_code]);
    const lines = { line: { color: "#ffffff", width: 0.5 } };
    chart([{ type: "choropleth", geojson: outlines, featureidkey: "id", locations: every, z: every.map(() => 0),
             colorscale: [[0, "#e5e7eb"], [1, "#e5e7eb"]], showscale: false, hoverinfo: "skip", marker: lines },
           { type: "choropleth", geojson: outlines, featureidkey: "id", locations: drawn.map(c => c.country_code),
             z: drawn.map(c => c.articles), colorscale: [[0, "#bfdbfe"], [1, "#1e3a8a"]], zmin: 0, marker: lines, colorbar: { title: { text: "articles" } },
             text: drawn.map(c => `${names[c.country_code]}: ${c.articles} articles, ${c.mentions} mentions`), hoverinfo: "text" }],
          { title: { text: "Articles per country (a country counts when an article names it, one of its regions or towns)" },
            geo: { visible: false, showframe: false, scope: "world", resolution: 110, projection: { type: "natural earth" } },
            height: 520,
            margin: { t: 40, l: 0, r: 0, b: 0 } }, main, "chart map");
    if (!counts.length) return main.append(none("No resolved places in this period and outlet."));
    main.append(table(["country", "articles", "mentions"],
      counts.map(c => [names[c.country_code] ? `${names[c.country_code]} (${c.country_code})` : c.country_code, c.articles, c.mentions])));
  },

  async stories() {
    const stories = await api("stories");
    main.append(el("h2", {}, "Stories and the outlets that covered them"));
    if (!stories.length) return main.append(none("No stories in this period and outlet."));
    bars("Outlets covering each story", stories.slice(0, 15).map(s => ({ ...s, short: s.title ? s.title.slice(0, 40) : s.story_id })),
         "short", "outlet_count");
    const end = a => (a ? `${day(a.published_at)} ${a.outlet || ""}: ${a.title || ""}` : "undated");
    main.append(table(["story", "outlets", "articles", "first article", "last article", "top entities"],
      stories.map(s => [s.title, list(s.outlets), s.article_count, end(s.first_article), end(s.last_article), list(s.top_entities)])));
  },

  async quotes() {
    const answer = await api("quotes", { speaker: params.get("speaker") });
    main.append(el("h2", {}, "Quotes by speaker"));
    if (!answer.speakers.length) return main.append(none("No attributed quotes in this period and outlet."));
    const node = bars("Quotes per speaker (click one)", answer.speakers, "speaker_name", "quotes",
                      { customdata: answer.speakers.slice().reverse().map(s => s.speaker_entity_id) });
    node.on("plotly_click", event => go({ speaker: event.points[0].customdata }));
    const who = answer.speakers.find(s => s.speaker_entity_id === params.get("speaker"));
    main.append(el("p", {}, who ? `Quotes of ${who.speaker_name} ` : "Latest attributed quotes ",
                   who ? el("button", { type: "button", onclick: () => go({ speaker: "" }) }, "all speakers") : ""));
    main.append(table(["speaker", "quote", "article", "outlet", "published"],
      answer.quotes.map(q => [q.speaker_name, `“${q.text}”`, q.title, q.outlet, day(q.published_at)])));
  },

  async outlets() {
    const outlets = await api("outlets");
    main.append(el("h2", {}, "Outlets side by side"));
    if (!outlets.length) return main.append(none("No articles in this period."));
    const names = outlets.map(o => o.name);
    const row = el("div", { class: "row" });
    main.append(row);
    chart([{ type: "bar", name: "articles", x: names, y: outlets.map(o => o.articles) },
           { type: "bar", name: "without duplicates", x: names, y: outlets.map(o => o.originals) }],
          { title: { text: "Articles" }, legend: { orientation: "h", y: 1.12 } }, row);
    chart([{ type: "bar", x: names, y: outlets.map(o => o.median_words) }], { title: { text: "Median length (words)" } }, row);
    chart([{ type: "bar", x: names, y: outlets.map(o => o.wire_credit_share) }],
          { title: { text: "Share with a wire-agency photo (all its articles)" }, yaxis: { tickformat: ".0%", range: [0, 1] } }, row);
    main.append(table(["outlet", "articles", "without duplicates", "median words", "mean tone", "wire-photo share", "top entities"],
      outlets.map(o => [o.name, o.articles, o.originals, o.median_words, o.mean_tone == null ? "" : o.mean_tone.toFixed(3), o.wire_credit_share == null ? "" : `${Math.round(o.wire_credit_share * 100)}%`, list(o.top_entities)])));
  },

  async health() {
    const h = await api("health");
    const i = h.inputs;
    main.append(el("h2", {}, "Warehouse health"), table(["version", "input files", "articles", "quarantined", "bytes read", "runs", "last processed"],
      [[h.version, i.files, i.articles ?? 0, i.quarantined ?? 0, i.bytes ?? 0, i.runs, i.last_processed_at || ""]]));
    const last = h.last_run[0];
    if (last) main.append(el("p", {}, `Last run: version ${last.version}, ${last.files} files, ${last.articles} articles, ${last.quarantined} quarantined, at ${last.processed_at}.`));
    const row = el("div", { class: "row" });
    main.append(row);
    bars("Rows per table", h.tables, "name", "row_count", {}, row);
    if (h.quarantine.length) bars("Quarantined records by reason", h.quarantine, "reason", "records", {}, row);
    else row.append(none("Nothing quarantined."));
    if (h.sources.length) main.append(el("h3", {}, "Sources (last poll)"), table(["outlet", "kind", "url", "status", "last polled", "new", "fetched", "errors", "error"],
      h.sources.map(s => [s.outlet, s.kind, s.url, s.status, s.last_polled_at, s.new, s.fetched, s.errors, s.error || ""])));
    else main.append(none("No sources polled yet (newslake run --sources FILE)."));
  },
};

async function render() {
  document.body.removeAttribute("data-ready");
  main.replaceChildren();
  for (const a of document.querySelectorAll("#nav a")) {
    a.href = `/${a.dataset.page}?${query()}`;
    a.classList.toggle("current", a.dataset.page === pageName);
  }
  try {
    await (PAGES[pageName] || PAGES.trends)();
  } catch (error) {
    main.append(el("p", { class: "error" }, `Could not load: ${error.message}`));
  }
  window.newslakeReadyAt = performance.now();  // bench.dashboard: the page drawn, from navigation start
  document.body.setAttribute("data-ready", "1");  // what a test or the benchmark waits for
}

async function start() {
  const form = document.getElementById("filters");
  for (const key of FILTERS) if (params.get(key)) form.elements[key].value = params.get(key);
  form.addEventListener("submit", event => {
    event.preventDefault();
    for (const key of FILTERS) form.elements[key].value ? params.set(key, form.elements[key].value) : params.delete(key);
    location.search = params.toString();
  });
  const meta = await api("meta");
  for (const o of meta.outlets) form.elements.outlet.append(el("option", { value: o.outlet_id }, `${o.name} (${o.article_count})`));
  form.elements.outlet.value = params.get("outlet") || "";
  document.getElementById("version").textContent = `version ${meta.version}; days ${meta.first_day || "?"} to ${meta.last_day || "?"}`;
  window.addEventListener("popstate", () => { for (const key of [...params.keys()]) params.delete(key);
    new URLSearchParams(location.search).forEach((v, k) => params.set(k, v)); render(); });
  await render();
}

start();
