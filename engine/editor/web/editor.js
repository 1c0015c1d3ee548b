// knitflow editor: the workflow list, node repository, selection, annotations, minimap, keyboard shortcuts and
// the live WebSocket. The canvas itself is Drawflow (canvas.js); every edit is a server command.
import { Canvas, snap } from "./canvas.js";
import { api, catClass, el, esc, fuzzyScore, nodeIconUrl, svgEl, toast } from "./common.js";
import * as containers from "./containers.js";
import { NodeDialog } from "./dialog.js";
import { OutputView } from "./output.js";

const T0 = performance.now();

class App {
  constructor() {
    this.path = null;
    this.doc = null; // what the canvas shows: the document, or the workflow of an opened metanode (containers.js)
    this.fullDoc = null;
    this.scope = []; // the path of the opened metanode or component ([] at the top level)
    this.scopeEntry = null;
    this.allStatuses = {}; // by flat id (inner nodes: outer * 1e6 + inner); `statuses` by the view's ids
    this.version = -1;
    this.statuses = {};
    this.running = false;
    this.types = {};
    this.portTypes = {};
    this.compatible = {};
    this.sel = new Set();
    this.selConn = null;
    this.selAnn = null;
    this.dialog = null;
    this.openTabs = []; // the workflows open in tabs: {path, name, dirty}
    this.console = []; // node log messages and warnings (the Console tab)
    this.ws = null;
    this.pasteCount = 0;
    this.showMinimap = localStorage.getItem("knitflow.minimap") !== "0";
    this.canvas = document.getElementById("canvas");
    this.board = new Canvas(this, this.canvas);
    this.annEl = this.board.annEl;
    this.minimap = document.getElementById("minimap");
    this.outline = document.getElementById("outline");
    this.output = new OutputView(this);
  }

  // ---------------------------------------------------------------------------- startup

  async start() {
    this.bindUi();
    const [catalog, wfs] = await Promise.all([api("GET", "/api/nodes"), api("GET", "/api/workflows")]);
    for (const n of catalog.nodes) this.types[n.type] = n;
    this.catalog = catalog;
    this.portTypes = catalog.port_types;
    this.compatible = catalog.compatible;
    this.renderRepository();
    this.renderWorkflowList(wfs.workflows, wfs.skipped || []);
    const want = decodeURIComponent((location.hash.match(/wf=([^&]+)/) || [])[1] || "");
    // the tabs of the last visit come back (those whose files still exist)
    const known = new Set(wfs.workflows.map((w) => w.path));
    for (const p of JSON.parse(localStorage.getItem("knitflow.tabs") || "[]")) {
      const w = wfs.workflows.find((x) => x.path === p);
      if (known.has(p) && p !== want) this.openTabs.push({ path: p, name: w ? w.name : p, dirty: false });
    }
    this.renderTabs();
    if (want) await this.open(want);
    else if (wfs.workflows.length === 1) await this.open(wfs.workflows[0].path);
    else this.renderAll();
    document.body.dataset.ready = "1";
  }

  // a node's ports and names: its type's, a metanode's or component's own, or a port bar's
  infoOf(entry) {
    return containers.infoOf(this, entry);
  }

  flatId(id) {
    return containers.flatId(this, id);
  }

  entry(id) {
    return this.doc ? this.doc.nodes.find((n) => n.id === Number(id)) : null;
  }

  // ------------------------------------------------------------------------- workflows

  renderWorkflowList(list, skipped) {
    this.wfList = list;
    if (skipped !== undefined) this.wfSkipped = skipped;
    const ul = document.getElementById("wf-list");
    ul.replaceChildren(...list.map((w) => el("li", { class: w.path === this.path ? "active" : "", title: w.path, dataset: { path: w.path },
      onclick: () => this.open(w.path) }, w.name, w.name !== w.path.replace(/\.ya?ml$/i, "") ? el("span", { style: { color: "#999" } }, ` — ${w.path}`) : null)));
    if (!list.length) ul.append(el("li", { class: "repo-empty", text: "No workflows yet: create one with + New" }));
    for (const sk of this.wfSkipped || []) ul.append(el("li", { class: "skipped", title: `${sk.path}: ${sk.reason}`, dataset: { skipped: sk.path } }, `${sk.path} (skipped: ${sk.reason})`));
  }

  // several workflows open in tabs; each keeps its unsaved edits in its server session while another is shown
  renderTabs() {
    const bar = document.getElementById("wf-tabs");
    if (!bar) return;
    bar.replaceChildren(...this.openTabs.map((t) => {
      const tab = el("div", { class: "wf-tab" + (t.path === this.path ? " active" : ""), dataset: { path: t.path }, title: t.path,
        onclick: (e) => { if (!e.target.closest(".wf-tab-close") && t.path !== this.path) this.open(t.path); } },
        el("span", { class: "wf-tab-name", text: t.name || t.path }), t.dirty ? el("span", { class: "wf-tab-dirty", text: "●" }) : null,
        el("span", { class: "wf-tab-close", title: "Close", text: "×", onclick: () => this.closeTab(t.path) }));
      return tab;
    }));
    bar.hidden = !this.openTabs.length;
    localStorage.setItem("knitflow.tabs", JSON.stringify(this.openTabs.map((t) => t.path)));
  }

  async closeTab(path) {
    const tab = this.openTabs.find((t) => t.path === path);
    if (tab && tab.dirty && !confirm(`${path} has unsaved changes. Close it anyway? (They stay until the server stops.)`)) return;
    const i = this.openTabs.findIndex((t) => t.path === path);
    this.openTabs = this.openTabs.filter((t) => t.path !== path);
    if (path === this.path) {
      const next = this.openTabs[Math.min(i, this.openTabs.length - 1)];
      if (next) await this.open(next.path);
      else {
        if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; }
        this.path = null; this.doc = null; this.output.node = null;
        history.replaceState(null, "", "#");
        this.renderAll();
        this.output.render();
        delete document.body.dataset.workflow;
      }
    }
    this.renderTabs();
  }

  async open(path) {
    const t0 = performance.now();
    let state;
    try {
      state = await api("GET", `/api/workflow?path=${encodeURIComponent(path)}`);
    } catch (e) {
      toast(e.data && e.data.problems ? `${e.message}\n${e.data.problems.join("\n")}` : e.message, "error", 8000);
      return;
    }
    this.path = path;
    this.scope = [];
    if (!this.openTabs.some((t) => t.path === path)) this.openTabs.push({ path, name: state.doc.name, dirty: state.dirty });
    this.version = -1;
    this.sel.clear();
    this.selConn = null;
    this.selAnn = null;
    this.output.node = null;
    history.replaceState(null, "", `#wf=${encodeURIComponent(path)}`);
    this.applyState(state, true);
    this.fit();
    this.renderWorkflowList(this.wfList || []);
    this.renderTabs();
    this.connectSocket();
    this.lastOpenMs = performance.now() - t0;
    window.__knitflow = { openMs: this.lastOpenMs, sinceLoadMs: performance.now() - T0, nodes: this.doc.nodes.length };
    document.body.dataset.workflow = path;
  }

  connectSocket() {
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/api/ws?path=${encodeURIComponent(this.path)}`);
    this.ws = ws;
    ws.onmessage = (ev) => this.onMessage(JSON.parse(ev.data));
    ws.onclose = () => {
      if (this.ws === ws) setTimeout(() => { if (this.ws === ws) this.connectSocket(); }, 1500);
    };
    document.body.dataset.socket = "connecting";
    ws.onopen = () => { document.body.dataset.socket = "open"; };
  }

  onMessage(msg) {
    if (msg.type === "workflow") {
      if (msg.path === this.path) this.applyState(msg);
    } else if (msg.type === "log") {
      this.console.push(msg);
      if (this.console.length > 500) this.console.splice(0, this.console.length - 500);
      if (this.output.port === -1) this.output.render();
      else document.querySelectorAll("#output-tabs .console-tab").forEach((t) => t.replaceWith(this.output.consoleTab()));
    } else if (msg.type === "node") {
      this.allStatuses[msg.id] = msg.status;
      msg = { ...msg, id: containers.localOf(this, msg.id) };
      if (msg.id === null) return;
      const before = this.statuses[msg.id] || {};
      this.statuses[msg.id] = msg.status;
      this.updateNodeState(msg.id);
      if (this.output.node === msg.id && ["executed", "configured", "idle"].includes(msg.status.state)) this.output.refreshIfShowing(msg.id);
      else if (this.output.node === msg.id && msg.status.iteration && String(msg.status.iteration) !== String(before.iteration || "")) {
        // the docked monitor follows a running loop: its current pass's table and variables
        const now = performance.now();
        if (!this.lastLive || now - this.lastLive > 400) { this.lastLive = now; this.output.refreshIfShowing(msg.id); }
      }
    } else if (msg.type === "run") {
      this.running = msg.running;
      if (msg.statuses) {
        this.allStatuses = Object.fromEntries(Object.entries(msg.statuses).map(([k, v]) => [Number(k), v]));
        this.statuses = containers.viewStatuses(this, this.allStatuses);
        for (const n of this.doc ? this.doc.nodes : []) this.updateNodeState(n.id);
      }
      if (!msg.running && msg.error) toast(`Execution failed: ${msg.error}`, "error", 8000);
      if (msg.running) this.lastRun = null;
      else if (msg.cancelled) { this.lastRun = "cancelled"; toast("Execution cancelled", "info", 3000); }
      this.updateToolbar();
      this.board.decorateLinks();
      if (!msg.running) this.output.refreshIfShowing();
    }
  }

  applyState(state, force = false) {
    const tab = this.openTabs.find((t) => t.path === (state.path || this.path));
    if (tab && state.doc && (tab.dirty !== state.dirty || tab.name !== state.doc.name)) { tab.dirty = state.dirty; tab.name = state.doc.name; this.renderTabs(); }
    else if (tab && tab.dirty !== state.dirty) { tab.dirty = state.dirty; this.renderTabs(); }
    const docChanged = force || state.version !== this.version;
    if (state.doc && docChanged) {
      this.fullDoc = state.doc;
      containers.keepScope(this);
      this.doc = containers.viewDoc(this);
    }
    this.version = state.version;
    this.dirty = state.dirty;
    this.canUndo = state.can_undo;
    this.canRedo = state.can_redo;
    this.undoLabel = state.undo_label;
    this.redoLabel = state.redo_label;
    this.running = state.running;
    this.problems = state.problems || [];
    if (state.statuses) {
      this.allStatuses = Object.fromEntries(Object.entries(state.statuses).map(([k, v]) => [Number(k), v]));
      this.statuses = containers.viewStatuses(this, this.allStatuses);
    }
    for (const id of [...this.sel]) if (!this.entry(id)) this.sel.delete(id);
    if (this.selAnn !== null && (!this.doc || this.selAnn >= this.doc.annotations.length)) this.selAnn = null;
    if (docChanged) this.renderAll();
    else { for (const n of this.doc.nodes) this.updateNodeState(n.id); this.updateToolbar(); }
    this.output.refreshIfShowing();
  }

  // `version`: the document version the edit was made from (a dialog's, when it opened); the server refuses
  // the edit with 409 when the workflow changed since (another tab), and the page says so
  async command(cmd, { quiet = false, version } = {}) {
    try {
      const body = { command: containers.toServer(this, cmd) };
      if (version !== undefined) body.version = version;
      const res = await api("POST", `/api/workflow/command?path=${encodeURIComponent(this.path)}`, body);
      this.applyState(res.state);
      return res.result;
    } catch (e) {
      const stale = e.status === 409 && e.data && e.data.version !== undefined;
      if (stale) this.staleBanner();
      else if (!quiet || !(e.data && e.data.errors && e.data.errors.length)) toast(e.message, "error", 6000);
      throw e;
    }
  }

  staleBanner() {
    document.getElementById("stale-banner")?.remove();
    const bar = el("div", { id: "stale-banner", role: "alert" },
      "This workflow was changed in another tab or window; your change was not applied. ",
      el("button", { text: "Reload", class: "primary", onclick: async () => {
        bar.remove();
        if (this.dialog) this.dialog.close();
        await this.reload();
      } }),
      el("button", { text: "Dismiss", onclick: () => bar.remove() }));
    document.body.append(bar);
  }

  async reload() {
    const state = await api("GET", `/api/workflow?path=${encodeURIComponent(this.path)}`);
    this.applyState(state, true);
  }

  async undo(redo = false) {
    if (!this.path) return;
    try {
      const res = await api("POST", `/api/workflow/${redo ? "redo" : "undo"}?path=${encodeURIComponent(this.path)}`);
      this.applyState(res.state);
    } catch (e) { toast(e.message, "error"); }
  }

  async save(force = false) {
    if (!this.path) return;
    try {
      const res = await api("POST", `/api/workflow/save?path=${encodeURIComponent(this.path)}`, { version: this.version, force });
      this.applyState(res.state);
      toast(`Saved ${this.path}`, "ok", 1800);
    } catch (e) {
      if (e.status === 409 && /changed on disk/.test(e.message)) {
        if (confirm(`${e.message}\n\nOverwrite the file on disk?`)) return this.save(true);
      } else toast(e.message, "error", 6000);
    }
  }

  async execute(ids) {
    if (!this.path) return;
    try {
      // the running flag comes over the WebSocket: a short run may finish before this answer arrives
      // inside a metanode: the flat ids of its nodes (the server runs them with their container)
      const flat = (ids || []).map((n) => containers.flatId(this, n)).filter((n) => n !== null);
      await api("POST", `/api/workflow/execute?path=${encodeURIComponent(this.path)}`, { nodes: flat.length ? flat : null });
    } catch (e) { toast(e.message, "error"); }
  }

  async reset(ids) {
    if (!this.path) return;
    try {
      const flat = (ids || []).map((n) => containers.flatId(this, n)).filter((n) => n !== null);
      const res = await api("POST", `/api/workflow/reset?path=${encodeURIComponent(this.path)}`, { nodes: flat.length ? flat : null });
      this.applyState(res.state);
    } catch (e) { toast(e.message, "error"); }
  }

  async cancel() {
    if (this.path) await api("POST", `/api/workflow/cancel?path=${encodeURIComponent(this.path)}`).catch((e) => toast(e.message, "error"));
  }

  async newWorkflow() {
    const name = prompt("Name of the new workflow:");
    if (!name) return;
    const file = name.replace(/[^A-Za-z0-9_.-]+/g, "_") + ".yaml";
    try {
      const res = await api("POST", "/api/workflows", { path: file, name });
      const wfs = await api("GET", "/api/workflows");
      this.renderWorkflowList(wfs.workflows, wfs.skipped || []);
      await this.open(res.path);
    } catch (e) { toast(e.message, "error"); }
  }

  async importKnime(file, target) {
    // the archive goes to the server as it is; the server's importer (as `knitflow import-knime`) writes the YAML
    try {
      const where = target ? `&path=${encodeURIComponent(target)}` : "";
      const r = await fetch(`/api/workflows/import-knime?name=${encodeURIComponent(file.name)}${where}`, {
        method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: await file.arrayBuffer(),
      });
      const data = await r.json().catch(() => ({}));
      if (r.status === 409) {
        // a workflow of that name exists: import under another name rather than give up
        const stem = (target || file.name).replace(/\.(knwf|zip|ya?ml)$/i, "");
        const taken = new Set((this.wfList || []).map((w) => w.path));
        let n = 2;
        while (taken.has(`${stem}_${n}.yaml`)) n += 1;
        const other = prompt(`${data.detail || "That workflow exists"}.\nImport as:`, `${stem}_${n}.yaml`);
        if (!other) return;
        return this.importKnime(file, /\.ya?ml$/i.test(other) ? other : `${other}.yaml`);
      }
      if (!r.ok) throw new Error(data.detail || r.statusText);
      const problems = data.report.filter((e) => e.kind !== "note");
      const lines = data.report.map((e) => `[${e.kind}] ${e.message}`).join("\n");
      toast(`Imported ${file.name} as ${data.path}: ${problems.length} problem(s), ${data.report.length - problems.length} note(s)` +
            (lines ? `\n${lines}` : ""), problems.length ? "error" : "info", 9000);
      const wfs = await api("GET", "/api/workflows");
      this.renderWorkflowList(wfs.workflows, wfs.skipped || []);
      await this.open(data.path);
    } catch (e) { toast(`${file.name}: ${e.message}`, "error"); }
  }

  // ------------------------------------------------------------------------- rendering

  renderAll() {
    containers.renderBreadcrumb(this);
    this.board.load(this.doc);
    this.renderAnnotations();
    for (const n of this.doc ? this.doc.nodes : []) this.updateNodeState(n.id);
    this.paintSelection();
    this.viewChanged();
    this.updateToolbar();
    document.getElementById("empty-hint").hidden = !!(this.doc && this.doc.nodes.length);
  }

  updateNodeState(id) {
    const node = this.board.nodeEl(id);
    if (!node) return;
    const e = node.querySelector(".drawflow_content_node");
    const st = this.statuses[id] || { state: "idle" };
    const light = e.querySelector(".light");
    light.className = `light state-${st.state}`;
    light.title = st.state + (st.seconds ? ` (${st.seconds}s${st.cached ? ", from cache" : ""})` : "");
    light.querySelectorAll(".bar, .spin, .txt").forEach((x) => x.remove());
    if (st.state === "executing") {
      if (typeof st.progress === "number") {
        light.append(el("div", { class: "bar", style: { width: `${Math.round(st.progress * 100)}%` } }));
        light.append(el("div", { class: "txt", text: `${Math.round(st.progress * 100)}%` }));
      } else light.append(el("div", { class: "spin" }));
    } else if (st.state === "queued") light.append(el("div", { class: "txt", text: "queued" }));
    node.classList.toggle("cached", !!st.cached && st.state === "executed");
    e.querySelector(".iteration")?.remove();
    if (st.reason === "cancelled" && st.state !== "executing") e.append(el("div", { class: "iteration cancelled", text: "cancelled" }));
    if (st.iteration) {
      const [i, n] = st.iteration;
      e.append(el("div", { class: "iteration", text: n ? `iteration ${i + 1} of ${n}` : `iteration ${i + 1}` }));
    }
    e.querySelector(".badge")?.remove();
    const msg = st.error || st.warning;
    if (msg) {
      const badge = el("div", { class: `badge ${st.error ? "error" : "warning"}`, text: st.error ? "✕" : "!", dataset: { message: msg } });
      badge.addEventListener("mouseenter", () => this.showTooltip(badge, msg, st.error ? "error" : "warning"));
      badge.addEventListener("mouseleave", () => this.hideTooltip());
      e.append(badge);
    }
  }

  showTooltip(anchor, text, kind) {
    const tip = document.getElementById("tooltip");
    tip.textContent = text;
    tip.className = kind;
    tip.hidden = false;
    const r = anchor.getBoundingClientRect();
    tip.style.left = `${Math.min(r.left, window.innerWidth - 440)}px`;
    tip.style.top = `${r.bottom + 6}px`;
  }

  hideTooltip() {
    document.getElementById("tooltip").hidden = true;
  }

  renderAnnotations() {
    this.annEl.replaceChildren();
    if (!this.doc) return;
    this.doc.annotations.forEach((a, i) => {
      const [x, y, w, h] = a.bounds;
      const e = el("div", { class: `wf-annotation${this.selAnn === i ? " selected" : ""}`, dataset: { index: String(i) },
        style: { left: `${x}px`, top: `${y}px`, width: `${w}px`, height: `${h}px` } });
      e.append(el("div", { class: "ann-text", text: a.text }), el("div", { class: "resize" }));
      e.addEventListener("mousedown", (ev) => this.onAnnotationDown(ev, i, e));
      e.addEventListener("dblclick", (ev) => { ev.stopPropagation(); this.editAnnotation(i, e); });
      this.annEl.append(e);
    });
  }

  // after Drawflow zoomed or panned (and after a fit): zoom level, the dotted grid and the outline follow
  viewChanged() {
    const { x, y, k } = this.board.view();
    document.getElementById("zoom-level").textContent = `${Math.round(k * 100)}%`;
    this.canvas.style.backgroundSize = `${20 * k}px ${20 * k}px`;
    this.canvas.style.backgroundPosition = `${x}px ${y}px`;
    this.renderMinimap();
  }

  updateToolbar() {
    const has = !!this.path;
    document.getElementById("dirty").hidden = !this.dirty;
    document.getElementById("btn-save").disabled = !has;
    const u = document.getElementById("btn-undo");
    u.disabled = !this.canUndo || this.running;
    u.title = `Undo${this.undoLabel ? " " + this.undoLabel : ""} (Ctrl+Z)`;
    const r = document.getElementById("btn-redo");
    r.disabled = !this.canRedo || this.running;
    r.title = `Redo${this.redoLabel ? " " + this.redoLabel : ""} (Ctrl+Shift+Z)`;
    document.getElementById("btn-exec").disabled = !has || this.running || !this.sel.size;
    document.getElementById("btn-exec-all").disabled = !has || this.running;
    document.getElementById("btn-cancel").disabled = !this.running;
    document.getElementById("btn-reset").disabled = !has || this.running;
    document.getElementById("btn-configure").disabled = this.sel.size !== 1;
    document.getElementById("run-state").textContent = this.running ? "executing…" : this.lastRun === "cancelled" ? "cancelled"
      : this.problems && this.problems.length ? `⚠ ${this.problems[0]}` : "";
    document.body.dataset.running = this.running ? "1" : "0";
    document.body.dataset.version = String(this.version);
    this.outline.toggleAttribute("hidden", !this.showMinimap || !this.doc);
  }

  renderMinimap() {
    // the overview sits under the repository, as KNIME's Outline view does, so it never covers nodes
    const mm = this.minimap;
    if (!this.showMinimap || !this.doc) { this.outline.toggleAttribute("hidden", true); return; }
    this.outline.toggleAttribute("hidden", false);
    const W = Number(mm.getAttribute("width")), H = Number(mm.getAttribute("height"));
    const b = this.bounds();
    const cw = this.canvas.clientWidth, ch = this.canvas.clientHeight;
    const view = this.board.view();
    const vx0 = -view.x / view.k, vy0 = -view.y / view.k;
    const vx1 = vx0 + cw / view.k, vy1 = vy0 + ch / view.k;
    let x0 = Math.min(b[0], vx0), y0 = Math.min(b[1], vy0);
    const x1 = Math.max(b[2], vx1), y1 = Math.max(b[3], vy1);
    const s = Math.min(W / (x1 - x0 || 1), H / (y1 - y0 || 1));
    x0 -= (W / s - (x1 - x0)) / 2;  // centred in the box
    y0 -= (H / s - (y1 - y0)) / 2;
    this.mmTransform = { x0, y0, s };
    mm.replaceChildren();
    for (const a of this.doc.annotations) {
      const [ax, ay, aw, ah] = a.bounds;
      mm.append(svgEl("rect", { x: (ax - x0) * s, y: (ay - y0) * s, width: aw * s, height: ah * s, fill: "#fff3b0" }));
    }
    for (const n of this.doc.nodes) {
      const [nx, ny] = n.position || [0, 0];
      const info = this.infoOf(n);
      const color = getComputedStyle(document.documentElement).getPropertyValue(`--${(info ? info.category : "other").split(" ")[0] === "loop" ? "loop" : (info ? info.category : "other")}`) || "#999";
      mm.append(svgEl("rect", { class: "mm-node", x: (nx - x0) * s, y: (ny - y0) * s, width: Math.max(3, 32 * s), height: Math.max(3, 32 * s), fill: color.trim() || "#999" }));
    }
    mm.append(svgEl("rect", { class: "mm-view", x: (vx0 - x0) * s, y: (vy0 - y0) * s, width: (vx1 - vx0) * s, height: (vy1 - vy0) * s }));
  }

  bounds() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of this.doc ? this.doc.nodes : []) {
      const [x, y] = n.position || [0, 0];
      x0 = Math.min(x0, x - 60); y0 = Math.min(y0, y - 45); x1 = Math.max(x1, x + 92); y1 = Math.max(y1, y + 80);
    }
    for (const a of this.doc ? this.doc.annotations : []) {
      const [x, y, w, h] = a.bounds;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + w); y1 = Math.max(y1, y + h);
    }
    if (x0 === Infinity) return [0, 0, 400, 300];
    return [x0, y0, x1, y1];
  }

  fit() {
    if (!this.doc) return;
    const [x0, y0, x1, y1] = this.bounds();
    const cw = this.canvas.clientWidth || 800, ch = this.canvas.clientHeight || 500;
    const k = Math.max(0.25, Math.min(1.25, Math.min((cw - 40) / (x1 - x0), (ch - 40) / (y1 - y0))));
    this.board.setView(k, (cw - (x1 - x0) * k) / 2 - x0 * k, (ch - (y1 - y0) * k) / 2 - y0 * k);
    this.viewChanged();
  }

  // our selection (several nodes, a connection or an annotation) on top of Drawflow's single selected node
  paintSelection() {
    this.board.paintSelection(this.sel);
    this.annEl.querySelectorAll(".wf-annotation").forEach((e) => e.classList.toggle("selected", Number(e.dataset.index) === this.selAnn));
  }

  refreshSelection() {
    this.paintSelection();
    this.updateToolbar();
    if (this.sel.size === 1) {
      this.output.show([...this.sel][0]);
      const entry = this.entry([...this.sel][0]);
      if (entry && this.types[entry.type]) this.describe(entry.type);
    }
  }

  select(ids, add = false) {
    if (!add) this.sel.clear();
    for (const id of ids) this.sel.add(id);
    this.selConn = null;
    if (!add) this.selAnn = null;
    this.refreshSelection();
    this.board.decorateLinks();
  }

  toggleSelected(id) {
    if (this.sel.has(id)) this.sel.delete(id); else this.sel.add(id);
    this.selConn = null;
    this.refreshSelection();
    this.board.decorateLinks();
  }

  selectConnection(key) {
    this.sel.clear();
    this.selAnn = null;
    this.selConn = key;
    this.refreshSelection();
    this.board.decorateLinks();
  }

  // --------------------------------------------------------------------------- repository

  renderRepository() {
    const q = document.getElementById("repo-search").value.trim();
    const tree = document.getElementById("repo-tree");
    tree.replaceChildren();
    const nodes = Object.values(this.types);
    const item = (n) => {
      const e = el("div", { class: "repo-node", draggable: "true", title: `${n.name} (${n.type})\n${n.description || ""}`.trim(), dataset: { type: n.type } },
        el("span", { class: `mini ${catClass(n.category)}` }, el("img", { src: nodeIconUrl(n), alt: "" })),
        el("span", { class: "rn-name", text: n.name }));
      e.addEventListener("dragstart", (ev) => {
        ev.dataTransfer.setData("application/x-knitflow-node", n.type);
        ev.dataTransfer.setData("text/plain", n.type);
        ev.dataTransfer.effectAllowed = "copy";
      });
      e.addEventListener("click", () => this.describe(n.type));
      e.addEventListener("dblclick", () => this.addFromRepository(n.type));
      return e;
    };
    if (q) {
      const scored = nodes.map((n) => [Math.max(fuzzyScore(q, n.name), 0.8 * Math.max(0, ...n.keywords.map((k) => fuzzyScore(q, k))), 0.6 * fuzzyScore(q, n.type), 0.3 * fuzzyScore(q, (n.path || []).join(" "))), n])
        .filter(([s]) => s > 0).sort((a, b) => b[0] - a[0]);
      if (!scored.length) tree.append(el("div", { class: "repo-empty", text: "No node matches." }));
      for (const [, n] of scored) tree.append(item(n));
      return;
    }
    // KNIME's node repository: IO › Read, Manipulation › Row › Filter, Analytics › Mining › ...
    const root = { children: new Map(), nodes: [] };
    for (const n of nodes) {
      let at = root;
      for (const part of n.path && n.path.length ? n.path : [n.category]) {
        if (!at.children.has(part)) at.children.set(part, { children: new Map(), nodes: [] });
        at = at.children.get(part);
      }
      at.nodes.push(n);
    }
    const order = this.catalog.tree_order || [];
    const count = (b) => b.nodes.length + [...b.children.values()].reduce((a, c) => a + count(c), 0);
    const closed = new Set(JSON.parse(localStorage.getItem("knitflow.repoClosed") || "[]")); // what the user folded
    const build = (branch, path, depth) => {
      const names = [...branch.children.keys()].sort((a, b) => depth === 0 ? ((order.indexOf(a) + 99) % 99) - ((order.indexOf(b) + 99) % 99) || a.localeCompare(b) : a.localeCompare(b));
      const out = [];
      for (const name of names) {
        const sub = branch.children.get(name);
        const key = [...path, name].join(" › ");
        const d = el("details", { class: "repo-cat", dataset: { category: key }, open: !closed.has(key) },
          el("summary", { text: `${name} (${count(sub)})` }));
        d.addEventListener("toggle", () => {
          const now = new Set(JSON.parse(localStorage.getItem("knitflow.repoClosed") || "[]"));
          if (d.open) now.delete(key); else now.add(key);
          localStorage.setItem("knitflow.repoClosed", JSON.stringify([...now]));
        });
        d.append(...build(sub, [...path, name], depth + 1));
        for (const n of sub.nodes.sort((a, b) => a.name.localeCompare(b.name))) d.append(item(n));
        out.push(d);
      }
      return out;
    };
    tree.append(...build(root, [], 0));
  }

  // the description panel: a repository entry or the selected node, from the node's own docs
  async describe(type) {
    const box = document.getElementById("node-description");
    if (!type || !box) return;
    if (this.describing === type) return;
    this.describing = type;
    let d;
    try { d = await api("GET", `/api/nodes/doc?type=${encodeURIComponent(type)}`); } catch { box.replaceChildren(); return; }
    if (this.describing !== type) return;
    const ports = (title, list) => list.length ? [el("h4", { text: title }), el("ul", {}, ...list.map((p) => el("li", {}, el("b", { text: p.name }), ` (${p.type})`, p.description ? ` — ${p.description}` : "")))] : [];
    box.replaceChildren(
      el("div", { class: "nd-head" }, el("img", { src: nodeIconUrl(this.types[type]), alt: "" }), el("b", { text: d.name })),
      el("div", { class: "nd-path", text: d.path.join(" › ") }),
      el("p", { text: d.description || "" }),
      ...ports("Input ports", d.inputs), ...ports("Output ports", d.outputs),
      ...(d.settings.length ? [el("h4", { text: "Settings" }), el("dl", {}, ...d.settings.flatMap((x) => [el("dt", { text: x.title }), el("dd", { text: x.description })]))] : []));
    box.dataset.type = type;
    void esc;
  }

  // the connection drawn under a point of the page (Drawflow's wide hit path), as {source, source_port, dest, dest_port}
  connectionAt(cx, cy) {
    for (const e of document.elementsFromPoint(cx, cy)) {
      const svg = e.closest && e.closest("svg.connection");
      if (!svg) continue;
      const key = svg.querySelector("path.link")?.dataset.conn;
      const m = key && key.match(/^(\d+):(\d+)->(\d+):(\d+)$/);
      if (m) return { source: +m[1], source_port: +m[2], dest: +m[3], dest_port: +m[4] };
    }
    return null;
  }

  // a node dropped onto a connection goes in between, as in KNIME (one undo step)
  async insertOnConnection(type, c, position) {
    const info = this.types[type];
    const newId = Math.max(0, ...this.doc.nodes.filter((n) => !containers.isBar(n.id)).map((n) => n.id)) + 1;
    const outType = this.portTypeOf(this.entry(c.source), "out", c.source_port);
    const inType = this.portTypeOf(this.entry(c.dest), "in", c.dest_port);
    const i = info.inputs.findIndex((p) => (this.compatible[outType] || []).includes(p.type));
    const o = info.outputs.findIndex((p) => (this.compatible[p.type] || []).includes(inType));
    if (i < 0 || o < 0 || c.source_port === 0) return this.addFromRepository(type, position);
    const commands = [
      { op: "add_node", type, position, id: newId },
      { op: "remove", connections: [`${c.source}:${c.source_port} -> ${c.dest}:${c.dest_port}`] },
      { op: "connect", source: c.source, source_port: c.source_port, dest: newId, dest_port: i + 1 },
      { op: "connect", source: newId, source_port: o + 1, dest: c.dest, dest_port: c.dest_port },
    ];
    try {
      await this.command({ op: "batch", commands, label: `insert ${info.name}` });
      this.select([newId]);
    } catch { /* shown */ }
  }

  closeMenu() {
    document.getElementById("context-menu")?.remove();
  }

  contextMenu(e) {
    e.preventDefault();
    e.stopPropagation();
    this.closeMenu();
    if (!this.doc || this.dialog) return;
    const nodeEl = e.target.closest(".drawflow-node");
    const conn = nodeEl ? null : this.connectionAt(e.clientX, e.clientY);
    const items = [];
    const sep = () => items.push(null);
    if (nodeEl) {
      const id = Number(nodeEl.id.slice(5));
      if (!this.sel.has(id)) this.select([id]);
      const ids = [...this.sel];
      const st = this.statuses[id] || {};
      const info = this.infoOf(this.entry(id)) || { outputs: [] };
      items.push(["Configure…", "F6", () => this.openDialog(id), ids.length !== 1 || containers.isBar(id)]);
      items.push(["Execute", "F7", () => this.execute(ids), this.running]);
      items.push(["Cancel", "F9", () => this.cancel(), !this.running]);
      items.push(["Reset", "F8", () => this.reset(ids), this.running]);
      sep();
      const viewPort = info.outputs.findIndex((p) => p.type === "view");
      items.push([viewPort >= 0 ? "Open view" : "Show output", "", () => this.output.show(id, viewPort >= 0 ? viewPort + 1 : 1), st.state !== "executed"]);
      items.push(["Rename", "Shift+F2", () => this.rename(id), ids.length !== 1]);
      items.push(["Edit node label", "F2", () => this.editNodeAnnotation(id), ids.length !== 1]);
      sep();
      items.push(["Copy", "Ctrl+C", () => this.copySelection()]);
      items.push(["Delete", "Del", () => this.removeSelection(), this.running]);
      const more = containers.menuItems(this, id, ids);
      if (more.length) { sep(); items.push(...more); }
    } else if (conn) {
      const key = `${conn.source}:${conn.source_port}->${conn.dest}:${conn.dest_port}`;
      this.selectConnection(key);
      items.push(["Delete connection", "Del", () => this.removeSelection(), this.running]);
    } else {
      items.push(["Execute all", "Shift+F7", () => this.execute(null), this.running]);
      items.push(["Cancel all", "F9", () => this.cancel(), !this.running]);
      items.push(["Reset all", "Shift+F8", () => this.reset(null), this.running]);
      sep();
      items.push(["Paste", "Ctrl+V", () => this.paste()]);
      items.push(["Add annotation", "", () => this.addAnnotation()]);
      items.push(["Select all", "Ctrl+A", () => this.select(this.doc.nodes.map((n) => n.id))]);
      items.push(["Fit to screen", "Ctrl+2", () => this.fit()]);
    }
    const menu = el("div", { id: "context-menu", role: "menu" });
    for (const it of items) {
      if (!it) { menu.append(el("div", { class: "cm-sep" })); continue; }
      const [label, keys, run, disabled] = it;
      menu.append(el("div", { class: `cm-item${disabled ? " disabled" : ""}`, role: "menuitem", dataset: { action: label },
        onclick: () => { if (disabled) return; this.closeMenu(); run(); } }, el("span", { text: label }), el("span", { class: "cm-keys", text: keys })));
    }
    document.body.append(menu);
    const w = menu.offsetWidth, h = menu.offsetHeight;
    menu.style.left = `${Math.min(e.clientX, window.innerWidth - w - 4)}px`;
    menu.style.top = `${Math.min(e.clientY, window.innerHeight - h - 4)}px`;
  }

  async addFromRepository(type, pos) {
    if (!this.path) { toast("Open or create a workflow first", "error"); return; }
    const info = this.types[type];
    const newId = Math.max(0, ...this.doc.nodes.filter((n) => !containers.isBar(n.id)).map((n) => n.id)) + 1;
    let position = pos;
    const commands = [];
    const pred = this.sel.size === 1 ? this.entry([...this.sel][0]) : null;
    if (!position) {
      const r = this.canvas.getBoundingClientRect();
      const [x0, y0] = this.board.toWorld(r.left + 20, r.top + 20);
      const [x1, y1] = this.board.toWorld(r.right - 110, r.bottom - 90);
      if (pred && pred.position) position = [pred.position[0] + 150, pred.position[1]];
      else position = this.board.toWorld(r.left + r.width / 2, r.top + r.height / 2);
      // where the new node can be seen: next to its predecessor when that is on screen, else inside the view
      position = [snap(Math.min(Math.max(position[0], x0), Math.max(x0, x1))), snap(Math.min(Math.max(position[1], y0), Math.max(y0, y1)))];
    }
    commands.push({ op: "add_node", type, position, id: newId });
    if (!pos && pred) {
      // double click with one node selected: connect it, as KNIME does
      const pi = this.infoOf(pred);
      if (pi && info) {
        outer: for (let o = 0; o < pi.outputs.length; o++) {
          for (let i = 0; i < info.inputs.length; i++) {
            if ((this.compatible[pi.outputs[o].type] || []).includes(info.inputs[i].type)) {
              commands.push({ op: "connect", source: pred.id, source_port: o + 1, dest: newId, dest_port: i + 1 });
              break outer;
            }
          }
        }
      }
    }
    try {
      await this.command(commands.length === 1 ? { ...commands[0], label: `add ${info ? info.name : type}` } : { op: "batch", commands, label: `add ${info ? info.name : type}` });
      this.select([newId]);
    } catch { /* shown */ }
  }

  // ---------------------------------------------------------------------------- interaction

  bindUi() {
    const $ = (id) => document.getElementById(id);
    $("btn-save").onclick = () => this.save();
    $("btn-workflow").onclick = () => this.workflowDialog();
    $("btn-undo").onclick = () => this.undo(false);
    $("btn-redo").onclick = () => this.undo(true);
    $("btn-exec").onclick = () => this.execute([...this.sel]);
    $("btn-exec-all").onclick = () => this.execute(null);
    $("btn-cancel").onclick = () => this.cancel();
    $("btn-reset").onclick = () => this.reset([...this.sel]);
    $("btn-configure").onclick = () => this.sel.size === 1 && this.openDialog([...this.sel][0]);
    $("btn-zoom-in").onclick = () => this.board.ed.zoom_in();
    $("btn-zoom-out").onclick = () => this.board.ed.zoom_out();
    $("btn-fit").onclick = () => this.fit();
    $("btn-minimap").onclick = () => this.toggleMinimap();
    $("btn-annotation").onclick = () => this.addAnnotation();
    $("btn-new").onclick = () => this.newWorkflow();
    $("btn-import").onclick = () => $("knwf-file").click();
    $("knwf-file").onchange = (ev) => {
      const file = ev.target.files[0];
      ev.target.value = "";
      if (file) this.importKnime(file);
    };
    $("repo-search").addEventListener("input", () => this.renderRepository());
    $("repo-search").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { const first = document.querySelector("#repo-tree .repo-node"); if (first) this.addFromRepository(first.dataset.type); }
      e.stopPropagation();
    });
    const cv = this.canvas;
    cv.addEventListener("dragover", (e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; });
    cv.addEventListener("drop", (e) => {
      e.preventDefault();
      const type = e.dataTransfer.getData("application/x-knitflow-node") || e.dataTransfer.getData("text/plain");
      if (!type || !this.types[type]) return;
      const [x, y] = this.board.toWorld(e.clientX, e.clientY);
      const onLink = this.connectionAt(e.clientX, e.clientY);
      if (onLink) this.insertOnConnection(type, onLink, [snap(x - 16), snap(y - 16)]);
      else this.addFromRepository(type, [snap(x - 16), snap(y - 16)]);
    });
    // right click: KNIME's context menus (Drawflow's own delete button is not used)
    cv.addEventListener("contextmenu", (e) => this.contextMenu(e), true);
    window.addEventListener("mousedown", (e) => { if (!e.target.closest("#context-menu")) this.closeMenu(); });
    cv.addEventListener("dblclick", (e) => this.onDoubleClick(e));
    // Drawflow zooms with Ctrl+wheel; a plain wheel (or a touchpad) scrolls the canvas, as in KNIME
    cv.addEventListener("wheel", (e) => {
      if (e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      this.board.panBy(-e.deltaX, -e.deltaY);
    }, { passive: false });
    // Delete is ours (it removes the whole selection as one command), not Drawflow's (its one selected node)
    $("work").addEventListener("keydown", (e) => {
      if ((e.key === "Delete" || e.key === "Backspace") && !/^(input|textarea|select)$/i.test(e.target.tagName || "")) {
        e.stopPropagation();
        this.onKey(e);
      }
    }, true);
    this.minimap.addEventListener("mousedown", (e) => {
      e.stopPropagation();
      const move = (ev) => {
        const r = this.minimap.getBoundingClientRect();
        const { x0, y0, s } = this.mmTransform;
        const wx = (ev.clientX - r.left) / s + x0, wy = (ev.clientY - r.top) / s + y0;
        const k = this.board.ed.zoom;
        this.board.setView(k, cv.clientWidth / 2 - wx * k, cv.clientHeight / 2 - wy * k);
      };
      move(e);
      const up = () => { window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up); };
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    });
    window.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("hashchange", () => {
      const want = decodeURIComponent((location.hash.match(/wf=([^&]+)/) || [])[1] || "");
      if (want && want !== this.path) this.open(want);
    });
    window.addEventListener("resize", () => this.renderMinimap());
    window.addEventListener("beforeunload", (e) => { if (this.dirty) { e.preventDefault(); e.returnValue = ""; } });
    const splitter = $("splitter");
    splitter.addEventListener("mousedown", (e) => {
      e.preventDefault();
      const out = $("output");
      const start = e.clientY, h0 = out.offsetHeight;
      const move = (ev) => { out.style.height = `${Math.max(60, h0 - (ev.clientY - start))}px`; this.renderMinimap(); };
      const up = () => { window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up); };
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    });
  }

  toggleMinimap() {
    this.showMinimap = !this.showMinimap;
    localStorage.setItem("knitflow.minimap", this.showMinimap ? "1" : "0");
    this.updateToolbar();
    this.renderMinimap();
  }

  startRubber(e) {
    const rubber = document.getElementById("rubber");
    const r = this.canvas.getBoundingClientRect();
    const sx = e.clientX - r.left, sy = e.clientY - r.top;
    const add = e.shiftKey || e.ctrlKey || e.metaKey;
    const before = new Set(add ? this.sel : []);
    let moved = false;
    const move = (ev) => {
      const cx = ev.clientX - r.left, cy = ev.clientY - r.top;
      if (!moved && Math.abs(cx - sx) + Math.abs(cy - sy) < 4) return;
      moved = true;
      const x = Math.min(sx, cx), y = Math.min(sy, cy), w = Math.abs(cx - sx), h = Math.abs(cy - sy);
      Object.assign(rubber.style, { left: `${x}px`, top: `${y}px`, width: `${w}px`, height: `${h}px` });
      rubber.hidden = false;
      const [wx0, wy0] = this.board.toWorld(r.left + x, r.top + y);
      const [wx1, wy1] = this.board.toWorld(r.left + x + w, r.top + y + h);
      this.sel = new Set(before);
      for (const n of this.doc.nodes) {
        const [nx, ny] = n.position || [0, 0];
        if (nx + 32 >= wx0 && nx <= wx1 && ny + 32 >= wy0 && ny <= wy1) this.sel.add(n.id);
      }
      this.refreshSelection();
    };
    const up = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      rubber.hidden = true;
      if (!moved) {
        if (!add) { this.sel.clear(); this.selConn = null; this.selAnn = null; this.refreshSelection(); this.board.decorateLinks(); }
      }
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  }

  portTypeOf(entry, side, port) {
    if (port === 0) return "variables";
    const info = this.infoOf(entry);
    const list = info ? (side === "out" ? info.outputs : info.inputs) : [];
    return list[port - 1] ? list[port - 1].type : null;
  }

  // KNIME's rule: types fit and no cycle; the server checks again
  connectionProblem(c) {
    const out = this.portTypeOf(this.entry(c.source), "out", c.source_port);
    const inp = this.portTypeOf(this.entry(c.dest), "in", c.dest_port);
    if (!(this.compatible[out] || []).includes(inp)) {
      const ot = this.portTypes[out] || {}, it = this.portTypes[inp] || {};
      return `Incompatible ports: a ${ot.label || out} output cannot feed a ${it.label || inp} input`;
    }
    if (this.wouldCycle(c.source, c.dest)) return "Refused: this connection would create a cycle";
    return null;
  }

  wouldCycle(source, dest) {
    if (source === dest) return true;
    const out = {};
    for (const c of this.doc.connections) (out[c.source] = out[c.source] || []).push(c.dest);
    const stack = [dest], seen = new Set();
    while (stack.length) {
      const n = stack.pop();
      if (n === source) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(out[n] || []));
    }
    return false;
  }

  onAnnotationDown(e, index, elAnn) {
    if (e.button !== 0 || e.target.tagName === "TEXTAREA") return;
    e.stopPropagation();
    e.preventDefault();
    this.sel.clear();
    this.selConn = null;
    this.selAnn = index;
    this.refreshSelection();
    this.board.decorateLinks();
    const a = this.doc.annotations[index];
    const resize = e.target.classList.contains("resize");
    const b0 = [...a.bounds];
    const sx = e.clientX, sy = e.clientY;
    let moved = false;
    const move = (ev) => {
      const dx = (ev.clientX - sx) / this.board.ed.zoom, dy = (ev.clientY - sy) / this.board.ed.zoom;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 3) return;
      moved = true;
      a.bounds = resize ? [b0[0], b0[1], Math.max(40, snap(b0[2] + dx)), Math.max(20, snap(b0[3] + dy))] : [snap(b0[0] + dx), snap(b0[1] + dy), b0[2], b0[3]];
      Object.assign(elAnn.style, { left: `${a.bounds[0]}px`, top: `${a.bounds[1]}px`, width: `${a.bounds[2]}px`, height: `${a.bounds[3]}px` });
    };
    const up = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      if (moved) this.command({ op: "move", annotations: { [index]: a.bounds }, label: resize ? "resize annotation" : "move annotation" }).catch(() => this.reload());
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  }

  editAnnotation(index, elAnn) {
    const a = this.doc.annotations[index];
    const ta = el("textarea", { class: "ann-editor" });
    ta.value = a.text;
    elAnn.replaceChildren(ta);
    ta.focus();
    const done = (save) => {
      if (save && ta.value !== a.text) this.command({ op: "edit_annotation", index, text: ta.value, label: "edit annotation" }).catch(() => {});
      else this.renderAnnotations();
    };
    ta.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Escape") done(false);
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) done(true);
    });
    ta.addEventListener("blur", () => done(true), { once: true });
    ta.addEventListener("mousedown", (ev) => ev.stopPropagation());
  }

  async addAnnotation() {
    if (!this.doc) return;
    const r = this.canvas.getBoundingClientRect();
    const [x, y] = this.board.toWorld(r.left + 40, r.top + 40);
    try {
      const res = await this.command({ op: "add_annotation", text: "New annotation", bounds: [snap(x), snap(y), 220, 80], label: "add annotation" });
      this.selAnn = res.annotation;
      this.sel.clear();
      this.refreshSelection();
      const e = this.annEl.querySelector(`.wf-annotation[data-index="${res.annotation}"]`);
      if (e) this.editAnnotation(res.annotation, e);
    } catch { /* shown */ }
  }

  onDoubleClick(e) {
    const nodeEl = e.target.closest(".drawflow-node");
    if (!nodeEl) return;
    const id = Number(nodeEl.id.slice(5));
    if (e.target.closest(".node-name")) return this.rename(id);
    if (e.target.closest(".node-annotation")) return this.editNodeAnnotation(id);
    const entry = this.entry(id);
    // KNIME: a metanode opens; a component shows its dialog (Ctrl+double click opens it)
    if (e.target.closest(".node-body") && containers.isContainer(entry) && (entry.type === "metanode" || e.ctrlKey || e.metaKey)) return containers.openContainer(this, id);
    if (e.target.closest(".node-body")) return this.openDialog(id);
  }

  rename(id) {
    const ne = this.board.nodeEl(id);
    const entry = this.entry(id);
    if (!ne || !entry) return;
    const label = ne.querySelector(".node-name");
    const info = this.infoOf(entry);
    const input = el("input", { type: "text", value: entry.name || (info ? info.name : entry.type), class: "rename-input" });
    label.replaceChildren(input);
    label.style.overflow = "visible";
    input.focus();
    input.select();
    let finished = false;
    const done = (save) => {
      if (finished) return;
      finished = true;
      const value = input.value.trim();
      const dflt = info ? info.name : entry.type;
      if (save && value !== (entry.name || dflt)) this.command({ op: "rename", node: id, name: value === dflt ? null : value, label: "rename" }).catch(() => this.renderAll());
      else this.renderAll();
    };
    input.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Enter") done(true);
      if (ev.key === "Escape") done(false);
    });
    input.addEventListener("blur", () => done(true));
    input.addEventListener("mousedown", (ev) => ev.stopPropagation());
  }

  editNodeAnnotation(id) {
    const ne = this.board.nodeEl(id);
    const entry = this.entry(id);
    if (!ne || !entry) return;
    const box = ne.querySelector(".node-annotation");
    const ta = el("textarea", { rows: 3 });
    ta.value = entry.annotation || "";
    box.replaceChildren(ta);
    ta.focus();
    let finished = false;
    const done = (save) => {
      if (finished) return;
      finished = true;
      if (save && ta.value.trim() !== (entry.annotation || "")) this.command({ op: "set_node_annotation", node: id, text: ta.value, label: "edit node label" }).catch(() => this.renderAll());
      else this.renderAll();
    };
    ta.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Escape") done(false);
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); done(true); }
    });
    ta.addEventListener("blur", () => done(true));
    ta.addEventListener("mousedown", (ev) => ev.stopPropagation());
  }

  async openDialog(id) {
    if (this.dialog || containers.isBar(id)) return;
    const entry = this.entry(id);
    if (entry && entry.type === "metanode") return containers.openContainer(this, id); // its "dialog" is its inside
    let data;
    try {
      data = await api("GET", `/api/workflow/node?path=${encodeURIComponent(this.path)}&id=${this.flatId(id)}`);
    } catch (e) { toast(e.message, "error"); return; }
    this.dialog = new NodeDialog(this, data);
  }

  workflowDialog() {
    // name, description and workflow variables (the values `--set NAME=VALUE` overrides)
    if (!this.doc || this.dialog) return;
    const backdrop = document.getElementById("dialog-backdrop");
    const name = el("input", { type: "text", id: "wf-name", value: this.doc.name });
    const desc = el("textarea", { id: "wf-description" });
    desc.value = this.doc.description || "";
    const rows = el("tbody");
    const addRow = (k = "", v = "") => {
      const tr = el("tr", {}, el("td", {}, el("input", { type: "text", class: "var-name", value: k })),
        el("td", {}, el("input", { type: "text", class: "var-value", value: typeof v === "string" ? v : JSON.stringify(v) })),
        el("td", {}, el("button", { text: "✕", onclick: () => tr.remove() })));
      rows.append(tr);
    };
    for (const [k, v] of Object.entries(this.doc.variables || {})) addRow(k, v);
    const msg = el("span", { class: "msg" });
    const baseVersion = this.version;
    const close = () => { backdrop.hidden = true; backdrop.replaceChildren(); this.dialog = null; };
    const apply = async () => {
      const variables = {};
      for (const tr of rows.querySelectorAll("tr")) {
        const k = tr.querySelector(".var-name").value.trim();
        const raw = tr.querySelector(".var-value").value;
        if (!k) continue;
        variables[k] = /^(true|false|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(raw.trim()) ? JSON.parse(raw.trim()) : raw;
      }
      try {
        await this.command({ op: "set_workflow", name: name.value, description: desc.value, variables, label: "workflow settings" }, { version: baseVersion });
        close();
        this.renderAll();
      } catch (e) { msg.textContent = e.message; }
    };
    const root = el("div", { class: "dialog", role: "dialog", "aria-label": "Workflow settings" },
      el("header", {}, el("span", { class: "title", text: "Workflow" }), el("span", { class: "sub", text: this.path })),
      el("div", { class: "dlg-body" },
        el("div", { class: "field" }, el("label", { for: "wf-name", text: "Name" }), el("div", { class: "row" }, name)),
        el("div", { class: "field" }, el("label", { for: "wf-description", text: "Description" }), el("div", { class: "row" }, desc)),
        el("div", { class: "field" }, el("label", { text: "Workflow variables" }),
          el("table", { class: "vars" }, el("thead", {}, el("tr", {}, el("th", { text: "Name" }), el("th", { text: "Default value" }), el("th"))), rows),
          el("button", { text: "+ Add variable", onclick: () => addRow() }),
          el("div", { class: "help", text: "Referenced in settings as ${name}; `knitflow run --set name=value` overrides them." }))),
      el("footer", {}, msg, el("button", { text: "Cancel", onclick: close }), el("button", { class: "primary", text: "OK", onclick: apply })));
    root.addEventListener("keydown", (e) => { e.stopPropagation(); if (e.key === "Escape") close(); });
    backdrop.replaceChildren(root);
    backdrop.hidden = false;
    this.dialog = { close };
    name.focus();
  }

  removeSelection() {
    const nodes = [...this.sel];
    const connections = this.selConn ? [this.selConn.replace("->", " -> ")] : [];
    const annotations = this.selAnn !== null ? [this.selAnn] : [];
    if (!nodes.length && !connections.length && !annotations.length) return;
    this.sel.clear();
    this.selConn = null;
    this.selAnn = null;
    this.command({ op: "remove", nodes, connections, annotations, label: nodes.length ? `delete ${nodes.length} node${nodes.length > 1 ? "s" : ""}` : "delete" }).catch(() => {});
  }

  copySelection() {
    if (!this.sel.size) return;
    const ids = new Set([...this.sel].filter((n) => !containers.isBar(n)));
    const nodes = this.doc.nodes.filter((n) => ids.has(n.id)).map((n) => JSON.parse(JSON.stringify(n)));
    const connections = this.doc.connections.filter((c) => ids.has(c.source) && ids.has(c.dest));
    this.clipboard = { nodes, connections };
    this.pasteCount = 0;
    try { localStorage.setItem("knitflow.clipboard", JSON.stringify(this.clipboard)); } catch { /* full */ }
    toast(`Copied ${nodes.length} node${nodes.length > 1 ? "s" : ""}`, "info", 1200);
  }

  async paste() {
    let clip = this.clipboard;
    if (!clip) { try { clip = JSON.parse(localStorage.getItem("knitflow.clipboard") || "null"); } catch { clip = null; } }
    if (!clip || !clip.nodes.length || !this.path) return;
    this.pasteCount += 1;
    const off = 40 * this.pasteCount;
    try {
      const res = await this.command({ op: "paste", nodes: clip.nodes, connections: clip.connections, offset: [off, off], label: "paste" });
      this.select(Object.values(res.nodes).map(Number));
    } catch { /* shown */ }
  }

  onKey(e) {
    if (this.dialog) {
      // focus may have left the dialog (a click on its tab strip): Escape still closes it
      if (e.key === "Escape") { e.preventDefault(); this.dialog.close(); }
      return;
    }
    const tag = (e.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag)) return;
    const ctrl = e.ctrlKey || e.metaKey;
    const key = e.key;
    const sel = [...this.sel];
    if (key === " ") { this.spaceDown = true; window.addEventListener("keyup", () => { this.spaceDown = false; }, { once: true }); }
    let handled = true;
    if (ctrl && key.toLowerCase() === "s") this.save();
    else if (ctrl && key.toLowerCase() === "z" && !e.shiftKey) this.undo(false);
    else if (ctrl && (key.toLowerCase() === "y" || (key.toLowerCase() === "z" && e.shiftKey))) this.undo(true);
    else if (ctrl && key.toLowerCase() === "c") this.copySelection();
    else if (ctrl && key.toLowerCase() === "x") { this.copySelection(); this.removeSelection(); }
    else if (ctrl && key.toLowerCase() === "v") this.paste();
    else if (ctrl && key.toLowerCase() === "a") { if (this.doc) this.select(this.doc.nodes.map((n) => n.id)); }
    else if (ctrl && key.toLowerCase() === "m") this.toggleMinimap();
    else if (ctrl && (key === "2" || key === "0")) this.fit();
    else if (ctrl && (key === "=" || key === "+")) this.board.ed.zoom_in();
    else if (ctrl && key === "-") this.board.ed.zoom_out();
    else if (key === "F6" && sel.length === 1) this.openDialog(sel[0]);
    else if (key === "F7" && e.shiftKey) this.execute(null);
    else if (key === "F7") { if (sel.length) this.execute(sel); }
    else if (key === "F8") this.reset(e.shiftKey ? null : sel.length ? sel : null);
    else if (key === "F9") this.cancel();
    else if (key === "F2" && e.shiftKey && sel.length === 1) this.rename(sel[0]);
    else if (key === "F2" && sel.length === 1) this.editNodeAnnotation(sel[0]);
    else if (key === "Delete" || key === "Backspace") this.removeSelection();
    else if (key === "Escape") { if (document.getElementById("context-menu")) this.closeMenu(); else this.select([]); }
    else handled = false;
    if (handled) e.preventDefault();
  }
}

const app = new App();
window.knitflow = app;
app.start().catch((e) => { console.error(e); toast(`Editor failed to start: ${e.message}`, "error", 20000); });
