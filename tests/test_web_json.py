"""GET Request (against a local server), JSON Path, JSON to XML, XPath and String to URI, with
results worked out by hand, and their KNIME mappings (keys as KNIME 4.6 and 5.x write them)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lxml import etree
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import run_node

GET = "org.knime.rest.nodes.get.RestGetNodeFactory"
JSON_PATH = "org.knime.json.node.jsonpath.multi.JSONPathNodeFactory"
JSON_TO_XML = "org.knime.json.node.toxml.JSONToXMLNodeFactory"
XPATH = "org.knime.xml.node.xpath2.XPathNodeFactory"
STRING_TO_URI = "org.knime.base.filehandling.stringtouri.StringToURINodeFactory"
DECL = '<?xml version="1.0" encoding="UTF-8"?>'

# ============================================================================== a local HTTP server

_ROUTES = {
    "/json": (200, "application/json; charset=utf-8", '{"name": "x/y", "n": [1, 2.50]}'),
    "/xml": (200, "text/xml", '<?xml version="1.0"?>\n<a><b>1</b></a>'),
    "/text": (200, "text/plain", "hello"),
    "/missing": (404, "text/plain", "nope"),
    "/png": (200, "image/png", "PNG"),
}


class _Handler(BaseHTTPRequestHandler):
    flaky: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path, _, query = self.path.partition("?")
        if path == "/echo":
            route = (
                200,
                "application/json",
                json.dumps({"x": self.headers.get("X-Test"), "y": self.headers.get("X-Var")}),
            )
        elif path == "/flaky":
            seen = self.flaky[query] = self.flaky.get(query, 0) + 1
            route = (503, "text/plain", "busy") if seen <= 2 else (200, "application/json", '{"ok": true}')
        else:
            route = _ROUTES[path]
        status, media, body = route
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ==================================================================================== GET Request


def test_get_request_constant_url_json_body(server: str) -> None:
    out = run_node("get_request", {"constant_uri": f"{server}/json"}, None)[1]
    assert out.columns == ["Status", "Content type", "body"] and out.row_ids == ["Row0"]
    assert out.types == {"Status": "Integer", "Content type": "String", "body": "JSON"}
    assert out.df["Status"].tolist() == [200]
    assert out.df["Content type"].tolist() == ["application/json; charset=utf-8"]
    assert out.df["body"].tolist() == ['{"name":"x/y","n":[1,2.50]}']  # compact, digits as sent


def test_get_request_xml_and_text_bodies(server: str) -> None:
    xml = run_node("get_request", {"constant_uri": f"{server}/xml"}, None)[1]
    assert xml.types["body"] == ColumnType.XML and xml.df["body"].tolist() == [f"{DECL}<a><b>1</b></a>"]
    text = run_node("get_request", {"constant_uri": f"{server}/text"}, None)[1]
    assert text.types["body"] == ColumnType.STRING and text.df["body"].tolist() == ["hello"]
    with pytest.raises(NodeError, match="binary"):
        run_node("get_request", {"constant_uri": f"{server}/png"}, None)


def test_get_request_url_column_errors_and_error_cause(server: str) -> None:
    urls = [f"{server}/json", f"{server}/missing", "ftp://host/x", f"http://127.0.0.1:{_closed_port()}/"]
    table = pd.DataFrame({"url": urls}, index=["a", "b", "c", "d"])
    settings = {"use_constant_uri": False, "uri_column": "url", "outputErrorCause": True}
    out = run_node("get_request", settings, table)[1]
    assert out.columns == ["url", "Status", "Content type", "body", "Error Cause"]
    assert out.row_ids == ["a", "b", "c", "d"] and out.types["body"] == "JSON"
    df = out.df.astype(object).where(out.df.notna(), None)
    assert df["Status"].tolist() == [200, 404, None, None]
    assert df["Content type"].tolist() == ["application/json; charset=utf-8", "text/plain", None, None]
    assert df["body"].tolist() == ['{"name":"x/y","n":[1,2.50]}', None, None, None]
    causes = df["Error Cause"].tolist()
    assert causes[:3] == [
        None,
        "nope",  # an HTTP error's text body
        'Invalid URL: Not an HTTP(S) protocol in input URL, got protocol "ftp" in input "ftp://host/x"',
    ]
    assert causes[3]  # the connection problem's message
    skipped = run_node("get_request", {**settings, "invalid_url_handling": "SKIP"}, table)[1]
    assert skipped.row_ids == ["a", "b", "d"]
    with pytest.raises(NodeError, match="The URL is invalid"):
        run_node("get_request", {**settings, "invalid_url_handling": "FAIL"}, table)
    with pytest.raises(NodeError, match="Wrong status: 404 Not Found"):
        run_node("get_request", {**settings, "failOnClientError": True}, table.iloc[:2])
    with pytest.raises(NodeError, match="invoking"):
        run_node("get_request", {**settings, "fail_on_connection_problems": True}, table.iloc[3:])
    empty = run_node("get_request", settings, table.iloc[:0])[1]
    assert empty.columns == ["url"] and len(empty) == 0  # no requests, the input as it is


def test_get_request_headers_from_column_and_variable(server: str) -> None:
    table = pd.DataFrame({"tok": ["t1", None]})
    settings = {
        "constant_uri": f"{server}/echo",
        "request_header_keys": ["X-Test", "X-Var"],
        "request_header_key_selector": ["tok", "v"],
        "request_header_key_kind": ["Column", "FlowVariable"],
    }
    out = run_node("get_request", settings, table.iloc[:1], variables={"v": 2.0})[1]
    assert out.df["body"].tolist() == ['{"x":"t1","y":"2.0"}']
    with pytest.raises(NodeError, match='request header "X-Test" is not available'):
        run_node("get_request", settings, table, variables={"v": 2.0})
    lenient = run_node("get_request", {**settings, "failOnMissingHeaders": False}, table, variables={"v": 1})[
        1
    ]
    assert lenient.df["body"].tolist()[1] == '{"x":null,"y":"1"}'
    with pytest.raises(ConfigureError, match="no longer present"):
        run_node("get_request", {**settings, "request_header_key_selector": ["nope", "v"]}, table)


def test_get_request_retries_server_errors(server: str) -> None:
    plain = run_node("get_request", {"constant_uri": f"{server}/flaky?a"}, None)[1]
    assert plain.df["Status"].tolist() == [503] and plain.df["body"].isna().all()
    retried = {"constant_uri": f"{server}/flaky?b", "delayRetriesEnabled": True, "delayRetryBase": 0}
    out = run_node("get_request", retried, None)[1]
    assert out.df["Status"].tolist() == [200] and out.df["body"].tolist() == ['{"ok":true}']


def _get_model(**changes: Any) -> dict[str, Any]:
    """The keys of a KNIME 5.3 GET Request (the ISI-TP1 workflow's layout)."""
    auth = {"credentials": None, "username": "", "password": "", "selectedType": "USER_PWD"}
    model: dict[str, Any] = {
        "Use constant URI": True,
        "Constant URI": "https://example.org/query?format=geojson",
        "URI column": None,
        "delay_enabled": False,
        "delay": 0,
        "concurrency": 1,
        "SSL ignore hostname errors": False,
        "SSL trust all": False,
        "Fail on connection problems": False,
        "Request header keys": [],
        "Request header key selector": [],
        "Request header key kind": [],
        "Extract all response fields": False,
        "Response header keys": ["Status", "Content-Type"],
        "Response header column name": ["Status", "Content type"],
        "Response header column type": [
            {"cell_class": "org.knime.core.data.def.IntCell", "is_null": False},
            {"cell_class": "org.knime.core.data.def.StringCell", "is_null": False},
        ],
        "Body column name": "body",
        "None": {},
        "None_enabled": True,
        "Basic": {"BASIC auth": auth},
        "Basic_enabled": False,
        "Digest": {"Digest auth": auth},
        "Digest_enabled": False,
        "NTLM (Labs)": {"NTLM-auth": auth, "org.knime.rest.auth.ntlm.domain": ""},
        "NTLM (Labs)_enabled": False,
        "Kerberos": {},
        "Kerberos_enabled": False,
        "follow redirects": True,
        "timeout": 2,
        "delayPolicy": {
            "delayRetryBase": 1,
            "delayMaxRetries": 3,
            "delayRateLimitCooldown": 60,
            "delayRetriesEnabled": False,
            "delayCooldownEnabled": False,
        },
        "failOnServerError": False,
        "failOnClientError": False,
        "outputErrorCause": False,
        "allowChunking": True,
        "Invalid URL handling": "MISSING",
        "failOnMissingHeaders": True,
        "Proxy auth": {"credentials": "", "username": "", "password": None, "selectedType": "USER_PWD"},
        "Proxy_enabled": True,
    }
    model.update(changes)
    return model


def test_get_request_imports_knime_layouts(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, GET, _get_model())
    assert node.type == "get_request" and findings(report) == []
    s = node.settings
    assert s["constant_uri"] == "https://example.org/query?format=geojson" and s["connectTimeout"] == 2
    assert s["response_header_column_type"] == ["Integer", "String"] and s["readTimeout"] == 2
    # 4.6: no URL handling, no proxy, "use async client"; missing-header failures off for old workflows
    old = _get_model(**{"use async client": False})
    for key in ("Invalid URL handling", "failOnMissingHeaders", "Proxy auth", "Proxy_enabled"):
        old.pop(key)
    node, report, _ = import_fragment(tmp_path, GET, old)
    assert findings(report) == [] and node.settings["failOnMissingHeaders"] is False
    # 5.6: separate timeouts and Bearer authentication; enabled credentials are findings
    new = _get_model(connectTimeout=5, readTimeout=120, Bearer={"Bearer auth": {}}, Bearer_enabled=True)
    new.pop("timeout")
    node, report, _ = import_fragment(tmp_path, GET, new)
    assert node.settings["readTimeout"] == 120
    assert [f for f in findings(report) if "Bearer authentication" in f]
    _, report, _ = import_fragment(tmp_path, GET, _get_model(**{"SSL ignore hostname errors": True}))
    assert any("hostname" in f for f in findings(report))


def test_get_request_port_groups() -> None:
    from nodes.web_json import _get_request_ports

    assert _get_request_ports({}) == ({}, {})
    assert _get_request_ports({"Table": {}, "Credential": {}, "GET results": {}}) == ({}, {})
    ports: dict[str, Any] = {"Table": {"port_0": {}}, "Credential": {"port_0": {}}}
    assert _get_request_ports(ports) == ({1: 1, 2: None}, {})


# ====================================================================================== JSON Path

DOC = (
    '{"name":"a/b","big":1E+16,"price":"2.5","flag":true,'
    '"items":[{"n":1},{"m":2},{"n":3}],"obj":{"a":1.50,"u":"x/y"}}'
)
QUERIES = [  # (column, path, list, paths, type, expected for DOC)
    ("name", "$.name", False, False, "String", "a/b"),
    ("ns", "$.items[*].n", True, False, "Integer", (1, None, 3)),  # a missing last property is null
    ("nstr", "$.items[*].n", True, False, "String", ("1", "3")),  # nulls are left out of String lists
    (
        "paths",
        "$.items[*].n",
        False,
        True,
        "String",
        ("$['items'][0]['n']", "$['items'][1]['n']", "$['items'][2]['n']"),
    ),
    ("obj", "$.obj", False, False, "Json", '{"a":1.5,"u":"x/y"}'),  # json-smart read 1.50 as a Double
    ("objs", "$.obj", False, False, "String", '{"a":1.5,"u":"x\\/y"}'),  # json-smart's toString
    ("big", "$.big", False, False, "String", "1.0E16"),  # Double.toString
    ("price", "$.price", False, False, "Double", 2.5),  # a string parsed by Double.valueOf
    ("flag", "$.flag", False, False, "Boolean", True),
    ("multi", "$.items[*]", False, False, "Json", '[{"n":1},{"m":2},{"n":3}]'),  # several: a JSON array
    ("deep", "$.a.b", False, False, "Integer", None),  # a definite path without result
    ("leaf", "$.nothere", False, False, "Json", "null"),  # a missing leaf is JSON null
    ("long", "big", False, False, "Long", 10**16),  # no root: relative to $
    ("pint", "$.price", False, False, "Integer", None),  # Integer.valueOf("2.5") fails
    ("scan", "$..n", True, False, "Integer", (None, 1, None, 3, None)),  # every object below, n or null
    ("filt", "$.items[?(@.n > 1)].n", True, False, "Long", (3,)),
]


def _json_path_settings(queries: list[tuple[Any, ...]], **extra: Any) -> dict[str, Any]:
    return {
        "input_column": "j",
        "newColumnName": [q[0] for q in queries],
        "jsonpath": [q[1] for q in queries],
        "result_is_list": [q[2] for q in queries],
        "return_paths_instead_of_values": [q[3] for q in queries],
        "returnType": [q[4] for q in queries],
        **extra,
    }


def _json_table(*values: str | None) -> Table:
    return Table.from_frame(
        pd.DataFrame({"j": list(values), "k": range(len(values))}), {"j": ColumnType.JSON}
    )


def test_json_path_values_lists_paths_and_missing() -> None:
    run = run_node(
        "json_path", _json_path_settings(QUERIES, remove_input_column=True), _json_table(DOC, None)
    )
    out = run[1]
    assert out.columns == ["k", *[q[0] for q in QUERIES]]
    assert run.specs[0].names == out.columns
    first = {q[0]: out.df[q[0]].iloc[0] for q in QUERIES}
    for name, _p, _l, _r, _t, expected in QUERIES:
        got = first[name]
        got = None if not isinstance(got, tuple) and pd.isna(got) else got
        assert got == expected, name
    assert out.types["ns"] == "List of Integer" and out.types["paths"] == "List of String"
    assert out.types["obj"] == "JSON" and out.types["long"] == "Long"
    assert out.df.iloc[1][[q[0] for q in QUERIES]].isna().all()  # a missing JSON cell


def test_json_path_errors() -> None:
    several = [("v", "$.items[*].n", False, False, "String", None)]
    with pytest.raises(NodeError, match=r"Expected at most one result, but got: 3 \[\[1, null, 3\]\]"):
        run_node("json_path", _json_path_settings(several), _json_table(DOC))
    with pytest.raises(ConfigureError, match="No JSON path was specified"):
        run_node("json_path", _json_path_settings([]), _json_table(DOC))
    with pytest.raises(ConfigureError, match="Invalid JSONPath"):
        run_node(
            "json_path", _json_path_settings([("v", "$.[", False, False, "String", None)]), _json_table(DOC)
        )
    table = Table.from_frame(pd.DataFrame({"s": ["{}"]}))
    with pytest.raises(ConfigureError, match="No suitable"):
        run_node("json_path", _json_path_settings(QUERIES[:1], input_column=None), table)


def test_json_path_imports_real_keys(tmp_path: Path) -> None:
    model = {
        "input.column": "body",
        "remove.input.column": True,
        "newColumnName": ["games"],
        "jsonpath": ["$.response.games.*"],
        "result.is.list": [True],
        "return.paths.instead.of.values": [False],
        "returnType": ["Json"],
    }
    node, report, _ = import_fragment(tmp_path, JSON_PATH, model)
    assert node.type == "json_path" and findings(report) == []
    doc = '{"response":{"games":[{"id":1},{"id":2}]}}'
    table = Table.from_frame(pd.DataFrame({"body": [doc]}), {"body": ColumnType.JSON})
    out = run_node("json_path", node.settings, table)[1]
    assert out.columns == ["games"] and out.df["games"].iloc[0] == ('{"id":1}', '{"id":2}')
    _, report, _ = import_fragment(tmp_path, JSON_PATH, {**model, "returnType": ["Base64"]})
    assert any("Base64" in f for f in findings(report))


# ==================================================================================== JSON to XML

STEAM = (
    '{"response":{"players":[{"steamid":"765","personaname":"A b","loc x":1.50,"@id":7,"n":null}]},"ok":true}'
)
STEAM_XML = (
    f'{DECL}<root><response><players><item id="7"><steamid>765</steamid><personaname>A b</personaname>'
    '<locx xmlns:ns="http://www.knime.org/json2xml/originalKey/" ns:originalKey="loc x">1.50</locx><n/>'
    "</item></players></response><ok>true</ok></root>"
)


def test_json_to_xml_default_translation() -> None:
    table = _json_table(STEAM, None, "[1,[2,true]]", "5")
    run = run_node("json_to_xml", {"input_column": "j"}, table)
    out = run[1]
    assert out.columns == ["k", "XML"] and out.types["XML"] == "XML" and run.specs[0].names == out.columns
    assert out.df["XML"].tolist() == [
        STEAM_XML,
        None,
        f"{DECL}<root><item>1</item><item><item>2</item><item>true</item></item></root>",
        f"{DECL}<root>5</root>",
    ]
    kept = run_node(
        "json_to_xml", {"input_column": "j", "remove_input_column": False, "new_column_name": "j"}, table
    )
    assert kept[1].columns == ["j", "k", "j (#1)"]


def test_json_to_xml_keeps_types_in_namespaces() -> None:
    out = run_node(
        "json_to_xml",
        {"input_column": "j", "keep_type_information": True},
        _json_table('{"a":1,"b":["x",null],"c":{"#text":2,"@k":true}}'),
    )[1]
    root = etree.fromstring(out.df["XML"].iloc[0].encode())
    w3 = "http://www.w3.org/2001/XMLSchema"
    assert [child.tag for child in root] == [f"{{{w3}/integer}}a", "b", f"{{{w3}/integer}}c"]
    assert [child.tag for child in root[1]] == [f"{{{w3}/string}}item", f"{{{w3}}}item"]
    assert root[2].text == "2" and root[2].get(f"{{{w3}/boolean}}k") == "true"
    assert set(root.nsmap) == {"Integer", "String", "null", "Boolean"}  # only the prefixes used


def test_json_to_xml_imports_real_keys(tmp_path: Path) -> None:
    model = {
        "input.column": "body",
        "remove.input.column": True,
        "new.column.name": "XML",
        "array.prefix": "Array",
        "boolean.prefix": "Boolean",
        "decimal.prefix": "Decimal",
        "integer.prefix": "Integer",
        "array.item.element": "item",
        "namespace": "",
        "null.prefix": "null",
        "root.element": "root",
        "string.prefix": "String",
        "keep.type.information": False,
        "specify.namespace": False,
        "create.text.for.specific.keys": True,
        "key.for.text": "#text",
        "parent.key.as.element.name": False,
        "translate.#comment.as.element": True,
        "translate.?prefix.as.element": True,
        "value.remove.invalid.chars": True,
    }
    node, report, _ = import_fragment(tmp_path, JSON_TO_XML, model)
    assert node.type == "json_to_xml" and findings(report) == []
    table = Table.from_frame(pd.DataFrame({"body": [STEAM]}), {"body": ColumnType.JSON})
    assert run_node("json_to_xml", node.settings, table)[1].df["XML"].tolist() == [STEAM_XML]
    _, report, _ = import_fragment(tmp_path, JSON_TO_XML, {**model, "parent.key.as.element.name": True})
    assert any("parent keys" in f for f in findings(report))


# ========================================================================================== XPath

XML_DOC = '<r xmlns="urn:x" xmlns:p="urn:p"><i n="1">a</i><i n="x">b</i><i n="3"/><p:q>2.5</p:q><flag>TRUE</flag></r>'
XQUERIES = [  # (column, query, type, option, extra, expected)
    ("first", "/dns:r/dns:i", "String", "SingleCell", {}, "a"),
    ("all", "/dns:r/dns:i", "String", "CollectionCell", {}, ("a", "b", "")),
    ("all2", "/dns:r/dns:i", "String", "CollectionCell", {"missingCellOnEmptyString": True}, ("a", "b")),
    ("ints", "/dns:r/dns:i/@n", "Integer", "CollectionCell", {}, (1, 3)),  # "x" is left out
    ("q", "/dns:r/pp:q", "Double", "SingleCell", {}, 2.5),
    ("count", "count(/dns:r/dns:i)", "Integer", "SingleCell", {}, 3),
    ("flag", "//dns:flag", "Boolean", "SingleCell", {}, True),  # Boolean.parseBoolean ignores case
    ("node", "/dns:r/dns:i[1]", "Node", "SingleCell", {}, f'{DECL}<i xmlns="urn:x" n="1">a</i>'),
    ("attr", "/dns:r/dns:i[1]/@n", "Node", "SingleCell", {}, f'{DECL}<fragment n="1"/>'),
    ("none", "/dns:r/dns:zzz", "String", "SingleCell", {}, None),
    (
        "nan",
        "number('abc')",
        "Integer",
        "SingleCell",
        {"missingCellOnInfinityNaN": False, "defaultNumber": 7},
        7,
    ),
]


def _xpath_settings(queries: list[tuple[Any, ...]], **extra: Any) -> dict[str, Any]:
    return {
        "inputColumn": "x",
        "nsPrefixes": ["pp"],
        "namespaces": ["urn:p"],
        "queries": [
            {"newColumn": c, "xpath": q, "returnType": t, "multiTagOption": o, **e}
            for c, q, t, o, e, _ in queries
        ],
        **extra,
    }


def _xml_table(*values: str | None) -> Table:
    return Table.from_frame(pd.DataFrame({"x": list(values), "k": range(len(values))}), {"x": ColumnType.XML})


def test_xpath_single_cells_lists_and_namespaces() -> None:
    run = run_node("xpath", _xpath_settings(XQUERIES), _xml_table(XML_DOC, None))
    out = run[1]
    assert out.columns == ["x", "k", *[q[0] for q in XQUERIES]] and run.specs[0].names == out.columns
    for name, *_rest, expected in XQUERIES:
        got = out.df[name].iloc[0]
        got = None if not isinstance(got, tuple) and pd.isna(got) else got
        assert got == expected, name
    assert (
        out.types["ints"] == "List of Integer" and out.types["node"] == "XML" and out.types["q"] == "Double"
    )
    assert out.df.iloc[1][[q[0] for q in XQUERIES]].isna().all()  # a missing XML cell


def test_xpath_ungroups_to_rows_and_checks() -> None:
    query: list[tuple[Any, ...]] = [("n", "/dns:r/dns:i/@n", "String", "UngroupToRows", {}, None)]
    out = run_node("xpath", _xpath_settings(query, removeInputColumn=True), _xml_table(XML_DOC, None))[1]
    assert out.columns == ["k", "n"] and out.types["n"] == "String"
    assert out.row_ids == ["Row0_1", "Row0_2", "Row0_3", "Row1"]
    assert out.df["n"].tolist()[:3] == ["1", "x", "3"] and out.df["k"].tolist() == [0, 0, 0, 1]
    with pytest.raises(ConfigureError, match="reserved for the roots namespace"):
        run_node("xpath", _xpath_settings(query, nsPrefixes=["dns"]), _xml_table(XML_DOC))
    with pytest.raises(ConfigureError, match="already in the input"):
        run_node(
            "xpath", _xpath_settings([("k", "/*", "String", "SingleCell", {}, None)]), _xml_table(XML_DOC)
        )
    with pytest.raises(ConfigureError, match="not of type XML"):
        run_node("xpath", _xpath_settings(query), pd.DataFrame({"x": ["<a/>"]}))
    with pytest.raises(NodeError, match="For input string"):
        run_node(
            "xpath",
            _xpath_settings([("v", "/dns:r/dns:i[2]", "Integer", "SingleCell", {}, None)]),
            _xml_table(XML_DOC),
        )


def test_xpath_imports_real_keys(tmp_path: Path) -> None:
    model: dict[str, Any] = {
        "inputColumn": "body",
        "removeInputColumn": True,
        "nsPrefixes": [],
        "namespaces": [],
        "useRootsNameSpace": False,
        "rootsNameSpacePrefix": "dns",
        "numberOfQueries": 2,
    }
    for i, (name, query, option) in enumerate(
        [
            ("steamID", "/root/response/players/item/steamid/text()", "SingleCell"),
            ("names", "//personaname", "UngroupToRows"),
        ]
    ):
        model.update(
            {
                f"newColumn{i}": name,
                f"useAttributeForColName{i}": False,
                f"attributeForColName{i}": "name",
                f"xpath{i}": query,
                f"returnType{i}": "String",
                f"missingCellOnEmptySet{i}": True,
                f"missingCellOnEmptyString{i}": False,
                f"valueOnInfinityOrNaN{i}": False,
                f"missingCellOnInfinityNaN{i}": True,
                f"defaultNumber{i}": 0,
                f"xmlFragmentName{i}": "fragment",
                f"multiTagOption{i}": option,
            }
        )
    node, report, _ = import_fragment(tmp_path, XPATH, model)
    assert node.type == "xpath" and findings(report) == []
    table = Table.from_frame(pd.DataFrame({"body": [STEAM_XML]}), {"body": ColumnType.XML})
    out = run_node("xpath", node.settings, table)[1]
    assert out.columns == ["steamID", "names"] and out.df.values.tolist() == [["765", "A b"]]
    _, report, _ = import_fragment(tmp_path, XPATH, {**model, "multiTagOption1": "MultipleColumns"})
    assert any("Multiple columns" in f for f in findings(report))


# ================================================================================== String to URI


def test_string_to_uri_replace_append_and_files(tmp_path: Path) -> None:
    here = tmp_path / "a b.txt"
    here.write_text("x")
    table = pd.DataFrame({"s": ["http://a.b/c?d=1", str(here), None], "n": [1, 2, 3]})
    out = run_node("string_to_uri", {"columnselection": "s"}, table)[1]
    assert out.types["s"] == "URI" and out.columns == ["s", "n"]
    assert out.df["s"].tolist() == ["http://a.b/c?d=1", f"file:{tmp_path.as_posix()}/a%20b.txt", None]
    appended = run_node(
        "string_to_uri", {"columnselection": "s", "replace": "Append", "columnname": "u"}, table
    )[1]
    assert appended.columns == ["s", "n", "u"] and appended.types["s"] == "String"
    with pytest.raises(NodeError, match="does not exist"):
        run_node(
            "string_to_uri",
            {"columnselection": "s", "missingfileabort": True},
            pd.DataFrame({"s": [str(tmp_path / "no")]}),
        )
    with pytest.raises(NodeError, match="Illegal character"):
        run_node("string_to_uri", {"columnselection": "s"}, pd.DataFrame({"s": ["http://a b"]}))
    with pytest.raises(ConfigureError, match="already taken"):
        run_node("string_to_uri", {"columnselection": "s", "replace": "Append", "columnname": "n"}, table)


def test_string_to_uri_imports_real_keys(tmp_path: Path) -> None:
    model = {
        "columnselection": "Output",
        "missingfileabort": False,
        "replace": "Replace",
        "columnname": "URI",
    }
    node, report, _ = import_fragment(tmp_path, STRING_TO_URI, model)
    assert (
        node.type == "string_to_uri"
        and findings(report) == []
        and node.settings["columnselection"] == "Output"
    )


# ========================================================================== JSON Schema Validator

SCHEMA = '{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}}}'


def test_json_schema_check_fails_or_lists_errors() -> None:
    table = _json_table('{"a":1}', '{"b":2}', '{"a":"x"}', None)
    with pytest.raises(NodeError, match="Failed to validate row: Row1"):
        run_node("json_schema_check", {"input_column": "j", "json_schema": SCHEMA}, table)
    assert run_node("json_schema_check", {"json_schema": SCHEMA}, table.take([0, 3]))[1].columns == ["j", "k"]
    settings = {"input_column": "j", "json_schema": SCHEMA, "fail_on_invalid_json": False}
    out = run_node("json_schema_check", settings, table)[1]
    assert (
        out.columns == ["j", "k", "invalid schema message"] and out.types["invalid schema message"] == "JSON"
    )
    cells = out.df["invalid schema message"].tolist()
    assert cells[0] is None and cells[3] is None
    required, wrong_type = json.loads(cells[1]), json.loads(cells[2])
    assert [(m["keyword"], m["instance"]["pointer"], m["schema"]["pointer"]) for m in required] == [
        ("required", "", "")
    ]
    assert [(m["keyword"], m["instance"]["pointer"], m["schema"]["pointer"]) for m in wrong_type] == [
        ("type", "/a", "/properties/a")
    ]
    with pytest.raises(ConfigureError, match="Invalid JSON Schema"):
        run_node("json_schema_check", {**settings, "json_schema": '{"type": 5}'}, table)


def test_json_schema_check_imports_real_keys(tmp_path: Path) -> None:
    # the ISI-TP1 workflow's "schema" is an example object: no keyword of it constrains anything
    model = {
        "input.column": "JSON",
        "json.schema": '    {\n        "Id": "Occurrence id",\n        "Mag": 0.0,\n        "Year": 2000\n    }',
        "error.messages.column": "invalid schema message",
        "fail.on.invalid.json": True,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.json.node.schema.check.JSONSchemaCheckNodeFactory", model
    )
    assert node.type == "json_schema_check" and findings(report) == []
    table = Table.from_frame(pd.DataFrame({"JSON": ['{"Id":5}']}), {"JSON": ColumnType.JSON})
    assert run_node("json_schema_check", node.settings, table)[1].df["JSON"].tolist() == ['{"Id":5}']
    _, report, _ = import_fragment(
        tmp_path,
        "org.knime.json.node.schema.check.JSONSchemaCheckNodeFactory",
        {**model, "fail.on.invalid.json": False},
    )
    assert any("jsonschema" in f for f in findings(report))
