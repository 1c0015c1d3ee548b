"""KNIME's Column Expressions / Variable Expressions runtime on an embedded V8 (mini-racer).

KNIME evaluates each expression as a JavaScript script whose last statement's value is the result,
with access functions (`column`, `variable`, `rowIndex`, `rowId`, `rowCount`) and a function library
modelled on String Manipulation and Math Formula. The library below is JavaScript: the string
functions follow KNIME's String Manipulation implementation (KnimeStringUtils, as ported in
nodes._string_functions), the math functions java.lang.Math. All rows are evaluated inside V8 in
chunks, so a table costs a few calls into the engine rather than one per cell.

A context is made per use and closed after it: V8 contexts do not survive a fork (a loop worker
would hang on an inherited one), and a new one costs a few milliseconds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a context is made: ~70 ms, paid only by workflows that use the nodes
    from py_mini_racer import MiniRacer

# functions of KNIME's library that knitflow knows by name but does not evaluate: a call fails the
# node with a clear message instead of computing something else
UNSUPPORTED: dict[str, str] = {
    "log": "its base differs between KNIME's function sets; use ln(x), log10(x) or Math.log(x)",
}

STRING_FUNCTIONS = (
    "capitalize", "compare", "count", "countChars", "indexOf", "indexOfChars", "join", "joinSep",
    "lastIndexOfChar", "length", "lowerCase", "md5Checksum", "padLeft", "padRight", "regexMatcher",
    "regexReplace", "removeChars", "removeDiacritic", "removeDuplicates", "replace", "replaceChars",
    "replaceUmlauts", "reverse", "string", "strip", "stripEnd", "stripStart", "substr", "toEmpty",
    "toNull", "upperCase", "urlDecode", "urlEncode", "urlEncodeCharset",
)  # fmt: skip
CONVERSION_FUNCTIONS = ("toBoolean", "toDouble", "toInt", "toLong", "toString", "isMissing")
MATH_FUNCTIONS = (
    "abs", "acos", "asin", "atan", "atan2", "ceil", "cos", "cosh", "exp", "floor", "ln", "log10",
    "max", "min", "mod", "pow", "round", "signum", "sin", "sinh", "sqrt", "tan", "tanh",
)  # fmt: skip
ACCESS_FUNCTIONS = ("column", "variable", "rowIndex", "rowId", "rowCount")
FUNCTION_NAMES = tuple(
    sorted({*STRING_FUNCTIONS, *CONVERSION_FUNCTIONS, *MATH_FUNCTIONS, *ACCESS_FUNCTIONS}, key=str.lower)
)

CHUNK_ROWS = 4096

LIBRARY_JS = r"""
var __kf = {cols: {}, rowIds: [], n: 0, row: 0, vars: {}, windowSize: 0, firstLast: true,
            failInvalid: true, table: true, scripts: []};

function __kf_fail(kind, message) {
  var e = new Error(message);
  e.name = kind;
  e.__kf_kind = kind;
  return e;
}
function __kf_invalid(message) {
  if (__kf.failInvalid) throw __kf_fail("InvalidAccess", message);
  return null;
}
function __kf_npe(v) {
  if (v === null || v === undefined) throw __kf_fail("NullPointerException", "an argument is missing (null)");
  return v;
}
function __kf_has(obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); }
function __kf_copy(v) { return Array.isArray(v) ? v.map(__kf_copy) : v; }
function __kf_str(v) { return (v === null || v === undefined) ? null : String(v); }
function __kf_int(v) { return Number(v) | 0; }
function __kf_nullIn(args) {
  for (var i = 0; i < args.length; i++) if (args[i] === null || args[i] === undefined) return true;
  return false;
}

// ------------------------------------------------------------------------------ data access
function column(name, offset) {
  if (!__kf.table) throw __kf_fail("Unsupported", "column() is not available in Variable Expressions");
  name = String(name);
  if (!__kf_has(__kf.cols, name)) return __kf_invalid("No column '" + name + "' in the input table");
  var row = __kf.row;
  if (offset !== undefined && offset !== null && offset !== 0) {
    if (typeof offset !== "number" || !Number.isInteger(offset))
      return __kf_invalid("The row offset of column('" + name + "', " + offset + ") is not a whole number");
    if (Math.abs(offset) > __kf.windowSize)
      return __kf_invalid("The row offset " + offset + " of column('" + name +
                          "') lies outside the multi-row access window (size " + __kf.windowSize + ")");
    row += offset;
    if (row < 0 || row >= __kf.n) {
      if (!__kf.firstLast) return null;
      row = row < 0 ? 0 : __kf.n - 1;
    }
  }
  var v = __kf.cols[name][row];
  return v === undefined ? null : __kf_copy(v);
}
function variable(name) {
  name = String(name);
  if (!__kf_has(__kf.vars, name)) return __kf_invalid("No flow variable '" + name + "'");
  return __kf.vars[name];
}
function __kf_rowOnly(fn) {
  if (!__kf.table) throw __kf_fail("Unsupported", fn + "() is not available in Variable Expressions");
}
function rowIndex() { __kf_rowOnly("rowIndex"); return __kf.row; }
function rowId() { __kf_rowOnly("rowId"); return __kf.rowIds[__kf.row]; }
function rowCount() { __kf_rowOnly("rowCount"); return __kf.n; }
function isMissing(v) { return v === null || v === undefined; }

// ------------------------------------------------------------------- Java string helpers
function __kf_isWs(ch) {
  var c = ch.charCodeAt(0);
  if ((c >= 9 && c <= 13) || (c >= 28 && c <= 31)) return true;
  if (ch === "\u00a0" || ch === "\u2007" || ch === "\u202f") return false;
  return /[\p{Zs}\p{Zl}\p{Zp}]/u.test(ch);
}
function __kf_indexOfIc(s, needle, start) {
  start = Math.max(start, 0);
  if (start > s.length - needle.length) return -1;
  var lo = needle.toLowerCase(), up = needle.toUpperCase();
  for (var i = start; i <= s.length - needle.length; i++) {
    var part = s.substr(i, needle.length);
    if (part.toLowerCase() === lo || part.toUpperCase() === up) return i;
  }
  return -1;
}
function __kf_lastIndexOfIc(s, needle, start) {
  start = Math.min(start, s.length - needle.length);
  var lo = needle.toLowerCase(), up = needle.toUpperCase();
  for (var i = start; i >= 0; i--) {
    var part = s.substr(i, needle.length);
    if (part.toLowerCase() === lo || part.toUpperCase() === up) return i;
  }
  return -1;
}
function __kf_javaLastIndexOf(s, needle, start) { return start < 0 ? -1 : s.lastIndexOf(needle, start); }
function __kf_boundaries(s, needle, index) {
  if (index === -1) return true;
  function wb(i) { return i < 0 || i > s.length - 1 || __kf_isWs(s.charAt(i)); }
  return wb(index - 1) && wb(index + needle.length);
}
function __kf_indexOfMod(s, needle, start, modifiers) {
  if (s === null || needle === null) return -1;
  var opt = (modifiers || "").toLowerCase();
  var ic = opt.indexOf("i") >= 0, back = opt.indexOf("b") >= 0, words = opt.indexOf("w") >= 0;
  var find = back ? (ic ? __kf_lastIndexOfIc : __kf_javaLastIndexOf)
                  : (ic ? __kf_indexOfIc : function (a, b, c) { return a.indexOf(b, c); });
  var step = back ? -1 : 1;
  var index = find(s, needle, start);
  while (words && !__kf_boundaries(s, needle, index)) index = find(s, needle, index + step);
  return index;
}
function __kf_indexOfOpt(s, needle, options) {
  var opt = options || "";
  var start = opt.toLowerCase().indexOf("b") >= 0 ? __kf_npe(s).length : 0;
  return __kf_indexOfMod(s, needle, start, opt);
}
function __kf_charMatches(c, ic, opposite, chars) {
  var hit = false;
  for (var k = 0; k < chars.length && !hit; k++) {
    var r = chars.charAt(k);
    hit = c === r || (ic && c.toUpperCase() === r.toUpperCase());
  }
  return hit !== opposite;
}

// ------------------------------------------------------------------------- string functions
function capitalize(s, delims) {
  s = __kf_str(s);
  if (!s) return s;
  if (delims !== undefined && delims !== null && String(delims).length === 0) return s;
  var low = s.toLowerCase(), out = "", cap = true;
  for (var i = 0; i < low.length; i++) {
    var ch = low.charAt(i);
    var isDelim = (delims === undefined || delims === null) ? __kf_isWs(ch) : String(delims).indexOf(ch) >= 0;
    if (isDelim) { cap = true; out += ch; }
    else if (cap) { var t = ch.toUpperCase(); out += t.length === 1 ? t : ch; cap = false; }
    else out += ch;
  }
  return out;
}
function compare(a, b) {
  var r = (__kf_str(a) || "").localeCompare(__kf_str(b) || "", "en");
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}
function count(s, toCount, modifiers) {
  s = __kf_str(s); toCount = __kf_str(toCount);
  if (!s || !toCount) return 0;
  var n = 0, i = __kf_indexOfOpt(s, toCount, modifiers);
  while (i !== -1) { n++; i = __kf_indexOfMod(s, toCount, i + toCount.length, modifiers); }
  return n;
}
function countChars(s, chars, modifiers) {
  s = __kf_str(s);
  if (!s) return 0;
  chars = __kf_str(chars) || "";
  var opt = (modifiers || "").toLowerCase(), total = 0;
  function occurrences(c) { return s.split(c).length - 1; }
  for (var k = 0; k < chars.length; k++) {
    var c = chars.charAt(k);
    if (opt.indexOf("i") >= 0) {
      var lo = c.toLowerCase(), up = c.toUpperCase();
      total += occurrences(lo) + (lo !== up ? occurrences(up) : 0);
    } else total += occurrences(c);
  }
  return opt.indexOf("v") >= 0 ? s.length - total : total;
}
function indexOf(s, needle, a, b) {
  s = __kf_str(s); needle = __kf_str(needle);
  if (a === undefined) return (s === null || needle === null) ? -1 : s.indexOf(needle);
  if (typeof a === "string") return __kf_indexOfOpt(s, needle, a);
  if (b === undefined) return (s === null || needle === null) ? -1 : s.indexOf(needle, __kf_int(a));
  return __kf_indexOfMod(s, needle, __kf_int(a), __kf_str(b));
}
function indexOfChars(s, chars, a, b) {
  s = __kf_str(s); chars = __kf_str(chars);
  var start = null, modifiers = "";
  if (typeof a === "string") modifiers = a;
  else if (a !== undefined && a !== null) { start = __kf_int(a); modifiers = b === undefined ? "" : __kf_str(b); }
  if (!s || !chars) return -1;
  var opt = (modifiers || "").toLowerCase();
  var ic = opt.indexOf("i") >= 0, opposite = opt.indexOf("v") >= 0, back = opt.indexOf("b") >= 0;
  if (start === null) start = back ? s.length : 0;
  var i;
  if (back) {
    for (i = Math.min(s.length - 1, Math.max(start, 0)); i >= 0; i--)
      if (__kf_charMatches(s.charAt(i), ic, opposite, chars)) return i;
  } else {
    for (i = Math.max(start, 0); i < s.length; i++)
      if (__kf_charMatches(s.charAt(i), ic, opposite, chars)) return i;
  }
  return -1;
}
function __kf_joinSep(sep, parts) {
  if (parts.length && parts.every(function (p) { return p === null || p === undefined; })) return null;
  return parts.map(function (p) { return p === null || p === undefined ? "" : String(p); }).join(sep || "");
}
function join() { return __kf_joinSep("", Array.prototype.slice.call(arguments)); }
function joinSep(sep) { return __kf_joinSep(__kf_str(sep), Array.prototype.slice.call(arguments, 1)); }
function lastIndexOfChar(s, c) { return String(__kf_npe(s)).lastIndexOf(String(__kf_npe(c)).charAt(0)); }
function length(s) { return (s === null || s === undefined) ? 0 : String(s).length; }
function lowerCase(s) { s = __kf_str(s); return s === null ? null : s.toLowerCase(); }
function upperCase(s) { s = __kf_str(s); return s === null ? null : s.toUpperCase(); }
function __kf_pad(s, size, chars, left) {
  s = __kf_str(s);
  if (s === null) return null;
  var fill = __kf_str(chars) || " ", n = __kf_int(size) - s.length;
  if (n <= 0) return s;
  var padding = "";
  while (padding.length < n) padding += fill;
  padding = padding.substring(0, n);
  return left ? padding + s : s + padding;
}
function padLeft(s, size, chars) { return __kf_pad(s, size, chars, true); }
function padRight(s, size, chars) { return __kf_pad(s, size, chars, false); }
function removeChars(s, chars) {
  s = __kf_str(s);
  if (s === null) return null;
  if (chars === undefined) return s.replace(/[ ]+/g, "");
  chars = __kf_str(chars);
  if (!chars) return s;
  var out = "";
  for (var i = 0; i < s.length; i++) if (chars.indexOf(s.charAt(i)) < 0) out += s.charAt(i);
  return out;
}
function removeDiacritic(s) {
  s = __kf_str(s);
  return s === null ? null : s.normalize("NFKD").replace(/\p{M}/gu, "");
}
function removeDuplicates(s) { s = __kf_str(s); return s === null ? null : s.replace(/[ ]+/g, " "); }
function replace(s, search, repl, modifiers) {
  s = __kf_str(s); search = __kf_str(search); repl = __kf_str(repl);
  if (!s || !search || repl === null) return s;
  var out = "", start = 0, end = __kf_indexOfOpt(s, search, modifiers);
  if (end === -1) return s;
  while (end !== -1) {
    out += s.substring(start, end) + repl;
    start = end + search.length;
    end = __kf_indexOfMod(s, search, start, modifiers);
  }
  return out + s.substring(start);
}
function replaceChars(s, search, repl, modifiers) {
  s = __kf_str(s); search = __kf_str(search); repl = __kf_str(repl);
  if (!s || !search || repl === null) return s;
  var ic = (modifiers || "").toLowerCase().indexOf("i") >= 0, out = "";
  for (var i = 0; i < s.length; i++) {
    var c = s.charAt(i);
    if (!__kf_charMatches(c, ic, false, search)) { out += c; continue; }
    var idx = search.indexOf(c);
    if (idx < 0 && ic) {
      var lower = c === c.toLowerCase() && c !== c.toUpperCase();
      idx = search.indexOf(lower ? c.toLowerCase() : c.toUpperCase());
      if (idx < 0) idx = search.indexOf(lower ? c.toUpperCase() : c.toLowerCase());
    }
    if (idx >= 0 && idx < repl.length) out += repl.charAt(idx);
  }
  return out;
}
function replaceUmlauts(s, omitE) {
  s = __kf_str(s);
  if (s === null) return null;
  var table = omitE
    ? {"\u00e4": "a", "\u00c4": "A", "\u00f6": "o", "\u00d6": "O", "\u00fc": "u", "\u00dc": "U", "\u00df": "ss", "\u1e9e": "Ss"}
    : {"\u00e4": "ae", "\u00c4": "Ae", "\u00f6": "oe", "\u00d6": "Oe", "\u00fc": "ue", "\u00dc": "Ue", "\u00df": "ss", "\u1e9e": "Ss"};
  return s.replace(/[\u00e4\u00c4\u00f6\u00d6\u00fc\u00dc\u00df\u1e9e]/g, function (c) { return table[c]; });
}
function reverse(s) { s = __kf_str(s); return s ? Array.from(s).reverse().join("") : s; }
function __kf_strip(s, start, end) {
  s = __kf_str(s);
  if (s === null) return null;
  var i = 0, j = s.length;
  while (start && i < j && __kf_isWs(s.charAt(i))) i++;
  while (end && j > i && __kf_isWs(s.charAt(j - 1))) j--;
  return s.substring(i, j);
}
function __kf_stripAll(args, start, end) {
  if (args.length === 1) return __kf_strip(args[0], start, end);
  return Array.prototype.map.call(args, function (a) { return __kf_strip(a, start, end); });
}
function strip() { return __kf_stripAll(arguments, true, true); }
function stripStart() { return __kf_stripAll(arguments, true, false); }
function stripEnd() { return __kf_stripAll(arguments, false, true); }
function substr(s, start, len) {
  s = __kf_str(s);
  if (s === null) return null;
  start = __kf_int(start);
  if (len === undefined) { if (!s) return s; len = s.length; } else len = __kf_int(len);
  if (len < 0 || start > s.length) return "";
  start = Math.max(start, 0);
  return s.substring(start, start + len);
}
function __kf_each(args, fn) {
  if (args.length === 1) return fn(args[0]);
  return Array.prototype.map.call(args, fn);
}
function toEmpty() { return __kf_each(arguments, function (s) { return s === null || s === undefined ? "" : String(s); }); }
function toNull() { return __kf_each(arguments, function (s) { return s === "" || s === undefined ? null : __kf_str(s); }); }
function string(v) { return __kf_str(v); }
globalThis.toString = function toString(v) { return __kf_str(v); };

// ---------------------------------------------------------------------- regular expressions
var __kf_POSIX = {Lower: "a-z", Upper: "A-Z", ASCII: "\\x00-\\x7F", Alpha: "a-zA-Z", Digit: "0-9",
  Alnum: "a-zA-Z0-9", Punct: "!-\\/:-@\\[-`{-~", Space: " \\t\\n\\x0B\\f\\r", Blank: " \\t",
  XDigit: "0-9a-fA-F", javaLowerCase: "\\p{Ll}", javaUpperCase: "\\p{Lu}", L: "\\p{L}", N: "\\p{N}"};
function __kf_javaRegex(pattern) {
  pattern = String(__kf_npe(pattern));
  if (/\(\?>|[*+?}][+]/.test(pattern.replace(/\\./g, "")))
    throw __kf_fail("Unsupported", "possessive quantifiers and atomic groups of Java regexes are not supported: " + pattern);
  var flags = "u", m = /^\(\?([imsx]+)\)/.exec(pattern);
  if (m) {
    if (m[1].indexOf("x") >= 0) throw __kf_fail("Unsupported", "the regex flag (?x) is not supported");
    flags += m[1];
    pattern = pattern.substring(m[0].length);
  }
  pattern = pattern.replace(/\\([pP])\{(?:Is)?(\w+)\}|\\A|\\[zZ]/g, function (all, p, name) {
    if (all === "\\A") return "^";
    if (all === "\\z" || all === "\\Z") return "$";
    if (__kf_has(__kf_POSIX, name)) return "[" + (p === "P" ? "^" : "") + __kf_POSIX[name] + "]";
    return all;
  });
  try { return new RegExp(pattern, flags); }
  catch (e) { throw __kf_fail("PatternSyntaxException", e.message); }
}
function __kf_javaReplacement(replacement, match, groups, named) {
  var out = "", i = 0;
  while (i < replacement.length) {
    var ch = replacement.charAt(i);
    if (ch === "\\" && i + 1 < replacement.length) { out += replacement.charAt(i + 1); i += 2; continue; }
    if (ch !== "$") { out += ch; i++; continue; }
    var rest = replacement.substring(i), m = /^\$\{(\w+)\}/.exec(rest);
    if (m) { out += (named && named[m[1]]) || ""; i += m[0].length; continue; }
    m = /^\$(\d)/.exec(rest);
    if (!m) throw __kf_fail("IllegalArgumentException", "Illegal group reference");
    var g = Number(m[1]);
    if (g > groups.length) throw __kf_fail("IndexOutOfBoundsException", "No group " + g);
    out += (g === 0 ? match : groups[g - 1]) || "";
    i += 2;
  }
  return out;
}
function regexReplace(s, regex, repl) {
  s = String(__kf_npe(s)); repl = String(__kf_npe(repl));
  var re = __kf_javaRegex(regex), global = new RegExp(re.source, re.flags + "g");
  return s.replace(global, function () {
    var args = Array.prototype.slice.call(arguments);
    var named = typeof args[args.length - 1] === "object" ? args.pop() : undefined;
    var groups = args.slice(1, args.length - 2);
    return __kf_javaReplacement(repl, args[0], groups, named);
  });
}
function regexMatcher(s, regex) {
  s = String(__kf_npe(s));
  var re = __kf_javaRegex(regex);
  return new RegExp("^(?:" + re.source + ")$", re.flags).test(s);
}

// -------------------------------------------------------------------------- md5, URL coding
function __kf_utf8(s) { return Array.from(unescape(encodeURIComponent(s)), function (c) { return c.charCodeAt(0); }); }
function md5Checksum(s) {
  var bytes = __kf_utf8(String(__kf_npe(s)));
  var K = [], S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  for (var i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0;
  var bitLen = bytes.length * 8;
  bytes.push(0x80);
  while (bytes.length % 64 !== 56) bytes.push(0);
  for (i = 0; i < 8; i++) bytes.push(i < 4 ? (bitLen >>> (8 * i)) & 0xff : 0);
  var h = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];
  for (var off = 0; off < bytes.length; off += 64) {
    var w = [];
    for (i = 0; i < 16; i++)
      w[i] = bytes[off + 4 * i] | (bytes[off + 4 * i + 1] << 8) | (bytes[off + 4 * i + 2] << 16) | (bytes[off + 4 * i + 3] << 24);
    var a = h[0], b = h[1], c = h[2], d = h[3];
    for (i = 0; i < 64; i++) {
      var f, g, r = i >> 4;
      if (r === 0) { f = (b & c) | (~b & d); g = i; }
      else if (r === 1) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
      else if (r === 2) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
      else { f = c ^ (b | ~d); g = (7 * i) % 16; }
      var tmp = d; d = c; c = b;
      var sum = (a + f + K[i] + w[g]) | 0, sh = S[r * 4 + (i % 4)];
      b = (b + ((sum << sh) | (sum >>> (32 - sh)))) | 0;
      a = tmp;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
  }
  var hex = "";
  for (i = 0; i < 16; i++) hex += ("0" + ((h[i >> 2] >>> (8 * (i % 4))) & 0xff).toString(16)).slice(-2);
  return hex;
}
function __kf_urlEncode(s, charset) {
  var cs = String(charset).toUpperCase(), out = "";
  if (["UTF-8", "ISO-8859-1", "US-ASCII"].indexOf(cs) < 0)
    throw __kf_fail("Unsupported", "urlEncodeCharset: charset " + charset + " is not supported");
  Array.from(s).forEach(function (ch) {
    if (/^[a-zA-Z0-9.\-*_]$/.test(ch)) { out += ch; return; }
    if (ch === " ") { out += "+"; return; }
    var code = ch.codePointAt(0), bytes;
    if (cs === "UTF-8") bytes = __kf_utf8(ch);
    else bytes = [code <= (cs === "US-ASCII" ? 0x7f : 0xff) ? code : 63];
    bytes.forEach(function (b) { out += "%" + ("0" + b.toString(16).toUpperCase()).slice(-2); });
  });
  return out;
}
function urlEncode(s) { return __kf_urlEncode(String(__kf_npe(s)), "UTF-8"); }
function urlEncodeCharset(s, charset) { return __kf_urlEncode(String(__kf_npe(s)), charset); }
function urlDecode(s) {
  s = String(__kf_npe(s));
  try { return decodeURIComponent(s.replace(/\+/g, " ")); }
  catch (e) { throw __kf_fail("IllegalArgumentException", "URLDecoder: Illegal hex characters in escape (%) pattern"); }
}

// ------------------------------------------------------------------------------ conversions
function toBoolean(v) { return (v === null || v === undefined) ? null : (typeof v === "boolean" ? v : String(v).toLowerCase() === "true"); }
function __kf_toWhole(v, bits) {
  if (v === null || v === undefined) return null;
  var limit = Math.pow(2, bits - 1), name = bits === 32 ? "int" : "long";
  if (typeof v === "string") {
    if (!/^[+-]?\d+$/.test(v)) throw __kf_fail("NumberFormatException", 'String "' + v + '" cannot be cast to ' + name + ".");
    var n = Number(v);
    if (n < -limit || n >= limit) throw __kf_fail("NumberFormatException", 'String "' + v + '" cannot be cast to ' + name + ".");
    return n;
  }
  if (typeof v !== "number") throw __kf_fail("TypeError", "cannot convert " + typeof v + " to " + name);
  if (isNaN(v)) return 0;
  return Math.max(-limit, Math.min(limit - 1, Math.trunc(v)));
}
function toInt(v) { return __kf_toWhole(v, 32); }
function toLong(v) { return __kf_toWhole(v, 64); }
function toDouble(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  var t = String(v).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "");
  var m = /^([+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))[fFdD]?$/.exec(t);
  if (!m) throw __kf_fail("NumberFormatException", 'String "' + v + '" cannot be cast to double.');
  return Number(m[1]);
}

// ---------------------------------------------------------------------------------- math
function __kf_math(fn) {
  return function () { return __kf_nullIn(arguments) ? null : fn.apply(null, arguments); };
}
var abs = __kf_math(Math.abs), acos = __kf_math(Math.acos), asin = __kf_math(Math.asin);
var atan = __kf_math(Math.atan), atan2 = __kf_math(Math.atan2), ceil = __kf_math(Math.ceil);
var cos = __kf_math(Math.cos), cosh = __kf_math(Math.cosh), exp = __kf_math(Math.exp);
var floor = __kf_math(Math.floor), ln = __kf_math(Math.log), log10 = __kf_math(Math.log10);
var pow = __kf_math(Math.pow), round = __kf_math(function (x) {
  if (arguments.length > 1) throw __kf_fail("Unsupported", "round(x, precision) is not supported; use round(x)");
  return isNaN(x) ? 0 : Math.round(x);
});
var signum = __kf_math(Math.sign), sin = __kf_math(Math.sin), sinh = __kf_math(Math.sinh);
var sqrt = __kf_math(Math.sqrt), tan = __kf_math(Math.tan), tanh = __kf_math(Math.tanh);
var max = __kf_math(Math.max), min = __kf_math(Math.min);
var mod = __kf_math(function (a, b) { return a % b; });

// ------------------------------------------------------------------------------ evaluation
function __kf_enc(v) {
  if (v === undefined || v === null) return null;
  var t = typeof v;
  if (t === "number") return isFinite(v) ? v : {"$n": String(v)};
  if (t === "string" || t === "boolean") return v;
  if (t === "bigint") return {"$n": v.toString()};
  if (Array.isArray(v)) return v.map(__kf_enc);
  if (v instanceof Number || v instanceof String || v instanceof Boolean) return __kf_enc(v.valueOf());
  if (v instanceof Date) return {"$o": "Date " + (isNaN(v) ? "Invalid Date" : v.toISOString())};
  return {"$o": Object.prototype.toString.call(v)};
}
function __kf_describe(e) {
  if (!(e instanceof Error)) return {name: "Error", message: String(e), line: null, kind: null};
  var m = /\(eval at __kf_eval \([^)]*\), <anonymous>:(\d+):\d+\)/.exec(String(e.stack));
  return {name: e.name, message: e.message, line: m ? Number(m[1]) : null, kind: e.__kf_kind || null};
}
function __kf_load(text, reviver) {
  var data = JSON.parse(text, reviver ? function (k, v) {
    return (v !== null && typeof v === "object" && __kf_has(v, "$n")) ? Number(v["$n"]) : v;
  } : undefined);
  for (var key in data) __kf[key] = data[key];
  return __kf.n;
}
function __kf_eval(__kf_src) { return eval(__kf_src); }
function __kf_run(start, end) {
  var values = [], errors = [];
  for (var r = start; r < end; r++) {
    __kf.row = r;
    var row = [];
    for (var i = 0; i < __kf.scripts.length; i++) {
      try { row.push(__kf_enc(__kf_eval(__kf.scripts[i]))); }
      catch (e) { row.push(null); errors.push([r, i, __kf_describe(e)]); }
    }
    values.push(row);
  }
  return JSON.stringify({values: values, errors: errors});
}
function __kf_syntax(src) {
  try { new Function(src); return null; } catch (e) { return e.name + ": " + e.message; }
}
"""

for _name, _why in UNSUPPORTED.items():
    LIBRARY_JS += (
        f"function {_name}() {{ throw __kf_fail('Unsupported', "
        f"{json.dumps(f'{_name}() of KNIME Column Expressions is not supported by knitflow: {_why}')}); }}\n"
    )


@dataclass(frozen=True)
class ScriptError:
    """One failed evaluation: the row, the expression (0-based), where and what."""

    row: int
    expression: int
    name: str
    message: str
    line: int | None
    fatal: bool  # knitflow cannot evaluate it (invalid access, an unsupported function): never a missing cell

    def describe(self) -> str:
        where = f" at line {self.line}" if self.line else ""
        return f"{self.name}{where}: {self.message}"


def syntax_problem(script: str) -> str | None:
    """The JavaScript syntax error of a script (with its line when V8 names one), else None."""
    from py_mini_racer import JSParseException

    with js_context() as ctx:
        problem = ctx.call("__kf_syntax", script)
        if problem is None:
            return None
        try:  # the script as a function body again, only to learn the line of the error
            ctx.eval("(function(){" + script + "\n})", timeout_sec=1)
        except JSParseException as exc:
            m = re.search(r"<anonymous>:(\d+):", str(exc))
            if m:
                return f"{problem} (line {m[1]})"
        except Exception:  # noqa: BLE001 (only the line number is wanted; the error stands without it)
            return str(problem)
        return str(problem)


@contextmanager
def js_context() -> Iterator[MiniRacer]:
    """A fresh V8 context holding the library, closed afterwards."""
    from py_mini_racer import MiniRacer

    ctx = MiniRacer()
    try:
        ctx.eval(LIBRARY_JS)
        yield ctx
    finally:
        ctx.close()


def _encode_number(value: float) -> Any:
    return value if math.isfinite(value) else {"$n": "Infinity" if value > 0 else "-Infinity"}


def _has_marker(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    if isinstance(value, list):
        return any(_has_marker(v) for v in value)
    return False


def load(
    ctx: MiniRacer,
    *,
    scripts: Sequence[str],
    columns: Mapping[str, list[Any]],
    row_ids: Sequence[str],
    variables: Mapping[str, Any],
    table: bool,
    window_size: int = 0,
    first_last: bool = True,
    fail_invalid: bool = True,
) -> None:
    """Hand the scripts and the data to V8 (one JSON text; infinite doubles as markers)."""
    variables = {k: _encode_number(v) if isinstance(v, float) else v for k, v in variables.items()}
    data = {
        "scripts": list(scripts),
        "cols": dict(columns),
        "rowIds": list(row_ids),
        "n": len(row_ids),
        "vars": variables,
        "table": table,
        "windowSize": window_size,
        "firstLast": first_last,
        "failInvalid": fail_invalid,
    }
    needs_reviver = any(_has_marker(c) for c in columns.values()) or _has_marker(list(variables.values()))
    ctx.call("__kf_load", json.dumps(data, allow_nan=False), needs_reviver)


def js_cell(value: Any) -> Any:
    """A Python cell value (already free of missing markers) as JSON for V8."""
    if isinstance(value, float):
        return _encode_number(value)
    if isinstance(value, list | tuple):
        return [js_cell(v) for v in value]
    return value


def run_rows(
    ctx: MiniRacer, start: int, end: int, scripts: Sequence[str]
) -> tuple[list[list[Any]], list[ScriptError]]:
    """Evaluate every script for rows [start, end): encoded results per row, and the failures."""
    result = json.loads(ctx.call("__kf_run", start, end))
    errors = [_script_error(row, index, info, scripts[index]) for row, index, info in result["errors"]]
    return result["values"], errors


def _script_error(row: int, index: int, info: dict[str, Any], script: str) -> ScriptError:
    name, message = str(info["name"]), str(info["message"])
    fatal = info.get("kind") in ("InvalidAccess", "Unsupported")
    undefined = re.fullmatch(r"(\w+) is not defined", message) if name == "ReferenceError" else None
    if undefined and re.search(rf"(?<![\w.$]){re.escape(undefined[1])}\s*\(", script):
        fatal = True
        message = (
            f"function {undefined[1]}() is not part of knitflow's Column Expressions library "
            "(KNIME's library may have it; knitflow does not evaluate it)"
        )
    return ScriptError(row, index, name, message, info.get("line"), fatal)


def decode(value: Any) -> Any:
    """A result as JSON from V8 back to Python: non-finite numbers as floats, other JavaScript
    objects as `JsObject`."""
    if isinstance(value, dict):
        if "$n" in value:
            text = value["$n"]
            return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
        return JsObject(str(value.get("$o", "object")))
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


@dataclass(frozen=True)
class JsObject:
    """A JavaScript object or function result, which no KNIME column type holds."""

    description: str
