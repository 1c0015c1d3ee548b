// Dialog widgets a KNIME user knows: the formula editor (columns, flow variables and functions to insert,
// syntax errors from the node's own grammar through the dialog's live configure), the twin list of a column
// selection, and the column filter with its manual / wildcard / regex / type modes.
import { el } from "./common.js";

const NUMERIC = new Set(["Double", "Integer", "Long", "Number"]);

export function columnFits(col, types) {
  if (!types || !types.length) return true;
  return types.some((t) => (t === "numeric" ? NUMERIC.has(col.type) : t === col.type));
}

// how each language writes a column and a flow variable
const SYNTAX = {
  expression: { col: (n) => `$["${n}"]`, var: (v) => `$$["${v.name}"]` },
  jep: { col: (n) => `$${n}$`, var: (v) => `$\${${varLetter(v)}${v.name}}$$` },
  rule: { col: (n) => `$${n}$`, var: (v) => `$\${${varLetter(v)}${v.name}}$$` },
  string: { col: (n) => `$${n}$`, var: (v) => `$\${${varLetter(v)}${v.name}}$$` },
};

function varLetter(v) {
  const t = String(v.type || "").toLowerCase();
  return t.startsWith("int") ? "I" : t.startsWith("double") || t.startsWith("float") || t === "number" ? "D" : "S";
}

export function formulaEditor({ id, name, value, lines, language, functions, columns, variables, onChange }) {
  const syntax = SYNTAX[language] || SYNTAX.jep;
  const ta = el("textarea", { id, name, class: "formula-text", spellcheck: "false", rows: 7 });
  ta.value = lines ? (Array.isArray(value) ? value.join("\n") : "") : value === null || value === undefined ? "" : String(value);
  const emit = () => onChange(lines ? ta.value.split("\n").filter((l) => l.trim() !== "") : ta.value);
  ta.addEventListener("input", emit);
  const insert = (text) => {
    const start = ta.selectionStart ?? ta.value.length, end = ta.selectionEnd ?? ta.value.length;
    ta.setRangeText(text, start, end, "end");
    ta.focus();
    emit();
  };
  const list = (cls, items, label, make) => {
    const search = el("input", { type: "search", class: "fx-search", placeholder: `Search ${label.toLowerCase()}…` });
    const ul = el("ul", { class: cls });
    const fill = () => {
      const q = search.value.trim().toLowerCase();
      ul.replaceChildren(...items.filter((x) => !q || make(x).label.toLowerCase().includes(q)).map((x) => {
        const m = make(x);
        return el("li", { title: `Insert ${m.text}`, dataset: { insert: m.text }, onmousedown: (e) => e.preventDefault(), onclick: () => insert(m.text) },
          m.label, m.hint ? el("span", { class: "ctype", text: m.hint }) : null);
      }));
      if (!ul.children.length) ul.append(el("li", { class: "empty", text: "none" }));
    };
    search.addEventListener("input", fill);
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
    fill();
    return el("div", { class: "fx-section" }, el("h4", { text: label }), search, ul);
  };
  const side = el("div", { class: "formula-side" },
    list("fx-columns", columns, "Columns", (c) => ({ label: c.name, hint: c.type, text: syntax.col(c.name) })),
    list("fx-variables", variables, "Flow variables", (v) => ({ label: v.name, hint: v.type, text: syntax.var(v) })),
    list("fx-functions", functions || [], "Functions", (f) => ({ label: f, text: `${f}()` })));
  return el("div", { class: "formula", dataset: { language: language || "" } }, side, ta);
}

// KNIME's twin list: Excludes on the left, Includes on the right; the value is the include list in its order
export function twinList({ id, columns, included, excluded, onChange, enforceExclusion }) {
  const names = columns.map((c) => c.name);
  let inc = [...(included || [])];
  const typeOf = Object.fromEntries(columns.map((c) => [c.name, c.type]));
  const search = el("input", { type: "search", class: "twin-search", placeholder: "Filter columns…" });
  const left = el("select", { multiple: true, size: 8, class: "twin-exclude", "aria-label": "Excludes" });
  const right = el("select", { multiple: true, size: 8, class: "twin-include", "aria-label": "Includes" });
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const show = (n) => !q || n.toLowerCase().includes(q);
    const exc = names.filter((n) => !inc.includes(n));
    left.replaceChildren(...exc.filter(show).map((n) => el("option", { value: n, text: `${n}  (${typeOf[n]})` })));
    right.replaceChildren(...inc.filter(show).map((n) => el("option", { value: n, text: typeOf[n] ? `${n}  (${typeOf[n]})` : `${n}  (missing)`, class: typeOf[n] ? "" : "missing" })));
  };
  const commit = () => { render(); onChange(inc, names.filter((n) => !inc.includes(n))); };
  const move = (toInclude, all) => {
    const from = toInclude ? left : right;
    const picked = all ? [...from.options].map((o) => o.value) : [...from.selectedOptions].map((o) => o.value);
    if (toInclude) inc = [...inc, ...picked.filter((n) => !inc.includes(n))];
    else inc = inc.filter((n) => !picked.includes(n));
    commit();
  };
  left.addEventListener("dblclick", () => move(true, false));
  right.addEventListener("dblclick", () => move(false, false));
  search.addEventListener("input", render);
  search.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
  const btn = (text, title, fn) => el("button", { text, title, class: "twin-btn", onclick: (e) => { e.preventDefault(); fn(); } });
  const buttons = el("div", { class: "twin-buttons" }, btn("›", "Add", () => move(true, false)), btn("»", "Add all", () => move(true, true)),
    btn("‹", "Remove", () => move(false, false)), btn("«", "Remove all", () => move(false, true)));
  render();
  void excluded; void enforceExclusion;
  return el("div", { class: "twinlist", id }, search,
    el("div", { class: "twin-row" }, el("div", { class: "twin-col" }, el("div", { class: "twin-head", text: "Excludes" }), left), buttons,
      el("div", { class: "twin-col" }, el("div", { class: "twin-head", text: "Includes" }), right)));
}

function wildcardToRegex(p) {
  return "^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$";
}

// engine/nodes/_common.ColumnFilter: mode MANUAL (twin list), WILDCARD / REGEX (pattern), TYPE (types)
export function columnFilter({ id, value, columns, set }) {
  const v = Object.assign({ mode: "MANUAL", included_names: [], excluded_names: [], pattern: "", case_sensitive: true, inverted: false, enforce_option: "EnforceExclusion" }, value || {});
  const box = el("div", { class: "colfilter", id, dataset: { mode: v.mode } });
  const modes = [["MANUAL", "Manual"], ["WILDCARD", "Wildcard"], ["REGEX", "Regex"], ["TYPE", "Type"]];
  const bar = el("div", { class: "cf-modes", role: "radiogroup" });
  const body = el("div", { class: "cf-body" });
  const render = () => {
    box.dataset.mode = v.mode;
    bar.replaceChildren(...modes.map(([m, label]) => {
      const r = el("input", { type: "radio", name: `${id}-mode`, value: m });
      r.checked = v.mode === m;
      r.addEventListener("change", () => { v.mode = m; set("mode", m); render(); });
      return el("label", { class: "cf-mode" }, r, label);
    }));
    body.replaceChildren();
    if (v.mode === "MANUAL") {
      // listed columns as KNIME stores them; columns in neither list follow "include unknown columns"
      const included = v.enforce_option === "EnforceExclusion"
        ? columns.map((c) => c.name).filter((n) => !v.excluded_names.includes(n)).concat(v.included_names.filter((n) => !columns.some((c) => c.name === n)))
        : v.included_names;
      body.append(twinList({ id: `${id}-twin`, columns, included, onChange: (inc, exc) => {
        v.included_names = inc; v.excluded_names = exc;
        set("included_names", inc); set("excluded_names", exc);
      } }));
      const keep = el("input", { type: "checkbox", class: "cf-enforce" });
      keep.checked = v.enforce_option === "EnforceExclusion";
      keep.addEventListener("change", () => { v.enforce_option = keep.checked ? "EnforceExclusion" : "EnforceInclusion"; set("enforce_option", v.enforce_option); });
      body.append(el("label", { class: "cf-check" }, keep, " Always include all unknown columns (enforce exclusion)"));
    } else if (v.mode === "TYPE") {
      const types = [...new Set(columns.map((c) => c.type))];
      const chosen = new Set(v.type_filter || []);
      for (const t of types) {
        const cb = el("input", { type: "checkbox", value: t });
        cb.checked = chosen.has(t);
        cb.addEventListener("change", () => { if (cb.checked) chosen.add(t); else chosen.delete(t); v.type_filter = [...chosen]; set("type_filter", v.type_filter); });
        body.append(el("label", { class: "cf-check" }, cb, ` ${t}`));
      }
    } else {
      const pat = el("input", { type: "text", class: "cf-pattern", value: v.pattern, placeholder: v.mode === "REGEX" ? "regular expression" : "wildcards * and ?" });
      const cs = el("input", { type: "checkbox" });
      cs.checked = !!v.case_sensitive;
      const inv = el("input", { type: "checkbox" });
      inv.checked = !!v.inverted;
      const preview = el("div", { class: "cf-preview" });
      const show = () => {
        let re = null;
        try { re = new RegExp(v.mode === "REGEX" ? `^(?:${v.pattern})$` : wildcardToRegex(v.pattern), v.case_sensitive ? "" : "i"); } catch { re = null; }
        const hits = re ? columns.filter((c) => re.test(c.name) !== !!v.inverted).map((c) => c.name) : [];
        preview.textContent = re ? `Includes: ${hits.join(", ") || "none"}` : "invalid pattern";
      };
      pat.addEventListener("input", () => { v.pattern = pat.value; set("pattern", pat.value); show(); });
      pat.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
      cs.addEventListener("change", () => { v.case_sensitive = cs.checked; set("case_sensitive", cs.checked); show(); });
      inv.addEventListener("change", () => { v.inverted = inv.checked; set("inverted", inv.checked); show(); });
      body.append(pat, el("label", { class: "cf-check" }, cs, " Case sensitive"), el("label", { class: "cf-check" }, inv, " Exclude matching"), preview);
      show();
    }
  };
  render();
  box.append(bar, body);
  if (!columns.length) box.append(el("div", { class: "help cf-nocols", text: "No input columns known yet: connect the node to a configured one (the settings can still be edited)." }));
  return box;
}
