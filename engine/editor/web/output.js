// The node output viewer: a tab per output port, a Flow Variables tab, paged and sortable tables.
import { api, el, fmtValue, portSvg } from "./common.js";

const PAGE = 100;
const COLS = 60;

export class OutputView {
  constructor(app) {
    this.app = app;
    this.tabs = document.getElementById("output-tabs");
    this.body = document.getElementById("output-body");
    this.node = null;
    this.port = 1;
    this.offset = 0;
    this.colOffset = 0;
    this.sort = null;
    this.desc = false;
    this.seq = 0;
    this.colFilter = "";
    this.showStats = false;
  }

  show(nodeId, port) {
    if (nodeId !== this.node || (port !== undefined && port !== this.port)) {
      this.node = nodeId;
      this.port = port === undefined ? 1 : port;
      this.resetPaging();
    }
    this.render();
  }

  // the console: node log messages and warnings of this page's runs
  showConsole() {
    this.port = -1;
    this.render();
  }

  resetPaging() {
    this.offset = 0;
    this.colOffset = 0;
    this.sort = null;
    this.desc = false;
  }

  refreshIfShowing(nodeId) {
    if (this.node !== null && (nodeId === undefined || nodeId === this.node)) this.render();
  }

  render() {
    const app = this.app;
    this.tabs.replaceChildren();
    if (this.port === -1) return this.renderConsole();
    if (this.node === null || !app.doc) {
      this.body.replaceChildren(el("div", { class: "placeholder", text: "Select a node to see its output." }));
      return;
    }
    const entry = app.entry(this.node);
    if (!entry) {
      this.node = null;
      this.render();
      return;
    }
    const info = app.infoOf(entry);
    const outs = info ? info.outputs : [];
    if (this.port > outs.length) this.port = outs.length ? 1 : 0;
    outs.forEach((p, i) => {
      const t = el("div", { class: "tab" + (this.port === i + 1 ? " active" : ""), dataset: { port: String(i + 1) },
        onclick: () => { this.port = i + 1; this.resetPaging(); this.render(); } });
      const icon = el("span", { class: "pt", html: portSvg(app.portTypes[p.type], false) });
      t.append(icon, `${i + 1}: ${p.name}`);
      this.tabs.append(t);
    });
    this.tabs.append(el("div", { class: "tab" + (this.port === 0 ? " active" : ""), dataset: { port: "0" },
      onclick: () => { this.port = 0; this.render(); } }, el("span", { class: "pt", html: portSvg(app.portTypes.variables, false) }), "Flow Variables"));
    this.tabs.append(this.consoleTab());
    this.load();
  }

  consoleTab() {
    const n = (this.app.console || []).filter((m) => m.level === "warning").length;
    return el("div", { class: "tab console-tab" + (this.port === -1 ? " active" : ""), dataset: { port: "console" },
      onclick: () => this.showConsole() }, "Console", n ? el("span", { class: "warn-count", text: String(n) }) : null);
  }

  renderConsole() {
    if (this.node !== null && this.app.entry(this.node)) {
      this.tabs.append(el("div", { class: "tab", dataset: { port: "1" }, onclick: () => { this.port = 1; this.render(); } }, "◀ Node output"));
    }
    this.tabs.append(this.consoleTab());
    const list = this.app.console || [];
    const box = el("div", { class: "console" });
    if (!list.length) box.append(el("div", { class: "placeholder", text: "No messages yet: node log messages and warnings show here while workflows run." }));
    for (const m of list) {
      box.append(el("div", { class: `cl ${m.level}`, dataset: { node: String(m.node) } },
        el("span", { class: "cl-time", text: new Date(m.time * 1000).toLocaleTimeString() }),
        el("span", { class: "cl-level", text: m.level === "warning" ? "WARN" : "INFO" }),
        el("span", { class: "cl-node", text: `#${m.node} ${m.name}` }), el("span", { class: "cl-msg", text: m.message })));
    }
    this.body.replaceChildren(box);
    this.body.dataset.port = "console";
    box.scrollTop = box.scrollHeight;
  }

  async load() {
    const app = this.app;
    const seq = ++this.seq;
    delete this.body.dataset.node;
    const st = app.statuses[this.node] || {};
    const live = st.state === "executing" && st.iteration; // a loop start shows its current pass
    if (st.state !== "executed" && !live) {
      const msg = st.state === "idle" ? "Configure the node first." : st.state === "executing" || st.state === "queued"
        ? "Output is available after execution." : "Execute the node first.";
      this.body.replaceChildren(el("div", { class: "placeholder", text: msg }));
      return;
    }
    const params = new URLSearchParams({ path: app.path, id: app.flatId(this.node), port: this.port, offset: this.offset,
      limit: PAGE, col_offset: this.colOffset, col_limit: COLS });
    if (this.sort) { params.set("sort", this.sort); params.set("desc", this.desc ? "true" : "false"); }
    if (this.colFilter) params.set("columns", this.colFilter);
    let data;
    try {
      data = await api("GET", "/api/workflow/port?" + params);
    } catch (e) {
      if (seq === this.seq) this.body.replaceChildren(el("div", { class: "placeholder", text: e.message }));
      return;
    }
    if (seq !== this.seq) return;
    const parts = [];
    if (data.kind === "none") parts.push(el("div", { class: "placeholder", text: data.message }));
    else if (data.kind === "variables") parts.push(this.variablesTable(data.variables));
    else if (data.kind === "model") parts.push(el("pre", { class: "model", text: `${data.model_kind}\n\n${data.summary || ""}` }));
    else if (data.kind === "object") parts.push(el("pre", { class: "model", text: data.summary }));
    if (data.kind === "view" || (data.kind === "table" && data.image !== undefined)) {
      if (data.title) parts.push(el("div", { class: "pager", text: data.title }));
      if (data.image) {
        const src = `/api/workflow/image?path=${encodeURIComponent(app.path)}&id=${app.flatId(this.node)}&port=${this.port}&t=${Date.now()}`;
        parts.push(el("img", { class: "view-img", src, alt: data.title || "view" }));
        const name = (data.title || "view").replace(/[^\w.-]+/g, "_");
        parts.push(el("div", { class: "view-save" }, "Save as ",
          el("a", { href: src + "&format=png", download: name + ".png", text: "PNG" }), " · ",
          el("a", { href: src + "&format=svg", download: name + ".svg", text: "SVG" })));
      }
    }
    if (data.kind === "table") parts.push(...(this.showStats ? [this.tableTools(data), await this.statsTable()] : [this.tableTools(data), ...this.table(data)]));
    if (seq !== this.seq) return;
    this.body.replaceChildren(...parts);
    this.body.dataset.node = String(this.node);
    this.body.dataset.port = String(this.port);
  }

  // column search and the Statistics switch above a table
  tableTools() {
    const search = el("input", { type: "search", class: "col-search", placeholder: "Search columns…", value: this.colFilter });
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.colFilter = search.value.trim(); this.colOffset = 0; this.load().then(() => this.body.querySelector(".col-search")?.focus()); }, 250);
    });
    search.addEventListener("keydown", (e) => e.stopPropagation());
    const stats = el("button", { class: "btn-stats" + (this.showStats ? " on" : ""), text: this.showStats ? "Table" : "Statistics",
      title: "Per-column statistics", onclick: () => { this.showStats = !this.showStats; this.load(); } });
    return el("div", { class: "table-tools" }, search, stats);
  }

  async statsTable() {
    let data;
    try {
      data = await api("GET", `/api/workflow/stats?path=${encodeURIComponent(this.app.path)}&id=${this.app.flatId(this.node)}&port=${this.port}`);
    } catch (e) { return el("div", { class: "placeholder", text: e.message }); }
    const q = this.colFilter.toLowerCase();
    const t = el("table", { class: "data stats-table" });
    const heads = ["Column", "Type", "Missing", "Min", "Max", "Mean", "Std. deviation", "Distinct", "Most common"];
    t.append(el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", { text: h })))));
    const tb = el("tbody");
    for (const c of data.columns) {
      if (q && !c.name.toLowerCase().includes(q)) continue;
      const f = (v) => (v === undefined || v === null ? "" : fmtValue(v));
      tb.append(el("tr", { dataset: { col: c.name } }, el("td", { text: c.name }), el("td", { text: c.type }), el("td", { class: "num", text: String(c.missing) }),
        el("td", { class: "num", text: f(c.min) }), el("td", { class: "num", text: f(c.max) }), el("td", { class: "num", text: f(c.mean) }),
        el("td", { class: "num", text: f(c.std) }), el("td", { class: "num", text: f(c.distinct) }),
        el("td", { text: c.most_common !== undefined ? `${c.most_common} (${c.most_common_count})` : "" })));
    }
    t.append(tb);
    return el("div", {}, el("div", { class: "pager", text: `Statistics of ${data.columns.length} columns over ${data.rows} rows` }), t);
  }

  variablesTable(vars) {
    const t = el("table", { class: "data vars-table" });
    t.append(el("thead", {}, el("tr", {}, el("th", { text: "Name" }), el("th", { text: "Type" }), el("th", { text: "Value" }))));
    const tb = el("tbody");
    for (const v of vars) tb.append(el("tr", {}, el("td", { text: v.name }), el("td", { text: v.type }), el("td", { text: fmtValue(v.value) })));
    t.append(tb);
    return vars.length ? t : el("div", { class: "placeholder", text: "No flow variables." });
  }

  table(data) {
    const nrows = data.row_ids.length;
    const first = nrows ? data.offset + 1 : 0;
    const last = data.offset + nrows;
    const c0 = data.col_offset + 1;
    const c1 = data.col_offset + data.columns.length;
    const pager = el("div", { class: "pager" },
      el("button", { text: "◀", title: "Previous rows", disabled: data.offset <= 0 || undefined,
        onclick: () => { this.offset = Math.max(0, this.offset - PAGE); this.load(); } }),
      el("span", { class: "rows-info", text: `Rows ${first}–${last} of ${data.total_rows}` }),
      el("button", { text: "▶", title: "Next rows", disabled: last >= data.total_rows || undefined,
        onclick: () => { this.offset += PAGE; this.load(); } }),
      el("span", { text: "·" }),
      el("span", { text: `${data.total_columns} column${data.total_columns === 1 ? "" : "s"}` }));
    if (data.total_columns > COLS) {
      pager.append(
        el("button", { text: "◀", title: "Previous columns", disabled: data.col_offset <= 0 || undefined,
          onclick: () => { this.colOffset = Math.max(0, this.colOffset - COLS); this.load(); } }),
        el("span", { text: `columns ${c0}–${c1}` }),
        el("button", { text: "▶", title: "Next columns", disabled: c1 >= data.total_columns || undefined,
          onclick: () => { this.colOffset += COLS; this.load(); } }));
    }
    const t = el("table", { class: "data" });
    const hr = el("tr");
    const sortable = (name, th) => {
      if (this.sort === name) th.classList.add(this.desc ? "sorted-desc" : "sorted-asc");
      th.addEventListener("click", () => {
        if (this.sort !== name) { this.sort = name; this.desc = false; }
        else if (!this.desc) this.desc = true;
        else { this.sort = null; this.desc = false; }
        this.offset = 0;
        this.load();
      });
      return th;
    };
    hr.append(sortable("RowID", el("th", { class: "rowid", title: "Sort by RowID" }, "RowID")));
    const numeric = [];
    const molecule = data.columns.map((c) => c.type === "SMILES");
    for (const c of data.columns) {
      hr.append(sortable(c.name, el("th", { title: `${c.name} (${c.type}) — click to sort`, dataset: { col: c.name } }, c.name, el("span", { class: "ctype", text: c.type }))));
      numeric.push(["Integer", "Long", "Double"].includes(c.type));
    }
    t.append(el("thead", {}, hr));
    const tb = el("tbody");
    const frag = document.createDocumentFragment();
    for (let r = 0; r < nrows; r++) {
      const tr = document.createElement("tr");
      const id = document.createElement("td");
      id.className = "rowid";
      id.textContent = data.row_ids[r];
      tr.append(id);
      const row = data.rows[r] || [];
      for (let c = 0; c < data.columns.length; c++) {
        const td = document.createElement("td");
        const v = row[c];
        if (v === null || v === undefined) { td.className = "missing"; td.textContent = "?"; }
        else if (molecule[c] && typeof v === "string") {
          // a molecule column drawn as structures (RDKit SVG), the SMILES in the tooltip
          td.className = "mol";
          td.title = v;
          const img = document.createElement("img");
          img.loading = "lazy";
          img.alt = v;
          img.src = `/api/molecule.svg?smiles=${encodeURIComponent(v)}`;
          td.append(img);
        } else { td.textContent = fmtValue(v); if (numeric[c]) td.className = "num"; }
        tr.append(td);
      }
      frag.append(tr);
    }
    tb.append(frag);
    t.append(tb);
    return [pager, t];
  }
}
