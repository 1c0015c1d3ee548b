"""JSON Reader (whole document, JSONPath parts, comments), JSON Writer, XML Reader (whole document,
XPath elements with the root's namespace) and the legacy Line Reader, with their KNIME mappings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError, Table
from engine.core.testing import run_node

JSON_READER_FACTORY = "org.knime.json.node.reader.JSONReaderNodeFactory"
JSON_WRITER_FACTORY = "org.knime.json.node.writer.JSONWriterNodeFactory"
XML_READER_FACTORY = "org.knime.xml.node.reader.XMLReaderNodeFactory"
LINE_READER_FACTORY = "org.knime.base.node.io.linereader.LineReaderNodeFactory"

DOCUMENT = '{\n  "a": 1.50,\n  "b": [1, 2, {"c": "x/y"}],\n  "s": "no // comment"\n}\n'


def read_json(tmp_path: Path, text: str, **settings: object) -> list[object]:
    source = tmp_path / "doc.json"
    source.write_text(text, encoding="utf-8")
    out = run_node("json_reader", {"file": str(source), **settings})[1]
    assert out.types[out.columns[0]] == "JSON"
    assert out.row_ids == [f"Row{i}" for i in range(len(out))]
    return out.df[out.columns[0]].tolist()


def test_json_reader_whole_document_and_parts(tmp_path: Path) -> None:
    # compact JSON with the number's digits as written
    assert read_json(tmp_path, DOCUMENT) == ['{"a":1.50,"b":[1,2,{"c":"x/y"}],"s":"no // comment"}']
    assert read_json(tmp_path, DOCUMENT, select_part=True, json_path="$.b[*]") == ["1", "2", '{"c":"x/y"}']
    assert read_json(tmp_path, DOCUMENT, select_part=True, json_path="$.a") == ["1.50"]
    assert read_json(tmp_path, DOCUMENT, select_part=True, json_path="$.x.y") == [None]
    with pytest.raises(NodeError, match=r"Missing property in path \$\['x'\]"):
        read_json(tmp_path, DOCUMENT, select_part=True, json_path="$.x.y", fail_if_not_found=True)


def test_json_reader_comments_and_errors(tmp_path: Path) -> None:
    commented = '/* head */ {"s": "a // b", // line\n "n": [1, /* two */ 2]}'
    assert read_json(tmp_path, commented, allow_comments=True) == ['{"s":"a // b","n":[1,2]}']
    with pytest.raises(NodeError, match="not JSON"):
        read_json(tmp_path, commented)
    with pytest.raises(NodeError, match="file not found"):
        run_node("json_reader", {"file": str(tmp_path / "missing.json")})
    with pytest.raises(ConfigureError, match="no file selected"):
        run_node("json_reader", {})


def test_json_reader_imports(tmp_path: Path) -> None:
    model = {
        "location": "knime://knime.workflow/../data/doc.json",
        "column.name": "doc",
        "select.part": True,
        "json.path": "$.b[*]",
        "fail.if.not.found": False,
        "allow.comments": False,
    }
    node, report, _ = import_fragment(tmp_path, JSON_READER_FACTORY, model)
    assert node.type == "json_reader" and findings(report) == []
    assert node.settings["file"] == "${data_dir}/doc.json"
    assert node.settings["column_name"] == "doc" and node.settings["json_path"] == "$.b[*]"
    _, report, _ = import_fragment(tmp_path, JSON_READER_FACTORY, {**model, "process.only.json": True})
    assert any("process.only.json" in f for f in findings(report))


def json_table() -> Table:
    df = pd.DataFrame({"j": ['{"a":1}', None, "[1,2]"]}, index=["r1", "r2", "r3"])
    return Table.from_frame(df, {"j": "JSON"})


def test_json_writer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_node("json_writer", {"folder": str(out)}, json_table())
    assert sorted(p.name for p in out.iterdir()) == ["r1.json", "r3.json"]
    assert (out / "r1.json").read_text(encoding="utf-8") == '{"a":1}'
    with pytest.raises(NodeError, match="r1.json exists"):
        run_node("json_writer", {"folder": str(out)}, json_table())
    run_node(
        "json_writer",
        {"folder": str(out), "overwrite_existing_files": True, "extension": ".txt"},
        json_table(),
    )
    assert (out / "r3.txt").read_text(encoding="utf-8") == "[1,2]"
    with pytest.raises(ConfigureError, match="does not contain JSON"):
        run_node("json_writer", {"folder": str(out), "input_column": "s"}, pd.DataFrame({"s": ["x"]}))


def test_json_writer_imports(tmp_path: Path) -> None:
    model = {
        "input.column": "j",
        "output.location": "/home/u/out",
        "extension": ".json",
        "overwrite.existing.files": True,
        "compress.contents": False,
    }
    node, report, _ = import_fragment(tmp_path, JSON_WRITER_FACTORY, model)
    assert node.type == "json_writer" and findings(report) == []
    assert node.settings == {
        "input_column": "j",
        "folder": ".",
        "extension": ".json",
        "overwrite_existing_files": True,
    }
    _, report, _ = import_fragment(tmp_path, JSON_WRITER_FACTORY, {**model, "compress.contents": True})
    assert any("zip" in f for f in findings(report))


XML = '<?xml version="1.0"?>\n<root xmlns="urn:x" xmlns:o="urn:o"><item id="1">a</item><o:item/><item id="2"/></root>'


def test_xml_reader(tmp_path: Path) -> None:
    source = tmp_path / "doc.xml"
    source.write_text(XML, encoding="utf-8")
    whole = run_node("xml_reader", {"file": str(source)})[1]
    assert whole.columns == ["XML"] and whole.types["XML"] == "XML"
    assert whole.df["XML"].tolist() == [
        '<?xml version="1.0" encoding="UTF-8"?><root xmlns="urn:x" xmlns:o="urn:o"><item id="1">a</item>'
        '<o:item/><item id="2"/></root>'
    ]
    settings = {
        "file": str(source),
        "useXPathFilter": True,
        "xpath": "/dns:root/dns:item",
        "useRootsNameSpace": True,
    }
    parts = run_node("xml_reader", settings)[1]
    assert parts.row_ids == ["Row0", "Row1"]
    assert parts.df["XML"].tolist() == [
        '<?xml version="1.0" encoding="UTF-8"?><item xmlns="urn:x" id="1">a</item>',
        '<?xml version="1.0" encoding="UTF-8"?><item xmlns="urn:x" id="2"/>',
    ]
    other = {
        **settings,
        "useRootsNameSpace": False,
        "xpath": "//p:item",
        "nsPrefixes": ["p"],
        "namespaces": ["urn:o"],
    }
    assert run_node("xml_reader", other)[1].df["XML"].tolist() == [
        '<?xml version="1.0" encoding="UTF-8"?><o:item xmlns:o="urn:o"/>'
    ]
    with pytest.raises(NodeError, match="invalid XPath"):
        run_node("xml_reader", {**settings, "xpath": "/dns:root/["})


def test_xml_reader_imports(tmp_path: Path) -> None:
    model = {
        "url": "/data/doc.xml",
        "useXPathFilter": True,
        "xpath": "/dns:root/dns:item",
        "nsPrefixes": ["p"],
        "namespaces": ["urn:o"],
        "useRootsNameSpace": True,
        "rootsNameSpacePrefix": "dns",
    }
    node, report, _ = import_fragment(tmp_path, XML_READER_FACTORY, model)
    assert node.type == "xml_reader" and findings(report) == []
    assert node.settings["file"] == "${data_dir}/doc.xml" and node.settings["nsPrefixes"] == ["p"]


LINES = "first\n\nsecond line\r\nthird\rx\n"


def read_lines(tmp_path: Path, **settings: object) -> Table:
    source = tmp_path / "lines.txt"
    source.write_text(LINES, encoding="utf-8", newline="")
    return run_node("line_reader", {"file": str(source), **settings})[1]


def test_line_reader(tmp_path: Path) -> None:
    out = read_lines(tmp_path)
    assert out.columns == ["Column"] and out.types["Column"] == "String"
    assert out.df["Column"].tolist() == ["first", "", "second line", "third", "x"]
    assert out.row_ids == ["Row0", "Row1", "Row2", "Row3", "Row4"]
    assert read_lines(tmp_path, skipEmptyLines=True).df["Column"].tolist() == [
        "first",
        "second line",
        "third",
        "x",
    ]
    assert read_lines(tmp_path, regex="s.*").df["Column"].tolist() == ["second line"]
    headed = read_lines(tmp_path, readColumnHeader=True, rowPrefix="Line", limitRowCount=2)
    assert headed.columns == ["first"] and headed.df["first"].tolist() == ["", "second line"]
    assert headed.row_ids == ["Line0", "Line1"]
    with pytest.raises(ConfigureError, match="invalid regular expression"):
        read_lines(tmp_path, regex="(")


def test_line_reader_imports(tmp_path: Path) -> None:
    model = {
        "url": "file:/C:/data/lines.txt",
        "rowPrefix": "Row",
        "columnHeader": "Column",
        "readColumnHeader": False,
        "skipEmptyLines": True,
        "limitRowCount": -1,
        "regex": "",
        "encoding": "",
    }
    node, report, _ = import_fragment(tmp_path, LINE_READER_FACTORY, model)
    assert node.type == "line_reader" and findings(report) == []
    assert node.settings["file"] == "${data_dir}/lines.txt" and node.settings["skipEmptyLines"] is True
    assert "encoding" not in node.settings
