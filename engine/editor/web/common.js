// Shared helpers: API calls, DOM building, toasts, port icons, fuzzy search.

export async function api(method, url, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  let data = null;
  const text = await r.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!r.ok) {
    const e = new Error((data && data.detail) || r.statusText);
    e.status = r.status;
    e.data = data;
    throw e;
  }
  return data;
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "html") e.innerHTML = v;
    else if (k === "style" && typeof v === "object") Object.assign(e.style, v);
    else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function svgEl(tag, attrs = {}) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  return e;
}

export function toast(message, kind = "info", ms = 4200) {
  const t = el("div", { class: `toast ${kind}`, text: message });
  document.getElementById("toasts").append(t);
  setTimeout(() => t.remove(), ms);
  return t;
}

export function catClass(category) {
  return "cat-" + String(category || "other").replace(/\s+/g, "-");
}

export function iconUrl(category) {
  const known = ["source", "sink", "manipulator", "learner", "predictor", "visualizer", "scorer", "loop-start", "loop-end", "script", "other"];
  const c = String(category || "other").replace(/\s+/g, "-");
  return `/static/icons/${known.includes(c) ? c : "other"}.svg`;
}

// a node type's own icon: its initials drawn over the category's colour (the node body's, KNIME's colours)
const ICON_CACHE = new Map();
export function nodeIconUrl(info) {
  const key = info ? info.type : "?";
  if (ICON_CACHE.has(key)) return ICON_CACHE.get(key);
  const name = info ? String(info.name || info.type) : "?";
  const words = name.replace(/\(.*?\)/g, " ").replace(/^(Sklearn|Spark|RDKit)\s+/i, "").split(/[\s_\-/]+/).filter((w) => /^[A-Za-z0-9]/.test(w));
  let label = words.length === 1 ? words[0].slice(0, 3) : words.slice(0, 3).map((w) => (/^[A-Z0-9]{2,4}$/.test(w) ? w : w[0])).join("");
  label = label.slice(0, 4);
  label = label.length > 1 && label === label.toLowerCase() ? label[0].toUpperCase() + label.slice(1) : label;
  const size = label.length <= 2 ? 13 : label.length === 3 ? 11 : 9;
  const cat = info ? String(info.category).replace(/\s+/g, "-") : "other";
  const mark = { source: "M4 26h24", sink: "M4 6h24", learner: "M6 26l6-6 5 3 9-9", predictor: "M6 24h20l-4-4m4 4l-4 4",
    "loop-start": "M8 26a8 8 0 1 1 6 0", "loop-end": "M24 26a8 8 0 1 0-6 0", visualizer: "M6 26v-6m6 6v-10m6 10v-4m6 4v-12",
    scorer: "M7 25l4 3 8-9", script: "M8 26l-3-3 3-3m16 6l3-3-3-3" }[cat] || "M6 27h20";
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">`
    + `<path d="${mark}" fill="none" stroke="#1d1d1b" stroke-opacity=".45" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>`
    + `<text x="16" y="${label.length <= 2 ? 19 : 18}" text-anchor="middle" font-family="Helvetica,Arial,sans-serif" font-weight="700" font-size="${size}" fill="#1d1d1b" fill-opacity=".85">${esc(label)}</text></svg>`;
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  ICON_CACHE.set(key, url);
  return url;
}

// port icon (black triangle for tables, coloured square for models, red circle for variables)
export function portSvg(typeInfo, optional) {
  const shape = typeInfo ? typeInfo.shape : "triangle";
  const color = typeInfo ? typeInfo.color : "#1a1a1a";
  const fill = optional ? "#fff" : color;
  let inner;
  if (shape === "circle") inner = `<circle cx="4.5" cy="4.5" r="4" fill="${fill}" stroke="${color}" stroke-width="1"/>`;
  else if (shape === "square") inner = `<rect x="0.5" y="0.5" width="8" height="8" fill="${fill}" stroke="${color}" stroke-width="1"/>`;
  else inner = `<path d="M0.5,0.5 L8.5,4.5 L0.5,8.5 Z" fill="${fill}" stroke="${color}" stroke-width="1" stroke-linejoin="round"/>`;
  return `<svg width="9" height="9" viewBox="0 0 9 9">${inner}</svg>`;
}

export function fuzzyScore(query, text) {
  // subsequence match with bonuses for word starts and runs; 0 = no match
  if (!query) return 1;
  const q = query.toLowerCase();
  const t = String(text || "").toLowerCase();
  if (!t) return 0;
  const idx = t.indexOf(q);
  if (idx >= 0) return 100 - idx + (idx === 0 || /[\s_\-(]/.test(t[idx - 1]) ? 50 : 0);
  let score = 0, ti = 0, run = 0;
  for (const ch of q) {
    if (ch === " ") continue;
    const found = t.indexOf(ch, ti);
    if (found < 0) return 0;
    run = found === ti ? run + 1 : 0;
    score += 1 + run * 2 + (found === 0 || /[\s_\-(]/.test(t[found - 1]) ? 4 : 0);
    ti = found + 1;
  }
  return score;
}

export function fmtValue(v) {
  if (v === null || v === undefined) return "?";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e9)) return v.toExponential(4);
    return String(Math.round(v * 1e6) / 1e6);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  return String(v);
}
