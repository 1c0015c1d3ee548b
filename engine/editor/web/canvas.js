// The workflow canvas, on Drawflow (vendor/drawflow, MIT): Drawflow owns the node DOM, dragging, zoom and pan,
// the bezier connections and drag-to-connect. This module draws KNIME's node anatomy into Drawflow's nodes, styles
// its port dots as KNIME's ports, and turns Drawflow's events into edits that the app sends to the server as
// commands: the server's document stays the source of truth and is imported again after every change.
import { catClass, el, esc, nodeIconUrl, portSvg, svgEl, toast } from "./common.js";

const GRID = 5;
export const snap = (v) => Math.round(v / GRID) * GRID;

// Our ports are 0 (flow variables) and 1..n; Drawflow's are input_1.. and output_1..: port p is Drawflow's p + 1.
const dfPort = (side, p) => `${side === "in" ? "input" : "output"}_${p + 1}`;
const ourPort = (cls) => Number(cls.slice(cls.indexOf("_") + 1)) - 1;

const idOf = (e) => Number(e.closest(".drawflow-node").id.slice(5));
// a Drawflow connection event ({output_id, input_id, output_class, input_class}) as one of ours
const fromDf = (c) => ({ source: Number(c.output_id), source_port: ourPort(c.output_class),
  dest: Number(c.input_id), dest_port: ourPort(c.input_class) });
const connKey = (c) => `${c.source}:${c.source_port}->${c.dest}:${c.dest_port}`;

export class Canvas {
  constructor(app, container) {
    this.app = app;
    this.el = container;
    const ed = new window.Drawflow(container);
    Object.assign(ed, { zoom_min: 0.25, zoom_max: 2.5, zoom_value: 0.1, curvature: 0.5 });
    ed.start();
    ed.precanvas.id = "nodes";
    this.ed = ed;
    this.annEl = el("div", { id: "annotations" });
    ed.precanvas.append(this.annEl);
    this.muted = false; // we change Drawflow's graph ourselves: its events are no edits then
    this.edits = []; // edits made on the canvas, sent as one command when the gesture ends
    this.group = null; // the dragged node and the other selected ones that move with it
    this.link = null; // the connection being drawn
    this.press = null; // a pressed connected input: dragging it re-routes its connection
    this.stale = false; // a document arrived during a gesture: import it when the gesture ends
    this.viewQueued = false;
    ed.on("clickEnd", (e) => this.onDown(e));
    ed.on("mouseMove", (p) => this.onMove(p));
    ed.on("mouseUp", (e) => this.onUp(e));
    ed.on("nodeMoved", (id) => this.onNodeMoved(Number(id)));
    ed.on("nodeRemoved", (id) => { if (!this.muted) this.edit({ op: "remove", nodes: [Number(id)] }, []); });
    ed.on("connectionStart", (c) => this.onConnectStart(Number(c.output_id), ourPort(c.output_class)));
    ed.on("connectionCreated", (c) => this.onConnected(fromDf(c)));
    ed.on("connectionRemoved", (c) => {
      if (this.muted) return;
      const k = fromDf(c);
      this.edit({ op: "disconnect", connection: connKey(k).replace("->", " -> ") }, [k.source, k.dest]);
    });
    ed.on("connectionSelected", (c) => app.selectConnection(connKey(fromDf(c))));
    ed.on("translate", () => this.queueView());
    ed.on("zoom", () => this.queueView());
    // Drawflow listens on its container only: a button released outside it still ends the gesture
    window.addEventListener("mouseup", (e) => { if (this.busy() && !container.contains(e.target)) ed.dragEnd(e); });
  }

  data(id) {
    return this.ed.drawflow.drawflow[this.ed.module].data[id];
  }

  nodeEl(id) {
    return document.getElementById(`node-${id}`);
  }

  portEl(id, side, p) {
    const n = this.nodeEl(id);
    return n && n.querySelector(`.${side === "in" ? "inputs" : "outputs"} > .${dfPort(side, p)}`);
  }

  // a Drawflow mouse gesture is under way (dragging a node, drawing a connection, panning)
  busy() {
    return this.ed.drag || this.ed.connection || this.ed.editor_selected;
  }

  // ------------------------------------------------------------------------------ import

  load(doc) {
    if (this.busy()) { this.stale = true; return; }
    this.stale = false;
    const app = this.app, ed = this.ed;
    const used = {};
    for (const c of doc ? doc.connections : []) {
      used[`${c.source}:out`] = Math.max(used[`${c.source}:out`] || 0, c.source_port);
      used[`${c.dest}:in`] = Math.max(used[`${c.dest}:in`] || 0, c.dest_port);
    }
    const data = {};
    const ports = {};
    for (const n of doc ? doc.nodes : []) {
      const info = app.infoOf(n);
      // the node type's ports, widened to what connections use (an unknown type keeps its connections)
      const nIn = Math.max(info ? info.inputs.length : 0, used[`${n.id}:in`] || 0);
      const nOut = Math.max(info ? info.outputs.length : 0, used[`${n.id}:out`] || 0);
      ports[n.id] = [nIn, nOut];
      const inputs = {}, outputs = {};
      for (let p = 0; p <= nIn; p++) inputs[dfPort("in", p)] = { connections: [] };
      for (let p = 0; p <= nOut; p++) outputs[dfPort("out", p)] = { connections: [] };
      const [x, y] = n.position || [0, 0];
      data[n.id] = { id: n.id, name: n.type, data: {}, html: this.nodeHtml(n, info), typenode: false, inputs, outputs,
        class: `node ${info ? catClass(info.category) : "unknown"} in-${nIn} out-${nOut}`, pos_x: x, pos_y: y };
    }
    for (const c of doc ? doc.connections : []) {
      if (!data[c.source] || !data[c.dest]) continue;
      data[c.source].outputs[dfPort("out", c.source_port)].connections.push({ node: String(c.dest), output: dfPort("in", c.dest_port) });
      data[c.dest].inputs[dfPort("in", c.dest_port)].connections.push({ node: String(c.source), input: dfPort("out", c.source_port) });
    }
    ed.import({ drawflow: { Home: { data } } });
    // Drawflow keeps its selection as elements, which the import replaced
    ed.node_selected = null;
    ed.connection_selected = null;
    ed.precanvas.prepend(this.annEl);
    const varUsed = new Set(doc ? doc.connections.flatMap((c) => [c.source_port === 0 ? `${c.source}:out` : "", c.dest_port === 0 ? `${c.dest}:in` : ""]) : []);
    for (const n of doc ? doc.nodes : []) this.decoratePorts(n, ports[n.id], varUsed);
    this.decorateLinks();
  }

  nodeHtml(n, info) {
    const name = n.name || (info ? info.name : n.type);
    const typeName = info ? info.name : "unknown type";
    const body = info ? `${info.name}\n${info.description || ""}`.trim() : `unknown node type ${n.type}`;
    return `<div class="node-name" title="${esc(`${name}\n#${n.id} · ${typeName} (${n.type})`)}">${esc(name)}</div>`
      + `<div class="node-body" title="${esc(body)}"><img src="${nodeIconUrl(info)}" alt="" draggable="false"></div>`
      + `<div class="light"><i></i><i></i><i></i></div><div class="node-annotation">${esc(n.annotation || "")}</div>`;
  }

  // Drawflow's port dots become KNIME's: triangles (tables), coloured squares (models), red circles (variables)
  decoratePorts(n, [nIn, nOut], varUsed) {
    const info = this.app.infoOf(n);
    const types = this.app.portTypes;
    for (const [side, list, count] of [["in", info ? info.inputs : [], nIn], ["out", info ? info.outputs : [], nOut]]) {
      for (let p = 0; p <= count; p++) {
        const e = this.portEl(n.id, side, p);
        const spec = p === 0 ? { type: "variables" } : list[p - 1] || { type: "table", name: "unknown port" };
        e.classList.add("port", side);
        if (p === 0) e.classList.add("var");
        if (p === 0 && varUsed.has(`${n.id}:${side}`)) e.classList.add("connected");
        e.dataset.port = String(p);
        e.dataset.type = spec.type;
        e.title = p === 0 ? `Flow variable ${side === "in" ? "input" : "output"} (port 0)`
          : `${p}: ${spec.name} (${(types[spec.type] || {}).label || spec.type})${spec.optional ? " — optional" : ""}`;
        e.innerHTML = portSvg(types[spec.type], !!spec.optional);
      }
    }
  }

  // Drawflow's path of a connection is its (wide, invisible) hit area; a thin line on top draws it as KNIME does
  decorateLinks() {
    const app = this.app;
    for (const svg of this.ed.precanvas.querySelectorAll("svg.connection")) {
      const cl = svg.classList;
      if (cl.length < 5) continue; // the connection being drawn
      const c = { source: Number(cl[2].slice(14)), source_port: ourPort(cl[3]), dest: Number(cl[1].slice(13)), dest_port: ourPort(cl[4]) };
      let line = svg.children[1];
      if (!line) {
        line = svgEl("path", { class: "link" });
        svg.append(line);
        cl.add("linked");
      }
      const key = connKey(c);
      const isVar = c.source_port === 0 || c.dest_port === 0;
      const ptype = isVar ? "variables" : app.portTypeOf(app.entry(c.source), "out", c.source_port);
      const color = !isVar && ptype !== "table" && app.portTypes[ptype] ? app.portTypes[ptype].color : null;
      const st = app.statuses[c.dest] || {};
      line.setAttribute("class", `link${isVar ? " var" : ""}${app.selConn === key ? " selected" : ""}${st.state === "executing" ? " running" : ""}`);
      line.dataset.conn = key;
      line.style.stroke = color || "";
      line.setAttribute("d", svg.children[0].getAttribute("d"));
    }
  }

  syncLinks() {
    for (const svg of this.ed.precanvas.querySelectorAll("svg.connection.linked")) svg.children[1].setAttribute("d", svg.children[0].getAttribute("d"));
  }

  paintSelection(sel) {
    for (const e of this.ed.precanvas.querySelectorAll(".drawflow-node")) e.classList.toggle("selected", sel.has(idOf(e)));
  }

  // ------------------------------------------------------------------------------- view

  // where the world's origin is inside the canvas, and the zoom
  view() {
    const r = this.ed.precanvas.getBoundingClientRect(), c = this.el.getBoundingClientRect();
    return { x: r.left - c.left, y: r.top - c.top, k: this.ed.zoom };
  }

  // Drawflow scales about the middle of its canvas; (x, y) is where the world's origin goes
  setView(k, x, y) {
    const ed = this.ed, pc = ed.precanvas;
    ed.zoom = k;
    ed.zoom_last_value = k;
    ed.canvas_x = x - (pc.clientWidth / 2) * (1 - k);
    ed.canvas_y = y - (pc.clientHeight / 2) * (1 - k);
    ed.zoom_refresh();
  }

  panBy(dx, dy) {
    this.ed.canvas_x += dx;
    this.ed.canvas_y += dy;
    this.ed.zoom_refresh();
  }

  toWorld(clientX, clientY) {
    const r = this.ed.precanvas.getBoundingClientRect();
    return [(clientX - r.left) / this.ed.zoom, (clientY - r.top) / this.ed.zoom];
  }

  // Drawflow tells of a zoom or pan before it moves the canvas: look at it in the next frame
  queueView() {
    if (this.viewQueued) return;
    this.viewQueued = true;
    requestAnimationFrame(() => { this.viewQueued = false; this.app.viewChanged(); });
  }

  // ---------------------------------------------------------------------- Drawflow events

  // after Drawflow handled a mouse press: our selection, the selection rectangle, group drags
  onDown(e) {
    const ed = this.ed, app = this.app;
    app.hideTooltip();
    this.el.focus({ preventScroll: true });
    if (ed.editor_selected) {
      // the background: Drawflow pans; KNIME draws a selection rectangle unless Alt, Space or the middle button
      if (e.button === 0 && !e.altKey && !app.spaceDown) {
        ed.editor_selected = false;
        app.startRubber(e);
      } else this.el.classList.add("panning");
      return;
    }
    const t = e.target;
    if (!t.closest || !t.closest(".drawflow-node")) return;
    const id = idOf(t);
    if (t.classList[0] === "input") {
      const port = ourPort(t.classList[1]);
      const c = app.doc.connections.filter((x) => x.dest === id && x.dest_port === port).pop();
      if (c && e.button === 0) this.press = { c, x: e.clientX, y: e.clientY };
      app.paintSelection();
      return;
    }
    if (e.button === 2) {
      // a right click keeps a multiple selection (its context menu acts on all of it)
      ed.drag = false;
      if (!app.sel.has(id)) app.select([id]);
      return;
    }
    if (!ed.drag) { app.paintSelection(); return; }
    if (e.shiftKey || e.ctrlKey || e.metaKey) {
      ed.drag = false;
      app.toggleSelected(id);
      return;
    }
    if (!app.sel.has(id)) app.select([id]);
    else { app.paintSelection(); app.output.show(id); }
    const d = this.data(id);
    this.group = { id, from: [d.pos_x, d.pos_y], others: [...app.sel].filter((n) => n !== id && this.data(n)).map((n) => [n, this.data(n).pos_x, this.data(n).pos_y]) };
  }

  onMove(p) {
    const ed = this.ed;
    if (this.press && Math.abs(p.x - this.press.x) + Math.abs(p.y - this.press.y) > 6) {
      // a connected input dragged away: the connection comes off and is drawn again from its source
      const c = this.press.c;
      this.press = null;
      ed.removeSingleConnection(c.source, c.dest, dfPort("out", c.source_port), dfPort("in", c.dest_port));
      const out = this.portEl(c.source, "out", c.source_port);
      if (!out) return;
      ed.connection = true;
      ed.ele_selected = out;
      ed.drawConnection(out);
      ed.updateConnection(p.x, p.y);
    }
    if (ed.drag && this.group) {
      const d = this.data(this.group.id);
      const dx = d.pos_x - this.group.from[0], dy = d.pos_y - this.group.from[1];
      for (const [n, x0, y0] of this.group.others) {
        const e = this.nodeEl(n), dn = this.data(n);
        dn.pos_x = x0 + dx;
        dn.pos_y = y0 + dy;
        e.style.left = `${dn.pos_x}px`;
        e.style.top = `${dn.pos_y}px`;
        ed.updateConnectionNodes(`node-${n}`);
      }
      this.syncLinks();
    }
  }

  onNodeMoved(id) {
    if (this.group) this.group.moved = true;
    const ids = [id, ...(this.group && this.group.id === id ? this.group.others.map((o) => o[0]) : [])];
    const positions = Object.fromEntries(ids.map((n) => [n, [snap(this.data(n).pos_x), snap(this.data(n).pos_y)]]));
    this.edit({ op: "move", positions }, ids);
  }

  onConnectStart(source, sp) {
    const app = this.app;
    this.link = { source, sp, made: false };
    const accepts = app.compatible[app.portTypeOf(app.entry(source), "out", sp)] || [];
    this.el.classList.add("connecting");
    this.el.classList.toggle("from-var", sp === 0);
    for (const p of this.ed.precanvas.querySelectorAll(".port.in")) {
      const ok = accepts.includes(p.dataset.type) && !app.wouldCycle(source, idOf(p));
      p.classList.toggle("ok", ok);
      p.classList.toggle("incompatible", !ok);
    }
  }

  onConnected(c) {
    if (this.muted) return;
    if (this.link) this.link.made = true;
    const problem = this.app.connectionProblem(c);
    if (problem) {
      this.muted = true;
      this.ed.removeSingleConnection(c.source, c.dest, dfPort("out", c.source_port), dfPort("in", c.dest_port));
      this.muted = false;
      toast(problem, "error");
      return;
    }
    this.decorateLinks();
    const before = c.dest_port !== 0 && this.app.doc.connections.find((x) => x.dest === c.dest && x.dest_port === c.dest_port && x.source !== c.source);
    if (before) toast(`Replaced the connection from #${before.source} into this input (Ctrl+Z brings it back)`, "info", 3500);
    this.edit({ op: "connect", ...c }, [c.source, c.dest]);
  }

  onUp(e) {
    this.el.classList.remove("panning");
    this.press = null;
    const link = this.link;
    if (link) {
      this.link = null;
      if (!link.made) this.dropOnNode(e.target, link);
      this.el.classList.remove("connecting", "from-var");
      for (const p of this.ed.precanvas.querySelectorAll(".port.in.ok, .port.in.incompatible")) p.classList.remove("ok", "incompatible");
    }
    // a click (no drag) on a node of a multiple selection selects that node alone, as in KNIME
    if (this.group && !this.group.moved && this.group.others.length) this.app.select([this.group.id]);
    this.group = null;
    this.flush();
    if (this.stale) this.app.renderAll();
  }

  // a connection dropped on a node's body goes to its first free compatible input (else its first compatible one)
  dropOnNode(target, link) {
    const nodeEl = target && target.closest ? target.closest(".drawflow-node") : null;
    if (!nodeEl || target.classList.contains("port")) return;
    const dest = idOf(nodeEl);
    const ok = [...nodeEl.querySelectorAll(".port.in.ok:not(.var)")];
    const taken = new Set(this.app.doc.connections.filter((c) => c.dest === dest).map((c) => c.dest_port));
    const port = ok.find((p) => !taken.has(Number(p.dataset.port))) || ok[0];
    if (port) this.ed.addConnection(link.source, dest, dfPort("out", link.sp), dfPort("in", Number(port.dataset.port)));
  }

  // ------------------------------------------------------------------------ edits -> commands

  edit(cmd, nodes) {
    this.edits.push([cmd, nodes]);
    setTimeout(() => this.flush(), 0);
  }

  // everything one gesture did is one command (one undo step); the server's answer is imported again
  flush() {
    if (!this.edits.length || this.busy()) return;
    const app = this.app;
    const edits = this.edits;
    this.edits = [];
    const removed = new Set(edits.filter(([c]) => c.op === "remove").flatMap(([c]) => c.nodes));
    const cmds = edits.filter(([c, nodes]) => {
      if (c.op === "disconnect") return !nodes.some((n) => removed.has(n)); // went with its node
      if (c.op === "move") return Object.entries(c.positions).some(([n, p]) => String((app.entry(n) || {}).position) !== String(p));
      return true;
    }).map(([c]) => c);
    if (!cmds.length) { app.renderAll(); return; }
    const ops = new Set(cmds.map((c) => c.op));
    const moved = cmds.find((c) => c.op === "move");
    const label = ops.has("remove") ? "delete" : ops.has("connect") && ops.has("disconnect") ? "reconnect"
      : moved ? (Object.keys(moved.positions).length > 1 ? "move nodes" : "move node") : cmds[0].op;
    const cmd = cmds.length === 1 ? { ...cmds[0], label } : { op: "batch", commands: cmds, label };
    app.command(cmd).catch(() => app.renderAll());
  }
}
