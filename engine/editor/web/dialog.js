// The node dialog: a form generated from the settings JSON Schema, column choosers filled from the
// configure-time input specs, flow-variable bindings per setting, live validation, Apply / OK /
// Apply and Execute / Cancel.
import { api, el, esc, toast } from "./common.js";
import { columnFilter, columnFits, formulaEditor, twinList } from "./widgets.js";

// Every setting names its widget in the schema (`widget`: declared by the node through engine.api.widget, else
// given by the server from the setting's name and type, engine/editor/widgets.py); nothing is guessed here.

// file-chooser icons drawn as SVG (emoji need a font that many machines lack)
const FOLDER_SVG = '<svg class="ficon" width="14" height="12" viewBox="0 0 14 12" aria-hidden="true"><path d="M0.5 1.5h4.5l1.5 1.5h7v8.5h-13z" fill="#f4c542" stroke="#b8891a"/></svg>';
const FILE_SVG = '<svg class="ficon" width="14" height="12" viewBox="0 0 14 12" aria-hidden="true"><path d="M3 0.5h5.5l3 3v8h-8.5z" fill="#fff" stroke="#777"/><path d="M8.5 0.5v3h3" fill="none" stroke="#777"/></svg>';

function clone(v) { return v === undefined ? undefined : JSON.parse(JSON.stringify(v)); }

export class NodeDialog {
  constructor(app, data) {
    this.app = app;
    this.data = data;
    this.schema = data.schema;
    this.defs = data.schema.$defs || data.schema.definitions || {};
    this.values = Object.assign({}, clone(data.defaults) || {}, clone(data.settings) || {});
    this.touched = new Set(Object.keys(data.settings || {}));
    this.useVars = Object.assign({}, data.use_variables || {});
    this.exposeVars = Object.assign({}, data.expose_variables || {});
    this.fields = new Map(); // path -> {wrap, errEl}
    this.columns = [];
    const seen = new Set();
    for (const spec of data.in_specs || []) {
      for (const c of spec || []) if (!seen.has(c.name)) { seen.add(c.name); this.columns.push(c); }
    }
    this.tab = "settings";
    this.timer = null;
    this.baseVersion = app.version; // an OK made from an older document than the server's is refused (409)
    this.build();
  }

  // ------------------------------------------------------------------------------ schema

  resolve(s) {
    if (!s) return { schema: {}, nullable: false };
    let nullable = false;
    let extra = { description: s.description, default: s.default, title: s.title };
    while (true) {
      if (s.$ref) {
        const name = s.$ref.split("/").pop();
        s = Object.assign({}, this.defs[name] || {}, { description: extra.description || (this.defs[name] || {}).description });
        continue;
      }
      if (s.allOf && s.allOf.length === 1) { s = Object.assign({}, s.allOf[0], { description: s.description || extra.description }); continue; }
      const alts = s.anyOf || s.oneOf;
      if (alts) {
        const nonNull = alts.filter((a) => a.type !== "null");
        if (nonNull.length < alts.length) nullable = true;
        if (nonNull.length === 1) { s = Object.assign({}, nonNull[0], { description: s.description || extra.description }); continue; }
      }
      break;
    }
    if (Array.isArray(s.type)) {
      if (s.type.includes("null")) nullable = true;
      const t = s.type.filter((x) => x !== "null");
      if (t.length === 1) s = Object.assign({}, s, { type: t[0] });
    }
    return { schema: s, nullable, description: s.description || extra.description };
  }

  getPath(path) {
    let v = this.values;
    for (const k of path) { if (v === null || v === undefined) return undefined; v = v[k]; }
    return v;
  }

  setPath(path, value) {
    let v = this.values;
    for (const k of path.slice(0, -1)) {
      if (v[k] === null || typeof v[k] !== "object") v[k] = {};
      v = v[k];
    }
    v[path[path.length - 1]] = value;
    this.touched.add(path[0]);
    this.scheduleValidate();
  }

  // --------------------------------------------------------------------------------- ui

  build() {
    const d = this.data;
    this.root = el("div", { class: "dialog", role: "dialog", tabindex: "-1", "aria-label": `Configure ${d.name || d.display_name}` });
    const header = el("header", {}, el("span", { class: "title", text: `${d.name || d.display_name}` }),
      el("span", { class: "sub", text: `#${d.id} · ${d.display_name} (${d.type})` }));
    this.tabsEl = el("div", { class: "tabs dlg-tabs" });
    this.body = el("div", { class: "dlg-body" });
    this.msg = el("span", { class: "msg" });
    const footer = el("footer", {}, this.msg,
      el("button", { text: "Cancel", class: "btn-cancel", onclick: () => this.close() }),
      el("button", { text: "Apply", class: "btn-apply", onclick: () => this.apply(false) }),
      el("button", { text: "OK", class: "btn-ok", onclick: () => this.apply(true) }),
      el("button", { text: "Apply and Execute", class: "primary btn-apply-exec", onclick: () => this.apply(true, true) }));
    this.root.append(header, this.tabsEl, this.body, footer);
    this.root.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); this.close(); }
      else if (e.key === "Enter" && e.target.tagName !== "TEXTAREA" && !e.target.closest(".filepick")) { e.preventDefault(); this.apply(true); }
      e.stopPropagation();
    });
    this.renderTabs();
    this.renderBody();
    const backdrop = document.getElementById("dialog-backdrop");
    backdrop.replaceChildren(this.root);
    backdrop.hidden = false;
    backdrop.onmousedown = (e) => { if (e.target === backdrop) this.close(); };
    const first = this.body.querySelector("input, select, textarea");
    if (first) first.focus();
    this.showStatusError();
  }

  renderTabs() {
    this.tabsEl.replaceChildren();
    // a component's options are flow variables themselves: its dialog has no Flow Variables tab
    const tabs = this.data.container ? [["settings", "Settings"], ["description", "Description"]]
      : [["settings", "Settings"], ["variables", "Flow Variables"], ["description", "Description"]];
    for (const [key, label] of tabs) {
      this.tabsEl.append(el("div", { class: "tab" + (this.tab === key ? " active" : ""), dataset: { tab: key },
        onclick: () => { this.tab = key; this.renderTabs(); this.renderBody(); this.root.focus(); } }, label));
    }
  }

  renderBody() {
    this.fields.clear();
    this.body.replaceChildren();
    if (this.tab === "description") {
      const d = this.data;
      this.body.append(el("div", { class: "desc-text", text: d.description || "No description." }));
      return;
    }
    if (this.tab === "variables") {
      this.body.append(this.variablesTab());
      return;
    }
    this.configBox = el("div", { class: "config-error", hidden: true });
    this.body.append(this.configBox);
    const props = this.schema.properties || {};
    if (!Object.keys(props).length) this.body.append(el("div", { class: "placeholder", text: "This node has no settings." }));
    const required = new Set(this.schema.required || []);
    // KNIME's dialogs: the everyday options first, the rarely changed ones in an Advanced section
    const advanced = el("details", { class: "advanced-section" }, el("summary", { text: "Advanced" }));
    for (const [name, s] of Object.entries(props)) (s.advanced ? advanced : this.body).append(this.field([name], s, required.has(name)));
    if (advanced.children.length > 1) this.body.append(advanced);
    if (this.data.preview) {
      // a reader's first rows with the settings as they are now
      this.previewBox = el("div", { class: "preview", dataset: { state: "loading" } }, el("div", { class: "placeholder", text: "Preview…" }));
      this.body.append(el("h4", { class: "preview-head", text: "Preview (first 10 rows)" }), this.previewBox);
      this.schedulePreview(0);
    }
  }

  // the schema title when the node gave one (KNIME's option name), else the key made readable; the key itself is
  // the label's tooltip (it is what the YAML and KNIME's settings.xml call it)
  label(path, s) {
    const name = String(path[path.length - 1]);
    const auto = name.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).replace(/_/g, " "); // pydantic's
    if (s.title && s.title !== auto) return s.title;
    const words = name.replace(/^CFG_/, "").replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/_/g, " ").trim().toLowerCase();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  field(path, rawSchema, required) {
    const { schema: s, nullable, description } = this.resolve(rawSchema);
    const key = path.join(".");
    const wrap = el("div", { class: "field", dataset: { setting: key } });
    const kind = rawSchema.widget || s.widget;
    if (kind === "column_filter") {
      wrap.dataset.widget = kind;
      wrap.append(el("label", { text: this.label(path, rawSchema) }));
      if (this.getPath(path) === null || this.getPath(path) === undefined) this.getPathParent(path)[path[path.length - 1]] = {};
      wrap.append(columnFilter({ id: `f-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`, value: this.getPath(path), columns: this.columns,
        set: (k, v) => this.setPath([...path, k], v) }));
      if (description) wrap.append(el("div", { class: "help", text: description }));
      const errEl = el("div", { class: "err", hidden: true });
      wrap.append(errEl);
      this.fields.set(key, { wrap, errEl });
      return wrap;
    }
    if (s.type === "object" && s.properties) {
      const fs = el("fieldset", { dataset: { setting: key } }, el("legend", { text: this.label(path, rawSchema) }));
      if (description) fs.append(el("div", { class: "help", text: description }));
      if (this.getPath(path) === null || this.getPath(path) === undefined) {
        if (nullable) {
          const on = el("input", { type: "checkbox" });
          fs.append(el("label", {}, on, " set"));
          on.addEventListener("change", () => { this.setPath(path, {}); this.renderBody(); });
          return fs;
        }
        this.getPathParent(path)[path[path.length - 1]] = {};
      }
      const req = new Set(s.required || []);
      for (const [name, sub] of Object.entries(s.properties)) fs.append(this.field([...path, name], sub, req.has(name)));
      return fs;
    }
    const name = String(path[path.length - 1]);
    const id = `f-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    wrap.append(el("label", { for: id, title: key, text: this.label(path, rawSchema) + (required ? " *" : "") }));
    const row = el("div", { class: "row" });
    const value = this.getPath(path);
    wrap.dataset.widget = kind || "";
    const input = this.widget(path, s, nullable, value, id, name, description, Object.assign({}, s, rawSchema, { widget: kind }));
    row.append(input);
    const bound = this.useVars[key];
    const bindable = !path.some((p) => typeof p === "number"); // the engine binds variables to named settings only
    const vbtn = !bindable ? el("span") : el("button", { class: "varbtn" + (bound ? " on" : ""), title: "Control this setting with a flow variable", text: "v",
      onclick: (e) => { e.preventDefault(); bindRow.hidden = !bindRow.hidden; } });
    row.append(vbtn);
    wrap.append(row);
    const bindRow = el("div", { class: "bind-row", hidden: !bound });
    const sel = el("select", { class: "bind-select", "aria-label": `Flow variable for ${key}` }, el("option", { value: "", text: "— not controlled by a variable —" }));
    const varNames = new Set();
    for (const v of this.data.variables || []) { varNames.add(v.name); sel.append(el("option", { value: v.name, text: `${v.name} (${v.type})` })); }
    if (bound && !varNames.has(bound)) sel.append(el("option", { value: bound, text: `${bound} (not available here)` }));
    sel.value = bound || "";
    sel.addEventListener("change", () => {
      if (sel.value) this.useVars[key] = sel.value; else delete this.useVars[key];
      wrap.classList.toggle("bound", !!sel.value);
      vbtn.classList.toggle("on", !!sel.value);
      this.scheduleValidate();
    });
    bindRow.append("uses variable ", sel);
    wrap.append(bindRow);
    if (bound) wrap.classList.add("bound");
    if (description) wrap.append(el("div", { class: "help", text: description }));
    const errEl = el("div", { class: "err", hidden: true });
    wrap.append(errEl);
    this.fields.set(key, { wrap, errEl });
    return wrap;
  }

  getPathParent(path) {
    let v = this.values;
    for (const k of path.slice(0, -1)) { if (v[k] === null || typeof v[k] !== "object") v[k] = {}; v = v[k]; }
    return v;
  }

  widget(path, s, nullable, value, id, name, description, spec) {
    const kind = spec.widget;
    const isPath = kind === "file" || this.data.path_settings.includes(path.join("."));
    if (kind === "formula") {
      return formulaEditor({ id, name: path.join("."), value, lines: !!spec.lines, language: spec.language, functions: spec.functions,
        columns: this.columns, variables: this.data.variables || [], onChange: (v) => this.setPath(path, v === "" && nullable ? null : v) });
    }
    const columnish = kind === "column" || kind === "columns";
    const usable = this.columns.filter((c) => columnFits(c, spec.types));
    const enumVals = s.enum || (s.const !== undefined ? [s.const] : null);
    if (enumVals) {
      const sel = el("select", { id, name: path.join(".") });
      if (nullable) sel.append(el("option", { value: "__null__", text: "(none)" }));
      for (const v of enumVals) sel.append(el("option", { value: JSON.stringify(v), text: String(v) }));
      sel.value = value === null || value === undefined ? (nullable ? "__null__" : JSON.stringify(enumVals[0])) : JSON.stringify(value);
      sel.addEventListener("change", () => this.setPath(path, sel.value === "__null__" ? null : JSON.parse(sel.value)));
      return sel;
    }
    if (s.type === "boolean") {
      const cb = el("input", { type: "checkbox", id, name: path.join(".") });
      cb.checked = !!value;
      cb.addEventListener("change", () => this.setPath(path, cb.checked));
      return cb;
    }
    if (s.type === "integer" || s.type === "number") {
      const inp = el("input", { type: "number", id, name: path.join("."), step: s.type === "integer" ? "1" : "any" });
      if (s.minimum !== undefined) inp.min = s.minimum;
      if (s.maximum !== undefined) inp.max = s.maximum;
      inp.value = value === null || value === undefined ? "" : String(value);
      if (nullable) inp.placeholder = "(none)";
      inp.addEventListener("input", () => {
        const t = inp.value.trim();
        if (t === "") this.setPath(path, nullable ? null : "");
        else this.setPath(path, s.type === "integer" && /^-?\d+$/.test(t) ? parseInt(t, 10) : Number(t));
      });
      return inp;
    }
    if (s.type === "string") {
      if (columnish && this.columns.length) {
        const sel = el("select", { id, name: path.join("."), class: "column-select" });
        sel.append(el("option", { value: "", text: nullable ? "(none)" : "— choose a column —" }));
        for (const c of usable) sel.append(el("option", { value: c.name, text: `${c.name}  (${c.type})` }));
        if (value && !this.columns.some((c) => c.name === value)) sel.append(el("option", { value, text: `${value} (missing)` }));
        sel.value = value || "";
        sel.addEventListener("change", () => this.setPath(path, sel.value === "" && nullable ? null : sel.value));
        return sel;
      }
      const multi = kind === "multiline" || s.format === "python" || (typeof value === "string" && value.includes("\n"));
      const inp = multi ? el("textarea", { id, name: path.join("."), spellcheck: "false" }) : el("input", { type: "text", id, name: path.join("."), spellcheck: "false", class: kind === "new_column" ? "new-column" : null });
      inp.value = value === null || value === undefined ? "" : String(value);
      if (nullable) inp.placeholder = kind === "new_column" ? "(default name)" : "(none)";
      inp.addEventListener("input", () => this.setPath(path, inp.value === "" && nullable ? null : inp.value));
      if (isPath) {
        const box = el("div", { style: { flex: "1", display: "flex", flexDirection: "column" } });
        const top = el("div", { class: "row" }, inp, el("button", { text: "Browse…", class: "btn-browse", onclick: (e) => { e.preventDefault(); this.browse(box, inp, path); } }));
        box.append(top);
        return box;
      }
      return inp;
    }
    if (s.type === "array" && s.items) {
      const item = this.resolve(s.items).schema;
      const list = Array.isArray(value) ? value : [];
      if (item.type === "string" && columnish && this.columns.length) {
        return twinList({ id, columns: usable, included: list, onChange: (inc) => this.setPath(path, inc) });
      }
      if (["string", "number", "integer"].includes(item.type)) {
        const ta = el("textarea", { id, name: path.join("."), placeholder: "one value per line", spellcheck: "false" });
        ta.value = list.join("\n");
        ta.addEventListener("input", () => {
          const items = ta.value.split("\n").map((x) => x.trim()).filter((x) => x !== "");
          this.setPath(path, item.type === "string" ? items : items.map(Number));
        });
        return ta;
      }
    }
    if (s.type === "array" && s.items) {
      const item = this.resolve(s.items).schema;
      if (item.type === "object" && item.properties) return this.objectList(path, item, Array.isArray(value) ? value : [], id);
    }
    const alts = (s.anyOf || s.oneOf || []).map((a) => this.resolve(a).schema);
    if (alts.length && alts.every((a) => ["string", "number", "integer", "boolean", "null"].includes(a.type))) {
      // a value of several primitive types (e.g. a filter's reference value): typed as written
      const inp = el("input", { type: "text", id, name: path.join("."), spellcheck: "false", placeholder: alts.map((a) => a.type).join(" | ") });
      inp.value = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
      inp.addEventListener("input", () => {
        const t = inp.value.trim();
        let v = inp.value;
        if (t === "") v = null;
        else if (/^(true|false|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(t)) v = JSON.parse(t);
        this.setPath(path, v);
      });
      return inp;
    }
    // anything else: JSON
    const ta = el("textarea", { id, name: path.join("."), spellcheck: "false", class: "json" });
    ta.value = value === undefined ? "" : JSON.stringify(value, null, 1);
    ta.addEventListener("input", () => {
      try { this.setPath(path, ta.value.trim() === "" ? null : JSON.parse(ta.value)); this.fieldError(path.join("."), null); }
      catch { this.fieldError(path.join("."), "not valid JSON"); }
    });
    return ta;
  }

  objectList(path, item, list, id) {
    // a list of records (row filter predicates, reader columns, aggregations): one box each
    const box = el("div", { class: "objlist", id, dataset: { setting: path.join(".") } });
    const req = new Set(item.required || []);
    const defaults = () => {
      const o = {};
      for (const [k, sub] of Object.entries(item.properties)) {
        const r = this.resolve(sub);
        if (sub.default !== undefined) o[k] = clone(sub.default);
        else if (r.schema.default !== undefined) o[k] = clone(r.schema.default);
        else if (r.schema.enum) o[k] = r.schema.enum[0];
        else if (r.schema.type === "boolean") o[k] = false;
        else if (r.schema.type === "string") o[k] = "";
        else if (r.schema.type === "array") o[k] = [];
      }
      return o;
    };
    list.forEach((_, i) => {
      const fs = el("fieldset", { class: "objitem" }, el("legend", {}, `${i + 1}`,
        el("button", { class: "objremove", title: "Remove", text: "✕", onclick: (e) => {
          e.preventDefault();
          const cur = [...(this.getPath(path) || [])];
          cur.splice(i, 1);
          this.setPath(path, cur);
          this.renderBody();
        } })));
      for (const [k, sub] of Object.entries(item.properties)) fs.append(this.field([...path, i, k], sub, req.has(k)));
      box.append(fs);
    });
    box.append(el("button", { class: "objadd", text: "+ Add", onclick: (e) => {
      e.preventDefault();
      this.setPath(path, [...(this.getPath(path) || []), defaults()]);
      this.renderBody();
    } }));
    return box;
  }

  async browse(box, inp, path) {
    let panel = box.querySelector(".filepick");
    if (panel) { panel.remove(); return; }
    panel = el("div", { class: "filepick" });
    box.append(panel);
    const roots = [["workspace", "Workspace"], ...this.data.data_dirs.map((d, i) => [`data${i}`, `Data: ${d.split("/").slice(-2).join("/")}`])];
    const show = async (root, sub) => {
      let res;
      try {
        res = await api("GET", `/api/files?root=${encodeURIComponent(root)}&path=${encodeURIComponent(sub)}&workflow=${encodeURIComponent(this.app.path)}`);
      } catch (e) { panel.replaceChildren(el("div", { text: e.message })); return; }
      const head = el("div", { class: "roots" }, ...roots.map(([r, label]) => el("button", { text: label, onclick: (e) => { e.preventDefault(); show(r, ""); } })));
      panel.replaceChildren(head);
      if (sub) panel.append(el("div", { class: "dir up", html: `${FOLDER_SVG}..`, onclick: () => show(root, sub.split("/").slice(0, -1).join("/")) }));
      for (const ent of res.entries) {
        panel.append(el("div", { class: ent.dir ? "dir" : "file", html: (ent.dir ? FOLDER_SVG : FILE_SVG) + esc(ent.name),
          onclick: () => {
            if (ent.dir) show(root, sub ? `${sub}/${ent.name}` : ent.name);
            else { inp.value = ent.value; this.setPath(path, ent.value); panel.remove(); }
          } }));
      }
      if (!res.entries.length) panel.append(el("div", { text: "(empty)" }));
    };
    show("workspace", "");
  }

  variablesTab() {
    const t = el("table", { class: "vars" });
    t.append(el("tr", {}, el("th", { text: "Setting" }), el("th", { text: "Use variable" }), el("th", { text: "Expose as variable" })));
    const leaves = [];
    const walk = (props, prefix) => {
      for (const [name, raw] of Object.entries(props || {})) {
        const { schema } = this.resolve(raw);
        if (schema.type === "object" && schema.properties) walk(schema.properties, [...prefix, name]);
        else leaves.push([...prefix, name].join("."));
      }
    };
    walk(this.schema.properties, []);
    for (const key of leaves) {
      const sel = el("select", { dataset: { setting: key } }, el("option", { value: "", text: "" }));
      for (const v of this.data.variables || []) sel.append(el("option", { value: v.name, text: `${v.name} (${v.type})` }));
      if (this.useVars[key] && ![...sel.options].some((o) => o.value === this.useVars[key])) sel.append(el("option", { value: this.useVars[key], text: this.useVars[key] }));
      sel.value = this.useVars[key] || "";
      sel.addEventListener("change", () => { if (sel.value) this.useVars[key] = sel.value; else delete this.useVars[key]; this.scheduleValidate(); });
      const exp = el("input", { type: "text", value: this.exposeVars[key] || "", placeholder: "variable name", dataset: { setting: key } });
      exp.addEventListener("input", () => { if (exp.value.trim()) this.exposeVars[key] = exp.value.trim(); else delete this.exposeVars[key]; });
      t.append(el("tr", {}, el("td", { text: key }), el("td", {}, sel), el("td", {}, exp)));
    }
    return leaves.length ? t : el("div", { class: "placeholder", text: "This node has no settings." });
  }

  // ------------------------------------------------------------------------- validation

  collect() {
    const out = {};
    for (const k of this.touched) if (this.values[k] !== undefined) out[k] = this.values[k];
    return out;
  }

  scheduleValidate() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.validate(), 250);
  }

  fieldError(key, message) {
    let f = this.fields.get(key);
    if (!f) {
      const top = key.split(".")[0];
      f = this.fields.get(top) || [...this.fields.entries()].find(([k]) => k.startsWith(top + "."))?.[1];
    }
    if (!f) return false;
    f.errEl.hidden = !message;
    f.errEl.textContent = message || "";
    f.wrap.classList.toggle("invalid", !!message);
    return true;
  }

  clearErrors() {
    for (const [k] of this.fields) this.fieldError(k, null);
    if (this.configBox) this.configBox.hidden = true;
    this.msg.textContent = "";
  }

  showErrors(errors, configError) {
    this.clearErrors();
    const loose = [];
    for (const e of errors || []) if (!this.fieldError(e.loc, e.msg)) loose.push(`${e.loc}: ${e.msg}`);
    if (configError) {
      const placed = configError.setting && this.fieldError(configError.setting, configError.message);
      if (this.configBox) { this.configBox.hidden = false; this.configBox.textContent = configError.message; }
      if (!placed && !this.configBox) loose.push(configError.message);
    }
    if (loose.length && this.configBox) { this.configBox.hidden = false; this.configBox.textContent = loose.join("\n"); }
    const n = (errors || []).length;
    this.msg.textContent = n ? `${n} setting${n === 1 ? " is" : "s are"} invalid` : configError ? "the node cannot be configured with these settings" : "";
  }

  showStatusError() {
    const st = this.data.status || {};
    if (st.error && this.configBox && (st.state === "idle")) this.showErrors([], { message: st.error, setting: st.setting });
  }

  schedulePreview(ms = 600) {
    if (!this.data.preview) return;
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.loadPreview(), ms);
  }

  async loadPreview() {
    const box = this.previewBox;
    if (!box || !box.isConnected) return;
    const seq = (this.previewSeq = (this.previewSeq || 0) + 1);
    let res;
    try {
      res = await api("POST", `/api/workflow/preview?path=${encodeURIComponent(this.app.path)}&id=${this.data.id}`, { settings: this.collect() });
    } catch (e) { res = { error: e.message }; }
    if (seq !== this.previewSeq || !box.isConnected) return;
    if (res.error) {
      box.dataset.state = "error";
      box.replaceChildren(el("div", { class: "preview-error", text: res.error }));
      return;
    }
    const t = el("table", { class: "data" });
    t.append(el("thead", {}, el("tr", {}, el("th", { class: "rowid", text: "RowID" }),
      ...res.columns.map((c) => el("th", { dataset: { col: c.name } }, c.name, el("span", { class: "ctype", text: c.type }))))));
    const tb = el("tbody");
    res.rows.forEach((row, i) => tb.append(el("tr", {}, el("td", { class: "rowid", text: res.row_ids[i] }),
      ...row.map((v) => el("td", { class: v === null ? "missing" : "", text: v === null ? "?" : String(v) })))));
    t.append(tb);
    box.dataset.state = "ok";
    box.replaceChildren(el("div", { class: "preview-info", text: `${res.total_rows} rows, ${res.columns.length} columns` }), el("div", { class: "preview-scroll" }, t));
  }

  async validate() {
    try {
      const res = await api("POST", `/api/workflow/validate?path=${encodeURIComponent(this.app.path)}&id=${this.data.id}`,
        { settings: this.collect(), use_variables: this.useVars });
      if (this.tab === "settings") this.showErrors(res.errors, res.configure_error);
      if (!res.errors.length) this.schedulePreview();
      return res;
    } catch (e) {
      this.msg.textContent = e.message;
      return null;
    }
  }

  async apply(close, execute = false) {
    clearTimeout(this.timer);
    try {
      await this.app.command({ op: "set_settings", node: this.data.local ?? this.data.id, settings: this.collect(),
        use_variables: this.useVars, expose_variables: this.exposeVars, label: "change settings" }, { quiet: true, version: this.baseVersion });
      this.baseVersion = this.app.version;
    } catch (e) {
      if (e.status === 409 && e.data && e.data.version !== undefined) {
        this.msg.textContent = "Changed in another tab: not applied. Reload to see the current settings.";
        return false;
      }
      if (e.data && e.data.errors && e.data.errors.length) {
        if (this.tab !== "settings") { this.tab = "settings"; this.renderTabs(); this.renderBody(); }
        this.showErrors(e.data.errors, null);
      } else this.msg.textContent = e.message;
      return false;
    }
    this.touched = new Set(Object.keys(this.collect()));
    if (close) this.close();
    else { this.msg.textContent = ""; toast("Settings applied", "ok", 1500); this.validate(); }
    if (execute) this.app.execute([this.data.local ?? this.data.id]);
    return true;
  }

  close() {
    clearTimeout(this.timer);
    const backdrop = document.getElementById("dialog-backdrop");
    backdrop.hidden = true;
    backdrop.replaceChildren();
    this.app.dialog = null;
    document.getElementById("canvas").focus();
  }
}
