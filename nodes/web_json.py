"""REST, JSON and XML nodes: GET Request, JSON Path, JSON to XML, XPath, String to URI, JSON Schema
Validator.

JSON cells hold compact JSON text, XML cells the document's text, URI cells the URI (see
nodes/_json_cells.py). GET Request sends its requests when it runs, so its output spec (the body
column's type follows the first successful response's media type) is known only then, as in KNIME.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd
from lxml import etree
from pydantic import BaseModel, Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._column_types import typed_column
from nodes._common import spec_or_none
from nodes._java_text import (
    INT32,
    INT64,
    cell_to_string,
    java_double_to_string,
    parse_java_double,
    parse_java_int,
)
from nodes._json_cells import (
    JaywayPath,
    Json2Xml,
    Json2XmlOptions,
    JsonCellError,
    JsonPathError,
    as_smart_value,
    element_document,
    json_text,
    parse_json,
    parse_xml,
    smart_text,
    xml_text,
)
from nodes._rows import is_missing
from nodes._string_functions import double_to_long

_TEXT_VALUE_TYPES = (ColumnType.STRING, ColumnType.SMILES, ColumnType.JSON, ColumnType.XML)


def _first_of_type(spec: TableSpec, col_type: str) -> list[str]:
    return [c.name for c in spec.columns if c.type == col_type]


def _auto_column(spec: TableSpec, wanted: str | None, col_type: str, ctx: NodeContext, what: str) -> str:
    """KNIME's handleNonSetColumn: an unset (or vanished) column is the first of the right type."""
    if wanted and wanted in spec:
        return wanted
    found = _first_of_type(spec, col_type)
    if not found:
        raise ConfigureError(f"No suitable ({what}) column found: {spec.names}", setting="input_column")
    if len(found) > 1:
        ctx.warn(f'Auto guessing: using column "{found[0]}".')
    return found[0]


# ===================================================================================== GET Request

_AUTHENTICATIONS = ("Basic", "Digest", "NTLM (Labs)", "Kerberos", "Bearer")
_RESPONSE_CELL_TYPES = {
    "org.knime.core.data.def.IntCell": "Integer",
    "org.knime.core.data.def.StringCell": "String",
}
_HeaderType = Literal["Integer", "String"]
_DEFAULT_HEADER_TYPES: tuple[_HeaderType, ...] = ("Integer", "String")
_ILLEGAL_URI_CHARS = re.compile(r"[\s\"<>\\^`{|}\x00-\x1f\x7f]")


class GetRequestSettings(NodeSettings):
    """KNIME's RestGetSettings (keys with spaces snake_cased)."""

    use_constant_uri: bool = Field(True, description="Request the constant URL rather than a column's URLs.")
    constant_uri: str = Field("https://www.google.com", description="The URL to request.")
    uri_column: str | None = Field(
        None, description="Column of URLs, one request per row.", json_schema_extra=widget("column")
    )
    delay_enabled: bool = Field(False, description="Wait between requests.")
    delay: int = Field(0, ge=0, description="Milliseconds to wait after each request.")
    concurrency: int = Field(1, ge=1, description="Requests sent in parallel.")
    ssl_trust_all: bool = Field(False, description="Accept any server certificate.")
    fail_on_connection_problems: bool = Field(
        False, description="Fail when a server cannot be reached (else the row gets missing cells)."
    )
    request_header_keys: list[str] = Field(default_factory=list, description="Request header names.")
    request_header_key_selector: list[str] = Field(
        default_factory=list,
        description="Per header: the constant, flow variable or column giving its value.",
    )
    request_header_key_kind: list[Literal["Constant", "FlowVariable", "Column"]] = Field(
        default_factory=list, description="Per header: where its value comes from."
    )
    extract_all_response_fields: bool = Field(
        False, description="Output the status and every response header instead of the listed ones."
    )
    response_header_keys: list[str] = Field(
        default_factory=lambda: ["Status", "Content-Type"], description="Response headers to output."
    )
    response_header_column_name: list[str] = Field(
        default_factory=lambda: ["Status", "Content type"], description="Their output column names."
    )
    response_header_column_type: list[_HeaderType] = Field(
        default_factory=lambda: list(_DEFAULT_HEADER_TYPES), description="Their output column types."
    )
    body_column_name: str = Field("body", description="Name of the response body column.")
    follow_redirects: bool = Field(True, description="Follow HTTP redirects.")
    connectTimeout: int = Field(30, ge=0, description="Seconds to wait for a connection.")
    readTimeout: int = Field(30, ge=0, description="Seconds to wait for the response.")
    delayRetriesEnabled: bool = Field(False, description="Retry on server errors (5xx).")
    delayRetryBase: int = Field(1, ge=0, description="Seconds before the first retry; doubled for each next.")
    delayMaxRetries: int = Field(3, ge=0, description="Retries after the first request.")
    delayCooldownEnabled: bool = Field(False, description="Wait and retry on rate limiting (429).")
    delayRateLimitCooldown: int = Field(60, ge=0, description="Seconds to wait after a 429 response.")
    failOnServerError: bool = Field(False, description="Fail on a 5xx status (else the body is missing).")
    failOnClientError: bool = Field(False, description="Fail on a 4xx status (else the body is missing).")
    outputErrorCause: bool = Field(False, description="Append an 'Error Cause' column.")
    invalid_url_handling: Literal["MISSING", "FAIL", "SKIP"] = Field(
        "MISSING", description="An invalid URL: missing cells, fail, or drop the row."
    )
    failOnMissingHeaders: bool = Field(True, description="Fail when a request header has no value.")
    Proxy_enabled: bool = Field(True, description="Use the system's proxy settings (else none).")


def _response_types(value: Any, knime: KnimeSettings) -> list[str]:
    out = []
    for cell in seq(value):
        cls = cell.get("cell_class") if isinstance(cell, dict) else None
        if cls not in _RESPONSE_CELL_TYPES:
            knime.lost(f"response header column type {cls!r} is not supported; String is used")
        out.append(_RESPONSE_CELL_TYPES.get(cls or "", "String"))
    return out


def _auth_from_knime(knime: KnimeSettings) -> None:
    """Authentication and proxy credentials cannot be carried over (KNIME stores passwords
    encrypted, credentials live in KNIME): any that is enabled is a finding."""
    for name in _AUTHENTICATIONS:
        if knime.get(f"{name}_enabled"):
            knime.lost(f"{name} authentication is enabled; knitflow sends the requests without credentials")
    proxy_auth = knime.get("Proxy auth") or {}
    if isinstance(proxy_auth, dict) and (proxy_auth.get("username") or proxy_auth.get("credentials")):
        knime.lost("proxy authentication is set; knitflow uses the system proxy without credentials")
    if knime.get("SSL ignore hostname errors"):
        knime.lost("'SSL ignore hostname errors' is set; knitflow checks host names unless trusting all")
    knime.take("Proxy_enabled")


def _headers_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["Request header keys", "Request header key selector"])
    kinds = [str(k) for k in seq(knime.get("Request header key kind"))]
    for key, kind in zip(seq(knime.get("Request header keys")), kinds, strict=False):
        if kind.startswith("Credential"):
            knime.lost(f"request header {key!r} takes a credential ({kind}); knitflow has no credentials")
    knime.put("request_header_key_kind", kinds, "Request header key kind")
    knime.take_all(["Extract all response fields", "Response header keys", "Response header column name"])
    knime.take(
        "response_header_column_type",
        "Response header column type",
        transform=lambda v: _response_types(v, knime),
    )


def _get_request_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["Use constant URI", "Constant URI", "URI column", "delay_enabled", "delay", "concurrency"]
        + ["SSL trust all", "Fail on connection problems", "Body column name", "follow redirects"]
        + ["failOnServerError", "failOnClientError", "outputErrorCause", "Invalid URL handling"]
    )
    _headers_from_knime(knime)
    _auth_from_knime(knime)
    tree = knime.tree
    if "failOnServerError" not in tree and "Fail on HTTP errors" in tree:  # before 4.5: one option
        for key in ("failOnServerError", "failOnClientError"):
            knime.put(key, bool(tree["Fail on HTTP errors"]), "Fail on HTTP errors")
    if "timeout" in tree:  # before 5.4: one timeout for connecting and reading
        knime.put("connectTimeout", tree["timeout"], "timeout")
        knime.put("readTimeout", tree["timeout"], "timeout")
    knime.take_all(["connectTimeout", "readTimeout"])
    knime.take_all(tree_path="delayPolicy")
    knime.put("failOnMissingHeaders", bool(tree.get("failOnMissingHeaders", False)), "failOnMissingHeaders")
    knime.unread(
        "None",
        "None_enabled",
        "Proxy auth",
        "SSL ignore hostname errors",
        "use async client",  # 4.x: which HTTP client; the requests are the same
        "allowChunking",  # a GET request sends no body
        *_AUTHENTICATIONS,
        *(f"{a}_enabled" for a in _AUTHENTICATIONS),
    )


def _get_request_ports(creation: dict[str, Any]) -> tuple[dict[int, int | None], dict[int, int | None]]:
    """5.x: an optional "Table" input group and an optional "Credential" input group."""
    groups = [g for g in ("Table", "Credential") if isinstance((creation or {}).get(g), dict)]
    if not groups:
        return {}, {}
    mapping: dict[int, int | None] = {}
    port = 1
    for group in groups:
        for _ in [k for k in creation[group] if k.startswith("port_")]:
            mapping[port] = 1 if group == "Table" else None
            port += 1
    return mapping, {}


@dataclass
class _Reply:
    """One request's outcome: a response, or why there is none (KNIME's MissingCell message)."""

    status: int | None = None
    reason: str = ""
    headers: Any = None  # requests' case-insensitive headers
    content: bytes = b""
    error: str | None = None
    invalid_url: bool = False

    @property
    def media_type(self) -> str | None:
        if self.headers is None or not self.headers.get("Content-Type"):
            return None
        return str(self.headers["Content-Type"]).split(";")[0].strip().lower()

    @property
    def charset(self) -> str:
        match = re.search(r"charset=\"?([^\";]+)", str((self.headers or {}).get("Content-Type", "")), re.I)
        return match.group(1) if match else "utf-8"

    @property
    def http_error(self) -> bool:
        return self.status is None or self.status >= 400


_JSON_MEDIA = ("application/json", "application/vnd.mason+json")
_XML_MEDIA = ("application/atom+xml", "application/xhtml+xml", "application/xml", "text/xml")
_TEXT_MEDIA = ("text/html", "text/plain")


def _body_type(media: str | None) -> str | None:
    """The cell type KNIME's body parsers give a media type; None: a binary object."""
    if media in _JSON_MEDIA:
        return ColumnType.JSON
    if media in _XML_MEDIA:
        return ColumnType.XML
    if media in _TEXT_MEDIA:
        return ColumnType.STRING
    return None


def _valid_url(text: str) -> str | None:
    """Why `text` is no HTTP(S) URL for KNIME (java.net.URI, then URL), or None."""
    if not text:
        return "Expected scheme name at index 0: "
    bad = _ILLEGAL_URI_CHARS.search(text)
    if bad is not None:
        return f"Illegal character at index {bad.start()}: {text}"
    parts = urlsplit(text)
    if not parts.scheme:
        return "no protocol: " + text
    if parts.scheme.lower() not in ("http", "https"):
        return f'Not an HTTP(S) protocol in input URL, got protocol "{parts.scheme}" in input "{text}"'
    if not parts.netloc:
        return f"Expected authority at index {len(parts.scheme) + 3}: {text}"
    return None


class _Requester:
    """Sends the GET requests as KNIME's RestNodeModel does (retries, cooldown, failures)."""

    def __init__(self, s: GetRequestSettings, ctx: NodeContext) -> None:
        import requests  # imported when a request is made: 0.06 s that a workflow without one never pays

        self.s = s
        self.ctx = ctx
        self.session = requests.Session()
        self.session.trust_env = s.Proxy_enabled

    def fetch(self, url: str, headers: dict[str, str]) -> _Reply:
        why = _valid_url(url)
        if why is not None:
            if self.s.invalid_url_handling == "FAIL":
                raise NodeError(f"The URL is invalid: {why}", setting="invalid_url_handling")
            return _Reply(error=f"Invalid URL: {why}", invalid_url=True)
        import requests

        try:
            reply = self._with_delays(lambda: self._send(url, headers))
        except requests.RequestException as exc:
            cause = str(exc.__cause__ or exc)
            if self.s.fail_on_connection_problems:
                raise NodeError(f"{type(exc).__name__} invoking {url}: {cause}") from None
            return _Reply(error=cause)
        if (self.s.failOnClientError and 400 <= reply.status < 500) or (  # type: ignore[operator]
            self.s.failOnServerError and (reply.status or 0) >= 500
        ):
            raise NodeError(f"Wrong status: {reply.status} {reply.reason}")
        return reply

    def _send(self, url: str, headers: dict[str, str]) -> _Reply:
        response = self.session.get(
            url,
            headers=headers,
            timeout=(self.s.connectTimeout or None, self.s.readTimeout or None),
            allow_redirects=self.s.follow_redirects,
            verify=not self.s.ssl_trust_all,
        )
        return _Reply(response.status_code, response.reason or "", response.headers, response.content)

    def _with_delays(self, call: Callable[[], _Reply]) -> _Reply:
        """DelayPolicy.doWithDelays: exponential retries on 5xx, a cooldown on 429."""
        s = self.s
        retries = 0
        while True:
            reply = call()
            status = reply.status or 0
            if status >= 500 and s.delayRetriesEnabled and retries < s.delayMaxRetries:
                time.sleep(s.delayRetryBase * 2**retries)
                retries += 1
            elif status == 429 and s.delayCooldownEnabled:
                time.sleep(s.delayRateLimitCooldown)
            else:
                return reply


def _variable_text(value: Any) -> str:
    """FlowVariable.getValueAsString."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_to_string(value)
    return str(value)


def _body_cell(reply: _Reply, expected: str) -> tuple[Any, str | None]:
    """The body as a cell of the body column's type, or (None, why) for a missing cell."""
    if reply.error is not None:
        return None, reply.error
    media = reply.media_type
    if media is None:
        return None, "Response does not have a media type"
    kind = _body_type(media)
    text = reply.content.decode(reply.charset, errors="replace")
    if reply.http_error:
        return None, (text if kind is not None else reply.reason)
    if kind is None or (expected != ColumnType.STRING and kind != expected):
        return None, f"Could not parse the body because the body was {media}, but was expecting: {expected}"
    try:
        if kind == ColumnType.JSON:
            return json_text(parse_json(text)), None
        if kind == ColumnType.XML:
            return xml_text(parse_xml(text)), None
    except JsonCellError as exc:
        return None, str(exc)
    return text, None


def _header_cell(reply: _Reply, key: str, col_type: str) -> Any:
    if key == "Status" and col_type == ColumnType.INTEGER:
        return reply.status
    value = None if reply.headers is None else reply.headers.get(key)
    if col_type == ColumnType.INTEGER and value is not None:
        try:
            return parse_java_int(str(value))
        except ValueError:
            return None
    return value


def _reply_cells(reply: _Reply, header_cols: list[tuple[str, str]], body_type: str, cause: bool) -> list[Any]:
    cells = [_header_cell(reply, key, t) for key, t in header_cols]
    body, why = _body_cell(reply, body_type)
    cells.append(body)
    if cause:
        reasons = [why] if body is None and why else []
        missing = [c for c in cells if c is None]
        cells.append(("\n".join(reasons) if reasons else "Unknown error") if missing else None)
    return cells


class GetRequest(Node):
    type_name = "get_request"
    display_name = "GET Request"
    category = Category.SOURCE
    description = (
        "Sends an HTTP GET request to a constant URL, or one per row to the URLs of a column, and outputs the "
        "status, the chosen response headers and the body (JSON, XML or text, by the first successful "
        "response's media type). HTTP errors give a missing body unless set to fail; connection problems "
        "give missing cells unless set to fail."
    )
    keywords = ("http", "rest", "get", "request", "web", "api", "download", "url", "json")
    knime = (
        KnimeMapping(
            "org.knime.rest.nodes.get.RestGetNodeFactory",
            "GET Request",
            _get_request_from_knime,
            ports=_get_request_ports,
        ),
    )
    inputs = (Port(TABLE, "Input table", "Optional: the URLs (or one request per row).", optional=True),)
    outputs = (Port(TABLE, "Responses", "The input columns, the response headers and the body."),)
    Settings = GetRequestSettings

    def cacheable(self, settings: Any) -> bool:
        return False  # the server's answer can change between runs

    def _check(self, spec: TableSpec | None, s: GetRequestSettings, cls: type[NodeError]) -> None:
        if not s.use_constant_uri:
            if spec is None:
                raise cls(
                    "Input table required to execute. The node is configured to use a URL from the column "
                    f"'{s.uri_column}' of the input table.",
                    setting="uri_column",
                )
            if not s.uri_column or s.uri_column not in spec:
                raise cls(
                    f"The configured URL column '{s.uri_column}' is missing in the input table.",
                    setting="uri_column",
                )
        elif s.invalid_url_handling == "FAIL":
            if not s.constant_uri:
                raise cls("The URL cannot be empty", setting="constant_uri")
            if _valid_url(s.constant_uri) is not None:
                raise cls("The URL is invalid", setting="constant_uri")
        lengths = {
            len(s.request_header_keys),
            len(s.request_header_key_selector),
            len(s.request_header_key_kind),
        }
        if len(lengths) > 1:
            raise cls(
                "Request keys, key selectors and key kinds have different lengths",
                setting="request_header_keys",
            )
        for key, ref, kind in zip(
            s.request_header_keys, s.request_header_key_selector, s.request_header_key_kind, strict=True
        ):
            if kind == "Column" and (spec is None or ref not in spec):
                raise cls(
                    f"The request header '{key}' is configured to use a column '{ref}' which is no longer present "
                    "in the input table.",
                    setting="request_header_key_selector",
                )

    def configure(self, in_specs: list[Any], settings: GetRequestSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is not None:
            self._check(spec, settings, ConfigureError)
        elif settings.use_constant_uri and "Column" not in settings.request_header_key_kind:
            self._check(None, settings, ConfigureError)  # the input may be unconnected: only the URL counts
        return [UNKNOWN]  # the body's type is known only from a response, as in KNIME

    def execute(self, inputs: list[Any], settings: GetRequestSettings, ctx: NodeContext) -> list[Any]:
        table: Table | None = inputs[0]
        s = settings
        self._check(None if table is None else table.spec, s, NodeError)
        if table is not None and len(table) == 0:
            return [table]  # no requests to make
        requester = _Requester(s, ctx)
        jobs = self._jobs(table, s, ctx)
        replies = self._run(requester, jobs, s, ctx)
        keep = [not (r.invalid_url and s.invalid_url_handling == "SKIP") for r in replies]
        return [self._table(table, [r for r, k in zip(replies, keep, strict=True) if k], keep, s)]

    def _jobs(
        self, table: Table | None, s: GetRequestSettings, ctx: NodeContext
    ) -> list[tuple[str, dict[str, str]]]:
        if table is None:
            return [(s.constant_uri, self._headers(None, None, 0, s, ctx))]
        jobs = []
        urls = table.df[s.uri_column].to_numpy(dtype=object) if not s.use_constant_uri else None
        for i, rid in enumerate(table.row_ids):
            if urls is not None and is_missing(urls[i]):
                raise NodeError(f"The URL cannot be missing, but it is in row: {rid}", setting="uri_column")
            url = s.constant_uri if urls is None else str(urls[i])
            jobs.append((url, self._headers(table, rid, i, s, ctx)))
        return jobs

    @staticmethod
    def _headers(
        table: Table | None, rid: str | None, i: int, s: GetRequestSettings, ctx: NodeContext
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        for key, ref, kind in zip(
            s.request_header_keys, s.request_header_key_selector, s.request_header_key_kind, strict=True
        ):
            value: str | None = ref
            if kind == "FlowVariable":
                raw = ctx.variable(ref, None)
                value = None if raw is None else _variable_text(raw)
            elif kind == "Column" and table is not None:
                cell = table.df[ref].iloc[i]
                value = None if is_missing(cell) else cell_to_string(cell, table.types[ref])
            if value is None:
                if s.failOnMissingHeaders:
                    raise NodeError(
                        f'The value of request header "{key}" is not available. Enter a non-empty value.',
                        setting="request_header_key_selector",
                    )
                continue
            headers[key] = value
        return headers

    @staticmethod
    def _run(
        requester: _Requester, jobs: list[tuple[str, dict[str, str]]], s: GetRequestSettings, ctx: NodeContext
    ) -> list[_Reply]:
        def one(job: tuple[str, dict[str, str]]) -> _Reply:
            ctx.check_cancelled()
            reply = requester.fetch(*job)
            if s.delay_enabled and s.delay:
                time.sleep(s.delay / 1000)
            return reply

        if s.concurrency <= 1 or len(jobs) <= 1:
            return [one(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=s.concurrency) as pool:
            return list(pool.map(one, jobs))

    @staticmethod
    def _header_columns(replies: list[_Reply], s: GetRequestSettings) -> list[tuple[str, str, str]]:
        """(header key, column name, type) of the header columns."""
        if not s.extract_all_response_fields:
            return list(
                zip(
                    s.response_header_keys,
                    s.response_header_column_name,
                    s.response_header_column_type,
                    strict=True,
                )
            )
        first_ok = next((r for r in replies if not r.http_error), replies[0] if replies else None)
        names = list(first_ok.headers) if first_ok is not None and first_ok.headers is not None else []
        return [("Status", "Status", ColumnType.INTEGER), *((n, n, ColumnType.STRING) for n in names)]

    def _table(
        self, table: Table | None, replies: list[_Reply], keep: list[bool], s: GetRequestSettings
    ) -> Table:
        if table is None and not replies:
            return Table(pd.DataFrame(index=pd.Index([], dtype=object)))  # a skipped constant URL
        first_ok = next((r for r in replies if not r.http_error), None)
        body_type = ColumnType.STRING if first_ok is None else _body_type(first_ok.media_type)
        if body_type is None:
            raise NodeError(
                f"The response body is {first_ok.media_type if first_ok else '?'}, a binary object; "
                "knitflow has no binary cells"
            )
        taken = set(table.columns) if table is not None else set()
        columns: list[tuple[str, str]] = []
        for _key, name, col_type in self._header_columns(replies, s):
            columns.append((unique_column_name(taken, name), col_type))
            taken.add(columns[-1][0])
        columns.append((unique_column_name(taken, s.body_column_name), body_type))
        if s.outputErrorCause:
            columns.append((unique_column_name(taken | {columns[-1][0]}, "Error Cause"), ColumnType.STRING))
        header_cols = [(key, t) for key, _n, t in self._header_columns(replies, s)]
        rows = [_reply_cells(r, header_cols, body_type, s.outputErrorCause) for r in replies]
        if table is None:
            df = pd.DataFrame(index=pd.Index(["Row0"], dtype=object))
        else:
            df = table.df[np.asarray(keep, dtype=bool)].copy(deep=False)
        for j, (name, col_type) in enumerate(columns):
            df[name] = typed_column([row[j] for row in rows], col_type).to_numpy()
        types = {**(table.types if table is not None else {}), **dict(columns)}
        return Table(df, types)


# ======================================================================================= JSON Path

_JSON_PATH_TYPES = {
    "String": ColumnType.STRING,
    "Json": ColumnType.JSON,
    "Boolean": ColumnType.BOOLEAN,
    "Integer": ColumnType.INTEGER,
    "Long": ColumnType.LONG,
    "Double": ColumnType.DOUBLE,
}


class JsonPathSettings(NodeSettings):
    """KNIME's multi JSONPathSettings: one entry per output column in each list."""

    input_column: str | None = Field(None, description="The JSON column.", json_schema_extra=widget("column"))
    remove_input_column: bool = Field(False, description="Drop the JSON column from the output.")
    newColumnName: list[str] = Field(default_factory=list, description="Output column names.")
    jsonpath: list[str] = Field(default_factory=list, description="Jayway JsonPath expressions.")
    result_is_list: list[bool] = Field(default_factory=list, description="Output a list of all results.")
    return_paths_instead_of_values: list[bool] = Field(
        default_factory=list, description="Output the paths of the results (a list of strings)."
    )
    returnType: list[Literal["String", "Json", "Boolean", "Integer", "Long", "Double", "Base64"]] = Field(
        default_factory=list, description="Type of each output column (or of its list's elements)."
    )


def _json_path_from_knime(knime: KnimeSettings) -> None:
    knime.take_all()
    for kind in seq(knime.get("returnType")):
        if kind == "Base64":
            knime.lost("JSON Path output type Base64 (binary object cells) has no counterpart in knitflow")


@dataclass(frozen=True)
class _PathQuery:
    name: str
    path: JaywayPath
    as_list: bool
    paths: bool
    kind: str

    @property
    def col_type(self) -> str:
        if self.paths:
            return ColumnType.list_of(ColumnType.STRING)
        element = _JSON_PATH_TYPES[self.kind]
        return ColumnType.list_of(element) if self.as_list else element


def _shorten(text: str, at_most: int = 33) -> str:
    return text if len(text) <= at_most else text[: at_most - 3] + "..."


def _to_int(value: Any, bits: int) -> int | None:
    """JsonSmartMappingProvider's Integer/Long readers: numbers truncated, strings parsed."""
    lo, hi = INT32 if bits == 32 else INT64
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if lo <= value <= hi else None
    if isinstance(value, Decimal | float):
        return double_to_long(float(value), bits)
    if isinstance(value, str):
        try:
            return parse_java_int(value, bits)
        except ValueError:
            return None
    return None


def _to_double(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return float(value) if INT64[0] <= value <= INT64[1] else None
    if isinstance(value, Decimal | float):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_java_double(value)
        except ValueError:
            return None
    return None


def _converted(value: Any, kind: str) -> Any:
    """One result as a cell of the return type (None: a missing cell)."""
    if kind == "Json":
        return json_text(as_smart_value(value))
    if kind == "String":
        return None if value is None else smart_text(value)
    if kind == "Boolean":
        return value if isinstance(value, bool) else None
    if kind == "Double":
        return _to_double(value)
    return _to_int(value, 32 if kind == "Integer" else 64)


def _path_cell(document: Any, q: _PathQuery, rid: str) -> Any:
    try:
        found = q.path.evaluate(document)
    except JsonPathError:
        return None
    if q.paths:
        return tuple(p for p, _v in found)
    values = [v for _p, v in found]
    if q.kind == "String" and q.as_list:
        return tuple(smart_text(v) for v in values if v is not None)
    if not q.as_list and len(values) > 1:
        if q.kind == "Json":
            return json_text(as_smart_value(values))
        shown = _shorten("[" + ", ".join(smart_text(v) for v in values) + "]")
        raise NodeError(f"Expected at most one result, but got: {len(values)} [{shown}]\n   in row: {rid}")
    cells = [_converted(v, q.kind) for v in values]
    if q.as_list:
        return tuple(cells)
    return cells[0] if len(cells) == 1 else None


class _PlannedNode(Node):
    """A one-table node whose output spec is what its `_plan` makes of the input spec (configure
    and execute check the same things, raising ConfigureError or NodeError)."""

    def _plan(
        self, spec: TableSpec, s: Any, ctx: NodeContext, cls: type[NodeError]
    ) -> tuple[str, Any, TableSpec]:
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        return [UNKNOWN] if spec is None else [self._plan(spec, settings, ctx, ConfigureError)[2]]


class JsonPath(_PlannedNode):
    type_name = "json_path"
    display_name = "JSON Path"
    category = Category.MANIPULATOR
    description = (
        "Extracts values from a JSON column with Jayway JsonPath expressions, one output column each: a single "
        "value or a list of all results (or their paths), as String, JSON, Boolean, Integer, Long or Double."
    )
    keywords = ("json", "jsonpath", "extract", "path", "query", "parse", "api response")
    knime = (
        KnimeMapping(
            "org.knime.json.node.jsonpath.multi.JSONPathNodeFactory", "JSON Path", _json_path_from_knime
        ),
    )
    inputs = (Port(TABLE, "JSON table"),)
    outputs = (Port(TABLE, "Table with the extracted values"),)
    Settings = JsonPathSettings

    def _plan(
        self, spec: TableSpec, s: JsonPathSettings, ctx: NodeContext, cls: type[NodeError]
    ) -> tuple[str, list[_PathQuery], TableSpec]:
        n = len(s.returnType)
        if not n:
            raise cls("No JSON path was specified, please enter at least one expression!", setting="jsonpath")
        if (
            min(
                len(s.jsonpath),
                len(s.newColumnName),
                len(s.result_is_list),
                len(s.return_paths_instead_of_values),
            )
            < n
        ):
            raise cls("Not enough arguments for the JSONPath parameter.", setting="jsonpath")
        if "Base64" in s.returnType:
            raise cls("Return type Base64 (binary object cells) is not supported", setting="returnType")
        try:
            column = _auto_column(spec, s.input_column, ColumnType.JSON, ctx, "JSON")
        except ConfigureError as exc:
            raise cls(str(exc), setting="input_column") from None
        taken = set(spec.names)
        queries = []
        for i in range(n):
            try:
                path = JaywayPath(s.jsonpath[i])
            except JsonPathError as exc:
                raise cls(str(exc), setting="jsonpath") from None
            name = unique_column_name(taken, s.newColumnName[i])
            taken.add(name)
            flags = (s.result_is_list[i], s.return_paths_instead_of_values[i])
            queries.append(_PathQuery(name, path, *flags, s.returnType[i]))
        out = spec.append(*((q.name, q.col_type) for q in queries))
        if s.remove_input_column:
            out = TableSpec(tuple(c for c in out.columns if c.name != column))
        return column, queries, out

    def execute(self, inputs: list[Any], settings: JsonPathSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column, queries, out = self._plan(table.spec, settings, ctx, NodeError)
        documents = _json_documents(table, column)
        df = table.df.copy(deep=False)
        for q in queries:
            cells = [
                None if doc is None else _path_cell(doc, q, rid)
                for doc, rid in zip(documents, table.row_ids, strict=True)
            ]
            df[q.name] = _column_values(cells, q.col_type)
        if settings.remove_input_column:
            df = df.drop(columns=[column])
        return [Table(df, {c.name: c.type for c in out.columns})]


def _json_documents(table: Table, column: str) -> list[Any]:
    """The parsed JSON cells of `column` (None: missing, or not a JSON column, as KNIME reads it)."""
    if table.types[column] != ColumnType.JSON:
        return [None] * len(table)
    try:
        return [
            None if is_missing(v) else parse_json(str(v)) for v in table.df[column].to_numpy(dtype=object)
        ]
    except JsonCellError as exc:
        raise NodeError(f"Column '{column}': {exc}", setting="input_column") from None


def _column_values(cells: list[Any], col_type: str) -> np.ndarray:
    if ColumnType.collection_kind(col_type):
        out = np.empty(len(cells), dtype=object)
        out[:] = cells
        return out
    return typed_column(cells, col_type).to_numpy()


# ===================================================================================== JSON to XML


class JsonToXmlSettings(NodeSettings):
    """KNIME's JSONToXMLSettings."""

    input_column: str | None = Field(None, description="The JSON column.", json_schema_extra=widget("column"))
    remove_input_column: bool = Field(True, description="Drop the JSON column (the XML column is appended).")
    new_column_name: str = Field("XML", description="Name of the XML column.")
    specify_namespace: bool = Field(False, description="Put the elements into a base namespace.")
    namespace: str | None = Field(None, description="The base namespace.")
    keep_type_information: bool = Field(False, description="Prefix values' elements with their JSON type.")
    array_prefix: str = Field("Array", description="Prefix of an empty root array (type information kept).")
    boolean_prefix: str = Field("Boolean", description="Prefix of boolean values.")
    decimal_prefix: str = Field("Decimal", description="Prefix of decimal values.")
    integer_prefix: str = Field("Integer", description="Prefix of integer values.")
    null_prefix: str = Field("null", description="Prefix of null values.")
    string_prefix: str = Field("String", description="Prefix of string values.")
    root_element: str = Field("root", description="Name of the root element.")
    array_item_element: str = Field("item", description="Name of array item elements.")
    parent_key_as_element_name: bool = Field(False, description="Name array items after the parent key.")
    create_text_for_specific_keys: bool = Field(True, description="Make the value of the text key the text.")
    key_for_text: str = Field("#text", description="The key whose value becomes the element's text.")
    translate_comment_as_element: bool = Field(
        True, description="'#comment' keys as elements (else comments)."
    )
    translate_prefix_as_element: bool = Field(
        True, description="'?name' keys as elements (else processing instructions)."
    )
    value_remove_invalid_chars: bool = Field(
        True, description="Drop characters XML 1.0 cannot hold from values."
    )


def _json_to_xml_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    knime.take_all(
        ["input.column", "remove.input.column", "new.column.name", "specify.namespace", "namespace"]
        + ["keep.type.information", "array.prefix", "boolean.prefix", "decimal.prefix", "integer.prefix"]
        + ["null.prefix", "string.prefix", "root.element", "array.item.element", "parent.key.as.element.name"]
        + ["create.text.for.specific.keys", "key.for.text", "translate.#comment.as.element"]
        + ["translate.?prefix.as.element", "value.remove.invalid.chars"]
    )
    if "keep.type.information" not in tree and "omit.type.information" in tree:
        knime.put("keep_type_information", not tree["omit.type.information"], "omit.type.information")
    if "value.remove.invalid.chars" not in tree:
        knime.put("value_remove_invalid_chars", False)  # KNIME's default for workflows before the option
    if tree.get("parent.key.as.element.name"):
        knime.lost("'Use parent keys as element name for arrays' is not supported by knitflow")
    knime.unread("binary.prefix")  # JSON has no binary values


class JsonToXml(_PlannedNode):
    type_name = "json_to_xml"
    display_name = "JSON to XML"
    category = Category.MANIPULATOR
    description = (
        "Converts a JSON column to XML documents as KNIME does: a root element, object keys as elements, "
        "'@' keys as attributes, the text key's value as text, array entries as 'item' elements."
    )
    keywords = ("json", "xml", "convert", "transform")
    knime = (
        KnimeMapping(
            "org.knime.json.node.toxml.JSONToXMLNodeFactory", "JSON to XML", _json_to_xml_from_knime
        ),
    )
    inputs = (Port(TABLE, "JSON table"),)
    outputs = (Port(TABLE, "Table with the XML column"),)
    Settings = JsonToXmlSettings

    def _plan(
        self, spec: TableSpec, s: JsonToXmlSettings, ctx: NodeContext, cls: type[NodeError]
    ) -> tuple[str, str, TableSpec]:
        if s.parent_key_as_element_name:
            raise cls(
                "Using parent keys as element names is not supported", setting="parent_key_as_element_name"
            )
        if not s.new_column_name.strip():
            raise cls("Please specify the output column's name", setting="new_column_name")
        if s.specify_namespace and not (s.namespace or "").strip():
            raise cls("The namespace information is missing.", setting="namespace")
        try:
            column = _auto_column(spec, s.input_column, ColumnType.JSON, ctx, "JSON")
        except ConfigureError as exc:
            raise cls(str(exc), setting="input_column") from None
        name = unique_column_name(set(spec.names), s.new_column_name)
        out = spec.append((name, ColumnType.XML))
        if s.remove_input_column:
            out = TableSpec(tuple(c for c in out.columns if c.name != column))
        return column, name, out

    @staticmethod
    def _converter(s: JsonToXmlSettings) -> Json2Xml:
        prefixes = {
            "list": s.array_prefix,
            "bool": s.boolean_prefix,
            "real": s.decimal_prefix,
            "int": s.integer_prefix,
            "null": s.null_prefix,
            "text": s.string_prefix,
        }
        return Json2Xml(
            Json2XmlOptions(
                root=s.root_element,
                item=s.array_item_element,
                namespace=s.namespace if s.specify_namespace else None,
                prefixes=prefixes,
                text_key=s.key_for_text if s.create_text_for_specific_keys else None,
                comments=not s.translate_comment_as_element,
                instructions=not s.translate_prefix_as_element,
                keep_types=s.keep_type_information,
                remove_invalid_chars=s.value_remove_invalid_chars,
            )
        )

    def execute(self, inputs: list[Any], settings: JsonToXmlSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column, name, out = self._plan(table.spec, settings, ctx, NodeError)
        converter = self._converter(settings)
        cells: list[str | None] = []
        problems = False
        for document in _json_documents(table, column):
            if document is None:
                cells.append(None)
                continue
            try:
                cells.append(converter.document(document))
            except (JsonCellError, ValueError):
                cells.append(None)
                problems = True
        if problems:
            ctx.warn("There were problems translating to XML, check the missing values.")
        df = table.df.copy(deep=False)
        df[name] = np.array(cells, dtype=object)
        if settings.remove_input_column:
            df = df.drop(columns=[column])
        return [Table(df, {c.name: c.type for c in out.columns})]


# =========================================================================================== XPath

_XPATH_TYPES = {
    "Boolean": ColumnType.BOOLEAN,
    "Double": ColumnType.DOUBLE,
    "Integer": ColumnType.INTEGER,
    "String": ColumnType.STRING,
    "Node": ColumnType.XML,
}
_QUERY_KEYS = (
    "newColumn",
    "useAttributeForColName",
    "attributeForColName",
    "xpath",
    "returnType",
    "missingCellOnEmptySet",
    "missingCellOnEmptyString",
    "missingCellOnFalse",
    "valueOnInfinityOrNaN",
    "missingCellOnInfinityNaN",
    "defaultNumber",
    "xmlFragmentName",
    "multiTagOption",
)


class XPathQuery(BaseModel):
    """One query of KNIME's XPathSettings (`<key><index>` in settings.xml)."""

    newColumn: str = Field("column", description="Output column name.")
    xpath: str = Field("/*", description="XPath 1.0 query.")
    returnType: Literal["Boolean", "Double", "Integer", "String", "Node"] = Field(
        "String", description="Type of the result."
    )
    multiTagOption: Literal["SingleCell", "CollectionCell", "UngroupToRows", "MultipleColumns"] = Field(
        "SingleCell", description="First match only, a list of all, or one row per match."
    )
    missingCellOnEmptySet: bool = Field(True, description="KNIME keeps it; the result does not depend on it.")
    missingCellOnEmptyString: bool = Field(False, description="An empty string is a missing cell.")
    missingCellOnFalse: bool = Field(False, description="Older KNIME: a false boolean is a missing cell.")
    valueOnInfinityOrNaN: bool = Field(False, description="KNIME keeps it; the result does not depend on it.")
    missingCellOnInfinityNaN: bool = Field(
        True, description="Integer: NaN/inf is a missing cell (else the default number)."
    )
    defaultNumber: int = Field(0, description="Integer result for NaN/inf when not missing.")
    xmlFragmentName: str = Field("fragment", description="Element wrapping an attribute returned as Node.")
    useAttributeForColName: bool = Field(False, description="Name the column by an attribute's value.")
    attributeForColName: str = Field("name", description="The attribute naming the column.")


class XPathSettings(NodeSettings):
    """KNIME's XPathNodeSettings (xpath2)."""

    inputColumn: str | None = Field(None, description="The XML column.", json_schema_extra=widget("column"))
    removeInputColumn: bool = Field(False, description="Drop the XML column from the output.")
    nsPrefixes: list[str] = Field(default_factory=list, description="Namespace prefixes used in the queries.")
    namespaces: list[str] = Field(default_factory=list, description="Their namespace URIs.")
    useRootsNameSpace: bool = Field(True, description="Bind the root element's namespace to a prefix.")
    rootsNameSpacePrefix: str = Field("dns", description="The prefix of the root's namespace.")
    queries: list[XPathQuery] = Field(default_factory=list, description="The XPath queries, one column each.")


def _xpath_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["inputColumn", "removeInputColumn", "nsPrefixes", "namespaces", "useRootsNameSpace"])
    knime.take_all(["rootsNameSpacePrefix"])
    tree = knime.tree
    count = int(tree.get("numberOfQueries") or 0)
    queries = []
    for i in range(count):
        query = {k: tree[f"{k}{i}"] for k in _QUERY_KEYS if f"{k}{i}" in tree}
        if query.get("returnType") == "Number":  # before 3.x: Double was called Number
            query["returnType"] = "Double"
        if query.get("multiTagOption") == "MultipleColumns":
            knime.lost(f"XPath query {i}: 'Multiple columns' (one column per found tag) is not supported")
        if query.get("useAttributeForColName"):
            knime.lost(f"XPath query {i}: column names taken from an attribute are not supported")
        if query.get("missingCellOnFalse"):
            knime.lost(f"XPath query {i}: 'missing cell on false' (an older option) is not supported")
        queries.append(query)
    knime.put("queries", queries, "numberOfQueries")
    knime.unread(*(f"{key}{i}" for i in range(count) for key in _QUERY_KEYS))


def _node_text(node: Any) -> str:
    """DOM getTextContent of an XPath result node."""
    if isinstance(node, etree._Element):
        if isinstance(node, etree._Comment | etree._ProcessingInstruction):
            return node.text or ""
        return str(node.xpath("string()"))
    return str(node)


def _number_text(value: float) -> str:
    """XPath 1.0 string() of a number: no exponent, integers without a fraction."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value):
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _string_result(result: Any) -> str:
    """XPathConstants.STRING: the XPath string() of any result."""
    if isinstance(result, list):
        return _node_text(result[0]) if result else ""
    if isinstance(result, bool):
        return "true" if result else "false"
    if isinstance(result, float):
        return _number_text(result)
    return str(result)


def _node_set(result: Any) -> list[Any]:
    if not isinstance(result, list):
        raise NodeError(f"The XPath result ({_string_result(result)!r}) cannot be converted to a node set")
    return result


def _fragment(node: Any, fragment_name: str) -> str:
    if isinstance(node, etree._Element) and not isinstance(
        node, etree._Comment | etree._ProcessingInstruction
    ):
        return element_document(node)
    if getattr(node, "is_attribute", False):
        holder = etree.Element(fragment_name)
        holder.set(str(node.attrname), str(node))
        return xml_text(holder)
    raise NodeError("An XPath query of type Node selected a text node, which cannot be a document")


def _parse_int_result(text: str, q: XPathQuery) -> int | None:
    try:
        return parse_java_int(text)
    except ValueError:
        if text == "NaN" or text.lower() in ("inf", "-inf"):
            return None if q.missingCellOnInfinityNaN else q.defaultNumber
        if not text.strip():
            return None
        raise NodeError(f'For input string: "{text}"') from None


def _parse_double_result(text: str) -> float | None:
    try:
        return parse_java_double(text)
    except ValueError:
        special = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
        if text == "NaN" or text.lower() in ("inf", "-inf"):
            return special[text.lower()]
        if not text.strip():
            return None
        raise NodeError(f'For input string: "{text}"') from None


def _single_cell(result: Any, q: XPathQuery) -> Any:
    kind = q.returnType
    if kind in ("Integer", "Double"):
        text = _string_result(result)
        return _parse_int_result(text, q) if kind == "Integer" else _parse_double_result(text)
    nodes = _node_set(result)
    if not nodes:
        return None
    if kind == "Node":
        return _fragment(nodes[0], q.xmlFragmentName)
    text = _node_text(nodes[0])
    if kind == "Boolean":
        return None if text == "" else text.lower() == "true"
    return None if text == "" and q.missingCellOnEmptyString else text


def _list_elements(nodes: list[Any], q: XPathQuery) -> list[Any]:
    kind = q.returnType
    texts = [_node_text(n) for n in nodes]
    if kind == "Boolean":
        return [t.lower() == "true" for t in texts if t != ""]
    if kind == "Double":
        doubles = []
        for t in texts:
            value = _parse_double_lenient(t)
            if t.strip():
                doubles.append(value)
        return doubles
    if kind == "Integer":
        ints = []
        for t in texts:
            try:
                ints.append(parse_java_int(t))
            except ValueError:
                if (t == "NaN" or t.lower() in ("inf", "-inf")) and not q.missingCellOnInfinityNaN:
                    ints.append(q.defaultNumber)
        return ints
    if kind == "Node":
        return [_fragment(n, q.xmlFragmentName) for n in nodes]
    return [t for t in texts if t != "" or not q.missingCellOnEmptyString]


def _parse_double_lenient(text: str) -> float:
    """KNIME's list of doubles: what does not parse (and is no NaN/inf) counts as 0."""
    try:
        return parse_java_double(text)
    except ValueError:
        if text == "NaN":
            return math.nan
        return {"inf": math.inf, "-inf": -math.inf}.get(text.lower(), 0.0)


def _collection_cell(result: Any, q: XPathQuery) -> tuple[Any, ...] | None:
    nodes = _node_set(result)
    if not nodes and q.returnType != "String":
        return None
    elements = _list_elements(nodes, q)
    if not elements and (q.returnType != "String" or q.missingCellOnEmptyString):
        return None
    return tuple(elements)


@dataclass(frozen=True)
class _XPathPlan:
    column: str
    queries: list[tuple[str, XPathQuery, etree.XPath]]
    spec: TableSpec


def _ungrouped_rows(rid: str, lists: list[tuple[Any, ...] | None]) -> Iterator[tuple[str, list[Any]]]:
    """KNIME's UngroupOperation (missing values kept): `<id>_1`, `<id>_2`, ... with the lists in
    parallel; a row whose lists are all missing stays once as it is."""
    if all(v is None for v in lists):
        yield rid, [None] * len(lists)
        return
    longest = max((len(v) for v in lists if v is not None), default=0)
    for i in range(max(longest, 1)):
        yield f"{rid}_{i + 1}", [v[i] if v is not None and i < len(v) else None for v in lists]


class XPath(Node):
    type_name = "xpath"
    display_name = "XPath"
    category = Category.MANIPULATOR
    description = (
        "Runs XPath 1.0 queries on an XML column, one output column each: the first match as Boolean, Double, "
        "Integer, String or XML node, a list of all matches, or one row per match. Namespace prefixes come "
        "from the table of prefixes, the root element's namespace from its own prefix (dns)."
    )
    keywords = ("xml", "xpath", "extract", "query", "html", "parse")
    knime = (KnimeMapping("org.knime.xml.node.xpath2.XPathNodeFactory", "XPath", _xpath_from_knime),)
    inputs = (Port(TABLE, "XML table"),)
    outputs = (Port(TABLE, "Table with the query results"),)
    Settings = XPathSettings

    def _namespaces(self, s: XPathSettings, root_ns: str | None, cls: type[NodeError]) -> dict[str, str]:
        if len(s.nsPrefixes) != len(s.namespaces):
            raise cls("Namespace prefixes and namespaces have different lengths", setting="namespaces")
        namespaces = dict(zip(s.nsPrefixes, s.namespaces, strict=True))
        if s.useRootsNameSpace:
            if not s.rootsNameSpacePrefix.strip():
                raise cls(
                    "The prefix of root's default namespace is not set.", setting="rootsNameSpacePrefix"
                )
            if s.rootsNameSpacePrefix in namespaces:
                raise cls(
                    "The namespace table uses the prefix reserved for the roots namespace.",
                    setting="rootsNameSpacePrefix",
                )
            if root_ns:
                namespaces[s.rootsNameSpacePrefix] = root_ns
        return namespaces

    def _plan(self, spec: TableSpec, s: XPathSettings, cls: type[NodeError]) -> _XPathPlan:
        column = s.inputColumn or next(iter(_first_of_type(spec, ColumnType.XML)), None)
        if column is None:
            raise cls("No settings available", setting="inputColumn")
        if column not in spec:
            raise cls(f'XML column "{column}" is not present in the input table', setting="inputColumn")
        if spec.type_of(column) != ColumnType.XML:
            raise cls(f'XML column "{column}" is not of type XML', setting="inputColumn")
        namespaces = self._namespaces(s, "roots_ns_0", cls)
        taken: set[str] = set()
        queries = []
        for q in s.queries:
            self._check_query(q, cls)
            name = _xpath_unique(q.newColumn.strip(), taken)
            taken.add(name)
            if name in spec and not (name == column and s.removeInputColumn):
                raise cls(f"Cannot create column {name} since it is already in the input.", setting="queries")
            try:
                compiled = etree.XPath(q.xpath, namespaces=namespaces)
            except etree.XPathSyntaxError as exc:
                raise cls(f"XPath expression cannot be compiled: {exc}", setting="queries") from None
            queries.append((name, q, compiled))
        kept = [c for c in spec.columns if not (s.removeInputColumn and c.name == column)]
        out = TableSpec(tuple(kept)).append(*((n, _xpath_type(q)) for n, q, _c in queries))
        return _XPathPlan(column, queries, out)

    @staticmethod
    def _check_query(q: XPathQuery, cls: type[NodeError]) -> None:
        if not q.newColumn.strip():
            raise cls("Please set a name for the new column.", setting="queries")
        if q.multiTagOption == "MultipleColumns":
            raise cls("'Multiple columns' (one column per found tag) is not supported", setting="queries")
        if q.useAttributeForColName:
            raise cls("Column names taken from an attribute are not supported", setting="queries")
        if q.missingCellOnFalse:
            raise cls("'missing cell on false' is not supported", setting="queries")
        if q.returnType == "Node" and not q.xmlFragmentName.strip():
            raise cls("The XML fragment name is empty. Please define a valid name.", setting="queries")

    def configure(self, in_specs: list[Any], settings: XPathSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        return [UNKNOWN] if spec is None else [self._plan(spec, settings, ConfigureError).spec]

    def _row_cells(self, text: Any, plan: _XPathPlan, s: XPathSettings) -> list[Any]:
        if is_missing(text):
            return [None] * len(plan.queries)
        try:
            root = parse_xml(str(text))
        except JsonCellError as exc:
            raise NodeError(str(exc)) from None
        namespaces = self._namespaces(s, etree.QName(root).namespace, NodeError)
        cells = []
        for _name, q, _compiled in plan.queries:
            try:
                result = root.getroottree().xpath(q.xpath, namespaces=namespaces)
            except etree.XPathEvalError as exc:
                if s.useRootsNameSpace and "prefix" in str(exc).lower():
                    raise NodeError("The root node does not have a namespace URI.") from None
                raise NodeError(f"XPath query {q.xpath!r}: {exc}") from None
            single = q.multiTagOption == "SingleCell"
            cells.append(_single_cell(result, q) if single else _collection_cell(result, q))
        return cells

    def execute(self, inputs: list[Any], settings: XPathSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        plan = self._plan(table.spec, settings, NodeError)
        rows = [self._row_cells(v, plan, settings) for v in table.df[plan.column].to_numpy(dtype=object)]
        df = table.df.copy(deep=False)
        for j, (name, q, _c) in enumerate(plan.queries):
            df[name] = _column_values([r[j] for r in rows], _collected_type(q))
        if settings.removeInputColumn:
            df = df.drop(columns=[plan.column])
        df = df[plan.spec.names]
        ungroup = [j for j, (_n, q, _c) in enumerate(plan.queries) if q.multiTagOption == "UngroupToRows"]
        types = {c.name: c.type for c in plan.spec.columns}
        if ungroup:
            df = _ungroup_frame(df, [plan.queries[j][0] for j in ungroup], types)
        return [Table(df, types)]


def _xpath_unique(name: str, taken: set[str]) -> str:
    """XPathNodeSettings.uniqueName: `name`, then `name(#0)`, `name(#1)`, ..."""
    if name not in taken:
        return name
    i = 0
    while f"{name}(#{i})" in taken:
        i += 1
    return f"{name}(#{i})"


def _xpath_type(q: XPathQuery) -> str:
    element = _XPATH_TYPES[q.returnType]
    return ColumnType.list_of(element) if q.multiTagOption == "CollectionCell" else element


def _collected_type(q: XPathQuery) -> str:
    element = _XPATH_TYPES[q.returnType]
    return element if q.multiTagOption == "SingleCell" else ColumnType.list_of(element)


def _ungroup_frame(df: pd.DataFrame, columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    positions = [df.columns.get_loc(c) for c in columns]
    ids: list[str] = []
    rows: list[list[Any]] = []
    for rid, values in zip(df.index, df.itertuples(index=False, name=None), strict=True):
        lists = [None if values[p] is None else tuple(values[p]) for p in positions]
        for new_id, elements in _ungrouped_rows(str(rid), lists):
            row = list(values)
            for p, element in zip(positions, elements, strict=True):
                row[p] = element
            ids.append(new_id)
            rows.append(row)
    data = {
        name: typed_column([r[j] for r in rows], types[name]).to_numpy()
        if name in columns
        else [r[j] for r in rows]
        for j, name in enumerate(df.columns)
    }
    out = pd.DataFrame(data, index=pd.Index(ids, dtype=object))
    for name in df.columns:
        if name not in columns:
            out[name] = out[name].astype(df[name].dtype) if len(out) else df[name].iloc[:0]
    return out


# ===================================================================================== String to URI

_URI_SCHEME = re.compile(r"[a-zA-Z]+:.*")
_URI_PATH_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-!.~'()*,;:$&+=/@")


class StringToUriSettings(NodeSettings):
    """KNIME's String to URI settings."""

    columnselection: str | None = Field(
        None, description="The String column to convert.", json_schema_extra=widget("column")
    )
    missingfileabort: bool = Field(
        False, description="Fail when a file URI names a file that does not exist."
    )
    replace: Literal["Replace", "Append"] = Field("Replace", description="Replace the column or append one.")
    columnname: str = Field("URI", description="Name of the appended column.")


def _uri_path_char(ch: str) -> str:
    """java.net.URI's quoting of a path: legal characters and non-ASCII letters stay."""
    if ch in _URI_PATH_SAFE or (ord(ch) > 127 and not ch.isspace() and ch.isprintable()):
        return ch
    return quote(ch, safe="")


def _string_to_uri(value: str, abort_missing: bool) -> str:
    """The URI KNIME makes of a string: the string itself when it has a scheme (and is no Windows
    path), else the absolute file path as `file:` URI (java.io.File.toURI)."""
    if _URI_SCHEME.fullmatch(value) and value[1] != ":":
        bad = _ILLEGAL_URI_CHARS.search(value)
        if bad is not None:
            raise NodeError(f"java.net.URISyntaxException: Illegal character at index {bad.start()}: {value}")
        uri, path = value, Path(urlsplit(value).path)
        scheme = value.split(":", 1)[0]
    else:
        path = Path(value).absolute()
        text = path.as_posix() + ("/" if path.is_dir() else "")
        uri, scheme = "file:" + "".join(_uri_path_char(c) for c in text), "file"
    if scheme == "file" and abort_missing and not path.exists():
        raise NodeError(f'The file to the URI "{uri}" does not exist')
    return uri


class StringToUri(_PlannedNode):
    type_name = "string_to_uri"
    display_name = "String to URI"
    category = Category.MANIPULATOR
    description = (
        "Converts a String column into URIs: strings with a scheme as they are, file paths as absolute "
        "`file:` URIs; replaces the column or appends a new one."
    )
    keywords = ("uri", "url", "file path", "convert", "link")
    knime = (
        KnimeMapping(
            "org.knime.base.filehandling.stringtouri.StringToURINodeFactory",
            "String to URI",
            lambda k: k.take_all(["columnselection", "missingfileabort", "replace", "columnname"]),
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the URI column"),)
    Settings = StringToUriSettings

    def _plan(
        self, spec: TableSpec, s: StringToUriSettings, ctx: NodeContext, cls: type[NodeError]
    ) -> tuple[str, str, TableSpec]:
        column = s.columnselection
        if not column:
            raise cls("String column not set", setting="columnselection")
        if column not in spec:
            raise cls(f'String column "{column}" does not exist', setting="columnselection")
        if spec.type_of(column) not in _TEXT_VALUE_TYPES:
            raise cls(f'String column "{column}" is not of type String', setting="columnselection")
        if s.replace == "Replace":
            return column, column, spec.replace(column, ColumnType.URI)
        if not s.columnname:
            raise cls("Column name cannot be empty", setting="columnname")
        if s.columnname in spec:
            raise cls("Column name already taken", setting="columnname")
        return column, s.columnname, spec.append((s.columnname, ColumnType.URI))

    def execute(self, inputs: list[Any], settings: StringToUriSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column, target, out = self._plan(table.spec, settings, ctx, NodeError)
        uris = [
            None if is_missing(v) else _string_to_uri(str(v), settings.missingfileabort)
            for v in table.df[column].to_numpy(dtype=object)
        ]
        df = table.df.copy(deep=False)
        df[target] = np.array(uris, dtype=object)
        return [Table(df, {c.name: c.type for c in out.columns})]


# ============================================================================ JSON Schema Validator


class JsonSchemaCheckSettings(NodeSettings):
    """KNIME's JSONSchemaCheckSettings."""

    input_column: str | None = Field(None, description="The JSON column.", json_schema_extra=widget("column"))
    json_schema: str = Field("{}", description="The JSON Schema (draft 4 unless its $schema says otherwise).")
    error_messages_column: str = Field(
        "invalid schema message", description="Column for the validation messages (when not failing)."
    )
    fail_on_invalid_json: bool = Field(
        True, description="Fail on the first invalid value (else list the errors)."
    )


def _json_schema_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["input.column", "json.schema", "error.messages.column", "fail.on.invalid.json"])
    if not knime.tree.get("fail.on.invalid.json", True):
        knime.lost(
            "the error messages column holds jsonschema's messages, worded unlike KNIME's json-schema-validator "
            "(which values are valid is the same)"
        )


def _schema_pointer(parts: Any) -> str:
    return "".join(f"/{p}" for p in parts)


def _schema_messages(validator: Any, value: Any) -> list[dict[str, Any]]:
    """The validation errors as ProcessingMessage-like JSON objects (empty: valid)."""
    return [
        {
            "level": "error",
            "schema": {"loadingURI": "#", "pointer": _schema_pointer(list(e.absolute_schema_path)[:-1])},
            "instance": {"pointer": _schema_pointer(e.absolute_path)},
            "domain": "validation",
            "keyword": str(e.validator),
            "message": e.message,
        }
        for e in validator.iter_errors(value)
    ]


class JsonSchemaCheck(_PlannedNode):
    type_name = "json_schema_check"
    display_name = "JSON Schema Validator"
    category = Category.MANIPULATOR
    description = (
        "Validates a JSON column against a JSON Schema: fails on the first invalid value, or appends a JSON "
        "column listing each invalid value's errors (missing for valid values)."
    )
    keywords = ("json", "schema", "validate", "check")
    knime = (
        KnimeMapping(
            "org.knime.json.node.schema.check.JSONSchemaCheckNodeFactory",
            "JSON Schema Validator",
            _json_schema_from_knime,
        ),
    )
    inputs = (Port(TABLE, "JSON table"),)
    outputs = (Port(TABLE, "The input (with the error messages column unless failing)"),)
    Settings = JsonSchemaCheckSettings

    def _plan(
        self, spec: TableSpec, s: JsonSchemaCheckSettings, ctx: NodeContext, cls: type[NodeError]
    ) -> tuple[str, Any, TableSpec]:
        import jsonschema  # imported by the validator alone: 0.09 s

        try:
            schema = parse_json(s.json_schema)
            validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
            validator_class.check_schema(schema)
        except (JsonCellError, jsonschema.SchemaError) as exc:
            raise cls(f"Invalid JSON Schema: {exc}", setting="json_schema") from None
        try:
            column = _auto_column(spec, s.input_column, ColumnType.JSON, ctx, "JSON")
        except ConfigureError as exc:
            raise cls(str(exc), setting="input_column") from None
        if s.fail_on_invalid_json:
            return column, validator_class(schema), spec
        if not s.error_messages_column.strip():
            raise cls("No error message column was specified.", setting="error_messages_column")
        name = unique_column_name(set(spec.names), s.error_messages_column)
        return column, validator_class(schema), spec.append((name, ColumnType.JSON))

    def execute(self, inputs: list[Any], settings: JsonSchemaCheckSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column, validator, out = self._plan(table.spec, settings, ctx, NodeError)
        cells: list[str | None] = []
        for rid, document in zip(table.row_ids, _json_documents(table, column), strict=True):
            errors = [] if document is None else _schema_messages(validator, document)
            if errors and settings.fail_on_invalid_json:
                messages = "\n".join(
                    f"error: {e['message']} (at {e['instance']['pointer'] or '/'})" for e in errors
                )
                raise NodeError(f"Failed to validate row: {rid}\n{messages}")
            cells.append(json_text(errors) if errors else None)
        if settings.fail_on_invalid_json:
            return [table]
        df = table.df.copy(deep=False)
        df[out.names[-1]] = np.array(cells, dtype=object)
        return [Table(df, {c.name: c.type for c in out.columns})]
