// Metanodes and components in the editor: the view of a container opened into the canvas (its nodes plus two
// bars for its own ports, as KNIME draws them), the breadcrumb back up, Create metanode / component from a
// selection, Expand, and a component's options. Inside a container the canvas shows inner (local) ids; every
// command goes to the server with `scope` (the container's path) and its own ports as node -1 (in:K / out:K).
import { el, toast } from "./common.js";

export const IN_BAR = 999990;
export const OUT_BAR = 999991;
const LEVEL = 1000000; // an inner node's flat id is outer * LEVEL + inner (engine.core.metanodes)
const CONTAINERS = ["metanode", "component"];
const OPTION_TYPES = ["integer", "double", "string", "boolean", "column", "choice"];

export const isContainer = (entry) => !!entry && CONTAINERS.includes(entry.type);
export const isBar = (id) => id === IN_BAR || id === OUT_BAR;

// the container entries along the current scope (outermost first); null when the path no longer exists
export function scopeEntries(app) {
  const out = [];
  let nodes = app.fullDoc ? app.fullDoc.nodes : [];
  for (const id of app.scope) {
    const entry = nodes.find((n) => n.id === id);
    if (!isContainer(entry) || !entry.workflow) return null;
    out.push(entry);
    nodes = entry.workflow.nodes;
  }
  return out;
}

// the node-repository-like description of a container, a port bar, or a registered type
export function infoOf(app, entry) {
  if (!entry) return null;
  const ports = (list) => (list || []).map((p, i) => ({ name: p.name || `port ${i + 1}`, type: p.type || "table" }));
  if (entry.type === "@in" || entry.type === "@out") {
    const own = app.scopeEntry.workflow;
    const inBar = entry.type === "@in";
    return { type: entry.type, name: inBar ? "Input ports" : "Output ports", category: "bar", inputs: inBar ? [] : ports(own.outputs),
      outputs: inBar ? ports(own.inputs) : [], description: inBar ? "The container's inputs, as its nodes see them" : "What the container gives out" };
  }
  if (isContainer(entry)) {
    const wf = entry.workflow || {};
    const kind = entry.type === "component" ? "Component" : "Metanode";
    return { type: entry.type, name: kind, category: entry.type, inputs: ports(wf.inputs), outputs: ports(wf.outputs),
      description: wf.description || `${kind} with ${(wf.nodes || []).length} nodes (double click${entry.type === "component" ? " with Ctrl" : ""} to open it)` };
  }
  return app.types[entry.type] || null;
}

// what the canvas shows: the whole document, or an opened container's workflow with its port bars
export function viewDoc(app) {
  if (!app.scope.length) { app.scopeEntry = null; return app.fullDoc; }
  const entries = scopeEntries(app);
  const entry = entries[entries.length - 1];
  app.scopeEntry = entry;
  const wf = entry.workflow;
  const placed = wf.nodes.filter((n) => n.position);
  const xs = placed.map((n) => n.position[0]), ys = placed.map((n) => n.position[1]);
  const y = ys.length ? Math.round((Math.min(...ys) + Math.max(...ys)) / 2) : 100;
  const nodes = [...wf.nodes.map((n) => ({ ...n }))];
  nodes.push({ id: IN_BAR, type: "@in", name: "Input ports", position: [xs.length ? Math.min(...xs) - 160 : 0, y], settings: {} });
  nodes.push({ id: OUT_BAR, type: "@out", name: "Output ports", position: [xs.length ? Math.max(...xs) + 160 : 400, y], settings: {} });
  const connections = wf.connections.map((c) => ({ ...c, source: c.source === -1 ? IN_BAR : c.source, dest: c.dest === -1 ? OUT_BAR : c.dest }));
  return { ...app.fullDoc, name: entry.name || entry.type, description: wf.description || "", variables: {}, nodes, connections, annotations: [] };
}

// the flat id (what the server's states, dialogs and ports use) of a node shown in the current view
export function flatId(app, local) {
  if (isBar(local)) return null;
  let base = 0;
  for (const id of app.scope) base = base ? base * LEVEL + id : id;
  return base ? base * LEVEL + Number(local) : Number(local);
}

// a state keyed by flat ids -> the view's (local) ids
export function viewStatuses(app, all) {
  const out = {};
  for (const n of app.doc ? app.doc.nodes : []) {
    const f = flatId(app, n.id);
    if (f !== null && all[f]) out[n.id] = all[f];
  }
  return out;
}

export function localOf(app, flat) {
  if (!app.scope.length) return flat;
  const base = flatId(app, 0);
  const local = flat - base;
  return local > 0 && local < LEVEL ? local : null;
}

// a command made in the view, as the server reads it: the bars are the container's own ports (node -1)
export function toServer(app, cmd) {
  if (!app.scope.length) return cmd;
  const out = mapCommand(cmd);
  out.scope = app.scope.join(":");
  return out;
}

function mapCommand(cmd) {
  const c = { ...cmd };
  const end = (n) => (isBar(n) ? -1 : n);
  const text = (s) => String(s).replace(new RegExp(`^${IN_BAR}:`), "in:").replace(new RegExp(` -> ${OUT_BAR}:`), " -> out:");
  if ("source" in c) c.source = end(c.source);
  if ("dest" in c) c.dest = end(c.dest);
  if (c.connection !== undefined) c.connection = text(c.connection);
  if (Array.isArray(c.connections)) c.connections = c.connections.map((x) => (typeof x === "string" ? text(x) : { ...x, source: end(x.source), dest: end(x.dest) }));
  if (Array.isArray(c.nodes) && c.op !== "paste") c.nodes = c.nodes.filter((n) => !isBar(Number(n)));
  if (c.op === "paste") c.nodes = c.nodes.filter((n) => !isBar(n.id));
  if (c.positions) c.positions = Object.fromEntries(Object.entries(c.positions).filter(([n]) => !isBar(Number(n))));
  if (Array.isArray(c.commands)) c.commands = c.commands.map(mapCommand);
  return c;
}

// ------------------------------------------------------------------------------------ navigation

export function renderBreadcrumb(app) {
  const title = document.getElementById("wf-title");
  const root = app.fullDoc ? app.fullDoc.name || app.path : "no workflow";
  title.title = app.path || "";
  document.body.dataset.scope = app.scope.join(":");
  if (!app.scope.length) { title.textContent = root; return; }
  const crumbs = [el("span", { class: "crumb", dataset: { depth: "0" }, text: root, onclick: () => openScope(app, []) })];
  scopeEntries(app).forEach((entry, i) => {
    crumbs.push(el("span", { class: "crumb-sep", text: " › " }));
    const last = i === app.scope.length - 1;
    crumbs.push(el("span", { class: `crumb${last ? " current" : ""} crumb-${entry.type}`, dataset: { depth: String(i + 1) },
      text: entry.name || entry.type, onclick: last ? null : () => openScope(app, app.scope.slice(0, i + 1)) }));
  });
  title.replaceChildren(...crumbs);
}

export function openScope(app, scope) {
  app.scope = scope;
  app.sel.clear();
  app.selConn = null;
  app.selAnn = null;
  app.output.node = null;
  app.doc = viewDoc(app);
  app.statuses = viewStatuses(app, app.allStatuses);
  app.renderAll();
  app.fit();
  app.output.render();
}

export function openContainer(app, id) {
  const entry = app.entry(id);
  if (!isContainer(entry)) return;
  if (!entry.workflow) { toast(`This component is linked to ${entry.link}: open that file to edit it`, "info"); return; }
  openScope(app, [...app.scope, Number(id)]);
}

// after a new document arrived: a scope whose container went away (undo, another tab) closes up to what exists
export function keepScope(app) {
  while (app.scope.length && !scopeEntries(app)) app.scope = app.scope.slice(0, -1);
}

// ------------------------------------------------------------------------------------- commands

export async function collapse(app, kind) {
  const nodes = [...app.sel].filter((n) => !isBar(n));
  if (!nodes.length) return;
  try {
    const res = await app.command({ op: "collapse", nodes, kind, label: `create ${kind}` });
    app.select([res.node]);
  } catch { /* shown */ }
}

export async function expand(app, id) {
  try {
    const res = await app.command({ op: "expand", node: id, label: "expand" });
    app.select(Object.values(res.nodes).map(Number));
  } catch { /* shown */ }
}

// a component's options (KNIME's configuration nodes): name, type, default, choices; each a flow variable inside
export function optionsDialog(app, id) {
  const entry = app.entry(id);
  if (!entry || entry.type !== "component" || !entry.workflow || app.dialog) return;
  const backdrop = document.getElementById("dialog-backdrop");
  const rows = el("tbody");
  const addRow = (o = { name: "", type: "string", default: "" }) => {
    const type = el("select", { class: "opt-type" }, ...OPTION_TYPES.map((t) => el("option", { value: t, text: t, selected: t === o.type })));
    const tr = el("tr", {}, el("td", {}, el("input", { type: "text", class: "opt-name", value: o.name })), el("td", {}, type),
      el("td", {}, el("input", { type: "text", class: "opt-default", value: o.default === null || o.default === undefined ? "" : String(o.default) })),
      el("td", {}, el("input", { type: "text", class: "opt-choices", value: (o.choices || []).join(", "), placeholder: "a, b (choice)" })),
      el("td", {}, el("input", { type: "text", class: "opt-title", value: o.title || "" })),
      el("td", {}, el("button", { text: "✕", onclick: () => tr.remove() })));
    rows.append(tr);
  };
  for (const o of entry.workflow.configuration || []) addRow(o);
  const msg = el("span", { class: "msg" });
  const close = () => { backdrop.hidden = true; backdrop.replaceChildren(); app.dialog = null; };
  const parse = (type, raw) => {
    if (raw === "") return null;
    if (type === "integer") return Number.parseInt(raw, 10);
    if (type === "double") return Number.parseFloat(raw);
    if (type === "boolean") return /^(true|1|yes)$/i.test(raw);
    return raw;
  };
  const apply = async () => {
    const options = [...rows.querySelectorAll("tr")].map((tr) => {
      const type = tr.querySelector(".opt-type").value;
      const o = { name: tr.querySelector(".opt-name").value.trim(), type, default: parse(type, tr.querySelector(".opt-default").value.trim()) };
      const choices = tr.querySelector(".opt-choices").value.split(",").map((s) => s.trim()).filter(Boolean);
      if (choices.length) o.choices = choices;
      const title = tr.querySelector(".opt-title").value.trim();
      if (title) o.title = title;
      return o;
    }).filter((o) => o.name);
    try {
      await app.command({ op: "set_configuration", node: id, options, label: "component options" });
      close();
    } catch (e) { msg.textContent = e.message; }
  };
  const root = el("div", { class: "dialog", role: "dialog", "aria-label": "Component options" },
    el("header", {}, el("span", { class: "title", text: "Component options" }), el("span", { class: "sub", text: entry.name || "Component" })),
    el("div", { class: "dlg-body" },
      el("table", { class: "vars options" }, el("thead", {}, el("tr", {}, ...["Name", "Type", "Default", "Choices", "Title", ""].map((h) => el("th", { text: h })))), rows),
      el("button", { text: "+ Add option", onclick: () => addRow() }),
      el("div", { class: "help", text: "Each option is a flow variable inside the component; Configure… sets its value." })),
    el("footer", {}, msg, el("button", { text: "Cancel", onclick: close }), el("button", { class: "primary", text: "OK", onclick: apply })));
  root.addEventListener("keydown", (e) => { e.stopPropagation(); if (e.key === "Escape") close(); });
  backdrop.replaceChildren(root);
  backdrop.hidden = false;
  app.dialog = { close };
}

// the context menu's entries for containers and selections
export function menuItems(app, id, ids) {
  const items = [];
  const entry = app.entry(id);
  const plain = ids.filter((n) => !isBar(n));
  if (plain.length) {
    items.push(["Create metanode", "", () => collapse(app, "metanode"), app.running]);
    items.push(["Create component", "", () => collapse(app, "component"), app.running]);
  }
  if (isContainer(entry) && ids.length === 1) {
    items.push(["Open", "", () => openContainer(app, id), !entry.workflow]);
    items.push(["Expand", "", () => expand(app, id), app.running || !entry.workflow]);
    if (entry.type === "component") items.push(["Component options…", "", () => optionsDialog(app, id), !entry.workflow]);
  }
  return items;
}

