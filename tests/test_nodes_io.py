"""CSV Reader, CSV Writer and Table Creator: the tutorial files read with KNIME's shapes and types,
the reader's CSV dialect, the writer's KNIME number format, and the Table Creator's two cell forms."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spec_shapes import data_file

from engine.api import UNKNOWN, ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import configure_node, run_node
from nodes._java_text import (
    java_decimal_format,
    java_double_to_string,
    parse_java_double,
    parse_java_int,
    python_codec,
)

ROOT = Path(__file__).resolve().parent.parent
ZB_NUMERIC = [
    "IP_A",
    "EA_A",
    "EN_A",
    "Highest_occ_A",
    "Lowest_unocc_A",
    "rs_A",
    "rp_A",
    "rd_A",
    "IP_B",
    "EA_B",
    "EN_B",
    "Highest_occ_B",
    "Lowest_unocc_B",
    "rs_B",
    "rp_B",
    "rd_B",
    "dE",
]


def data_path(name: str) -> Path:
    """A tutorial data file (committed in data/; $KNITFLOW_DATA first)."""
    return data_file(name)


def read(name: str, **settings: object) -> Table:
    result = run_node("csv_reader", {"file": str(data_path(name)), **settings})
    table = result[1]
    assert result.specs[0] == table.spec  # configure predicts what execute produces
    return table


def write_text(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def read_text(tmp_path: Path, text: str, **settings: object) -> Table:
    settings.setdefault("charset", "UTF-8")
    return run_node("csv_reader", {"file": write_text(tmp_path, text), **settings})[1]


# ------------------------------------------------------------------------------ tutorial files


def test_zb_wz_descriptors_like_knime() -> None:
    t = read("ZB_WZ_dE_rawdescriptor.csv")
    assert t.shape == (82, 21)
    assert t.row_ids[0] == "Row0" and t.row_ids[-1] == "Row81"
    assert t.types["ZA"] == t.types["ZB"] == ColumnType.INTEGER
    assert t.df["ZA"].dtype == np.int64 and t.df["ZA"].iloc[0] == 3  # written "03" in the file
    assert t.types["A"] == t.types["B"] == ColumnType.STRING
    assert all(t.types[c] == ColumnType.DOUBLE for c in ZB_NUMERIC)
    assert t.df.loc["Row0", "dE"] == -0.059 and t.df.loc["Row0", "B"] == "F"
    assert (t.df["dE"] >= 0).sum() == 41


def _stored_columns(workflow: str, node_id: int) -> list[dict[str, object]]:
    """A CSV Reader's stored table transformation (KNIME's column order and types), as the
    workflow imported from the archive keeps it."""
    from engine.core.document import read_document

    doc, _ = read_document(ROOT / "workflows" / f"{workflow}.yaml")
    return list(doc.node(node_id).settings["columns"])


def test_maxphase_with_the_stored_knime_column_order() -> None:
    plain = read("maxphase_property.csv")
    assert plain.shape == (107, 107)
    assert "rho0 lambda lambda" in plain.types  # ' rho0 lambda lambda' in the file: the header is trimmed
    assert [c for c in plain.columns if c in ("n", "adirection", "bdirection")] == [
        "n",
        "adirection",
        "bdirection",
    ]
    assert {plain.types[c] for c in ("n", "adirection", "bdirection")} == {ColumnType.INTEGER}
    assert plain.types["Material"] == ColumnType.STRING

    stored = _stored_columns("11_01_randomforest_maxphase", 245)
    assert len(stored) == 107
    t = read("maxphase_property.csv", columns=stored)
    assert t.shape == (107, 107)
    assert t.columns[:6] == ["Material", "Hf (eV/atom)", "Ecoh (eV/atom)", "n", "adirection", "bdirection"]
    assert t.columns[-3:] == ["stddev_electron_affinity", "rho0 lambda tau", "rho0 lambda lambda"]
    assert t.types["n"] == ColumnType.INTEGER and t.types["rho0 lambda lambda"] == ColumnType.DOUBLE
    assert t.df.loc["Row63", "rho0 lambda lambda"] == 137.0
    # configure gives the stored spec without reading the file when it is not there (yet)
    missing = {"file": "/nonexistent/maxphase_property.csv", "columns": stored}
    assert configure_node("csv_reader", missing)[0] == t.spec


def test_maxphase_charset() -> None:
    # windows-31j as the tutorial workflow saved it: the file's UTF-8 Greek letters come out garbled
    knime = read("maxphase_property.csv", charset="windows-31j")
    assert knime.df.loc["Row63", "Material"] != "β-Ta3AlC2" and knime.df.loc["Row63", "Material"].endswith(
        "Ta3AlC2"
    )
    utf8 = read("maxphase_property.csv", charset="UTF-8")
    assert utf8.df.loc["Row63", "Material"] == "β-Ta3AlC2"
    pd.testing.assert_frame_equal(knime.df.drop(columns="Material"), utf8.df.drop(columns="Material"))


def test_default_charset_is_utf8(tmp_path: Path) -> None:
    """A CSV Reader a user adds reads UTF-8 (KNIME's workflows keep the charset they saved)."""
    from nodes._csv_source import CsvReaderSettings

    assert CsvReaderSettings().charset == "UTF-8"
    path = write_text(tmp_path, "name,x\nβ-Ta3AlC2,1\nÅngström,2\n")
    table = run_node("csv_reader", {"file": path})[1]
    assert table.df["name"].tolist() == ["β-Ta3AlC2", "Ångström"]
    assert read("maxphase_property.csv").df.loc["Row63", "Material"] == "β-Ta3AlC2"


def test_svd_material_with_row_ids() -> None:
    t = read("group131415_div1.csv", has_row_id=True)
    assert t.shape == (46, 39)
    assert t.row_ids[0] == "Al^As"
    assert set(t.types.values()) == {ColumnType.DOUBLE}
    toy = read("simple_existence.csv")
    assert toy.shape == (10, 20) and toy.columns == [str(i) for i in range(20)]
    assert set(toy.types.values()) == {ColumnType.DOUBLE}
    elm = read("group131415_elm1elm2.csv")
    assert elm.shape == (49, 8) and elm.types["nr1"] == ColumnType.INTEGER


# ----------------------------------------------------------------------------- reader dialect


def test_quotes_comments_blank_lines_and_trimming(tmp_path: Path) -> None:
    text = (
        "# a comment line\n"
        ' name , "value" ,note\n'
        "\n"
        'a, 1 ,"x, y"\n'
        "  # another comment\n"
        '"b ""quoted""", 2,"line one\nline two"\n'
        'c,3,""\n'
        "d,,  \n"
    )
    t = read_text(tmp_path, text)
    assert t.columns == ["name", "value", "note"]
    assert t.types == {"name": "String", "value": "Integer", "note": "String"}
    assert t.df["name"].tolist() == ["a", 'b "quoted"', "c", "d"]
    assert t.df["note"].tolist()[:2] == ["x, y", "line one\nline two"]
    assert t.df["note"].isna().tolist() == [False, False, True, True]  # "" and blanks are missing
    assert t.df["value"].dtype == "Int64" and t.df["value"].isna().tolist() == [False, False, False, True]
    keep = read_text(tmp_path, 'a,b\n"x",""\n', replace_empty_quotes_with_missing=False)
    assert keep.df.iloc[0].tolist() == ["x", ""]
    quoted = read_text(tmp_path, 'a\n" x "\n', quote_option="KEEP_QUOTES")
    assert quoted.df["a"].tolist() == ['" x "']


def test_type_guessing_like_knime(tmp_path: Path) -> None:
    text = "i,l,d,s,e,j\n1,3000000000,1.5,x,,1d\n-2,4,.5,2,,NaN\n+3,5,1e3,3.0,,0x1p3\n"
    t = read_text(tmp_path, text)
    assert t.types == {
        "i": "Integer",
        "l": "Long",
        "d": "Double",
        "s": "String",
        "e": "String",
        "j": "Double",
    }
    assert t.df["l"].tolist() == [3000000000, 4, 5]
    assert t.df["d"].tolist() == [1.5, 0.5, 1000.0]
    assert t.df["s"].tolist() == ["x", "2", "3.0"]
    assert t.df["j"].iloc[0] == 1.0 and np.isnan(t.df["j"].iloc[1]) and t.df["j"].iloc[2] == 8.0
    # separators: thousands and decimal comma
    eu = read_text(
        tmp_path,
        "a;b\n1.234,5;1.000\n2,0;2\n",
        column_delimiter=";",
        decimal_separator=",",
        thousands_separator=".",
    )
    assert eu.types == {"a": "Double", "b": "Integer"}
    assert eu.df["a"].tolist() == [1234.5, 2.0] and eu.df["b"].tolist() == [1000, 2]
    tabs = read_text(tmp_path, "a\tb\n1\t2\n", column_delimiter="\\t")
    assert tabs.df.iloc[0].tolist() == [1, 2]


def test_types_guessed_on_the_first_rows_only(tmp_path: Path) -> None:
    text = "a\n" + "1\n" * 5 + "x\n"
    with pytest.raises(NodeError, match="not a valid Integer") as err:
        run_node("csv_reader", {"file": write_text(tmp_path, text), "max_data_rows_scanned": 5})
    assert "Row5" in str(err.value)
    t = run_node("csv_reader", {"file": write_text(tmp_path, text), "limit_data_rows_scanned": False})[1]
    assert t.types["a"] == ColumnType.STRING


def test_header_names_row_ids_and_limits(tmp_path: Path) -> None:
    t = read_text(tmp_path, "id,a,,a\nr1,1,2,3\nr2,4,5,6\n", has_row_id=True)
    assert t.columns == ["a", "Column1", "a (#1)"] and t.row_ids == ["r1", "r2"]
    no_header = read_text(tmp_path, "1,2\n3,4\n", has_column_header=False)
    assert no_header.columns == ["Column0", "Column1"] and len(no_header) == 2
    sliced = read_text(tmp_path, "junk\na\n1\n2\n3\n4\n", skip_lines=1, skip_data_rows=1, max_rows=2)
    assert sliced.df["a"].tolist() == [2, 3] and sliced.row_ids == ["Row0", "Row1"]
    empty = read_text(tmp_path, "a,b\n")
    assert empty.shape == (0, 2) and empty.types == {"a": "String", "b": "String"}


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n3,4\n",
        "a,b\r\n1,2\r\n\r\n3,4",
        "a,b\r1,2\r3,4\r",
        "a,,b\n1,,x\n,2,\n",
        "#c\na,b\n#1,2\n3,4\n",
        "a,b\n\n\n1,C#N\n",
        "id,a\nr1,1\nr2,2\n",
        "a,b\n1,2,\n",
        "",
        "a;b\n1;2\n",
        "x\ny\nz\nw\n",
        "a,b\n1,2\n3\n",
        "a,b\n1,2,3,4\n",
        "id,a\nr,1\nr,2\n",
        "id,a\n,1\n",
        'a,b\n"x\ny",1\n2,3\n4,5\n',
        "a,b\n  \n1,2\n3,4\n5,6\n",
    ],
)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"has_column_header": False},
        {"has_row_id": True},
        {"skip_lines": 1, "skip_data_rows": 1, "max_rows": 1},
        {"comment_char": ""},
        {"column_delimiter": ";"},
        {"support_short_data_rows": True},
        {"max_rows": 0},
        {"skip_data_rows": 1},
    ],
)
def test_quote_free_files_read_as_the_record_parser_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, options: dict[str, object]
) -> None:
    """The fast path for files without quotes or whitespace gives the parser's table, or its error."""
    import nodes._csv_source

    def read() -> object:
        try:
            t = read_text(tmp_path, text, **options)
        except NodeError as exc:
            return ("error", str(exc), exc.setting)
        return t.columns, t.types, t.row_ids, t.df.to_dict("list")

    fast = read()
    monkeypatch.setattr(nodes._csv_source, "_simple_layout", lambda *args: None)
    assert read() == fast


def test_reader_errors(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match="too few values in line 3") as err:
        read_text(tmp_path, "a,b\n1,2\n3\n")
    assert err.value.setting == "file"
    padded = read_text(tmp_path, "a,b\n1,2\n3\n", support_short_data_rows=True)
    assert padded.df["b"].isna().tolist() == [False, True]
    with pytest.raises(NodeError, match="too many values"):
        read_text(tmp_path, "a,b\n1,2,3\n")
    with pytest.raises(NodeError, match="duplicate RowID"):
        read_text(tmp_path, "id,a\nr,1\nr,2\n", has_row_id=True)
    missing = str(tmp_path / "nope" / "data.csv")
    with pytest.raises(NodeError, match="workflow.s folder") as err:
        run_node("csv_reader", {"file": missing})
    assert missing in str(err.value) and err.value.setting == "file"
    with pytest.raises(ConfigureError, match="knitflow examples DIR"):
        configure_node("csv_reader", {"file": missing})
    with pytest.raises(ValueError, match="character set"):
        run_node("csv_reader", {"file": missing, "charset": "no-such-charset"})


def test_stored_columns(tmp_path: Path) -> None:
    path = write_text(tmp_path, "x,y,z\n1,2,a\n3,4,b\n")
    cols = [
        {"name": "z", "type": "String"},
        {"name": "x", "type": "Number (Float)", "rename": "X"},
        {"name": "y", "type": "Number (Integer)", "keep": False},
    ]
    t = run_node("csv_reader", {"file": path, "columns": cols, "charset": "UTF-8"})[1]
    assert t.columns == ["z", "X"] and t.types == {"z": "String", "X": "Double"}
    assert t.df["X"].tolist() == [1.0, 3.0]
    guessed = run_node("csv_reader", {"file": path, "columns": cols, "enforce_types": False})[1]
    assert guessed.types["X"] == ColumnType.INTEGER
    # columns of the file that the stored spec does not list are appended
    part = run_node("csv_reader", {"file": path, "columns": [{"name": "z", "type": "String"}]})[1]
    assert part.columns == ["z", "x", "y"]
    with pytest.raises(NodeError, match="'w' of the stored spec not in the file"):
        run_node("csv_reader", {"file": path, "columns": [{"name": "w", "type": "String"}]})
    with pytest.raises(NodeError, match="not a valid Integer"):
        run_node("csv_reader", {"file": path, "columns": [{"name": "z", "type": "Integer"}]})
    with pytest.raises(ValueError, match="unknown column type"):
        run_node("csv_reader", {"file": path, "columns": [{"name": "z", "type": "Text"}]})


def test_java_number_rules() -> None:
    assert (
        parse_java_double(" 1.5d ") == 1.5 and parse_java_double(".5") == 0.5 and parse_java_double("5.") == 5
    )
    assert parse_java_double("-Infinity") == -np.inf and parse_java_double("0x1.8p1") == 3.0
    for bad in ("1_000", "inf", "nan", "1e", "", "0x1"):
        with pytest.raises(ValueError):
            parse_java_double(bad)
    assert parse_java_int("007") == 7 and parse_java_int("-2147483648") == -(2**31)
    with pytest.raises(ValueError):
        parse_java_int("2147483648")
    assert parse_java_int("2147483648", 64) == 2**31
    assert [java_double_to_string(v) for v in (0.0, 1.0, 1e-5, 1e7, 123.456, -0.001, 1e-3 / 10)] == [
        "0.0",
        "1.0",
        "1.0E-5",
        "1.0E7",
        "123.456",
        "-0.001",
        "1.0E-4",
    ]
    assert [java_decimal_format(v) for v in (1.0, 0.5, -0.5, 1e-5, 1e20, 0.0, 2.25)] == [
        "1",
        ".5",
        "-.5",
        ".00001",
        "100000000000000000000",
        "0",
        "2.25",
    ]
    assert java_decimal_format(1.0, keep_trailing_zero=True) == "1.0"
    assert python_codec("windows-31j") == "cp932" and python_codec(None) == "utf-8"


# ------------------------------------------------------------------------------------ CSV Writer


def _table() -> Table:
    df = pd.DataFrame(
        {
            "x": [0.5, 1.0, 1e-5, np.nan, 1e10],
            "n": pd.array([1, 2, None, 4, 5], dtype="Int64"),
            "s": ["a,b", 'say "hi"', None, "plain", "ü"],
            "b": [True, False, True, True, False],
        },
        index=pd.Index([f"Row{i}" for i in range(5)], dtype=object),
    )
    return Table(df, {"x": "Double", "n": "Integer", "s": "String", "b": "Boolean"})


def test_writer_formats_like_knime(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = run_node(
        "csv_writer", {"file": str(out), "row_delimiter": "LF", "charset": "windows-31j"}, _table()
    )
    assert result.outputs == [None]
    assert out.read_bytes().decode("cp932").split("\n") == [
        '"x","n","s","b"',
        '.5,1,"a,b",true',
        '1,2,"say ""hi""",false',
        ".00001,,,true",
        ',4,"plain",true',
        '10000000000,5,"?",false',  # windows-31j has no ü: replaced like Java does
        "",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind
    # without a charset: UTF-8 (KNIME writes its platform default; the ü survives)
    run_node("csv_writer", {"file": str(tmp_path / "utf8.csv"), "row_delimiter": "LF"}, _table())
    assert (tmp_path / "utf8.csv").read_text(encoding="utf-8").split("\n")[5] == '10000000000,5,"ü",false'
    # read back: the same table (up to the unencodable character)
    back = run_node("csv_reader", {"file": str(out)})[1]
    assert back.types == {"x": "Double", "n": "Integer", "s": "String", "b": "String"}
    assert back.df["x"].tolist()[:3] == [0.5, 1.0, 1e-5] and back.df["n"].isna().tolist()[2]


def test_writer_options(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    t = _table()
    with pytest.raises(NodeError, match="exists"):
        out.write_text("old")
        run_node("csv_writer", {"file": str(out)}, t)
    assert out.read_text() == "old"
    s = {
        "file": str(out),
        "if_path_exists": "overwrite",
        "charset": "UTF-8",
        "row_delimiter": "CRLF",
        "quote_mode": "IF_NEEDED",
        "write_row_header": True,
        "missing_value_pattern": "NA",
        "use_scientific_format": True,
        "decimal_separator": ",",
    }
    run_node("csv_writer", s, t)
    lines = out.read_bytes().decode("utf-8").split("\r\n")
    assert lines[0] == "row ID,x,n,s,b"
    # IF_NEEDED quotes whatever contains the delimiter, numbers with a decimal comma included
    assert lines[1] == 'Row0,"0,5",1,"a,b",true' and lines[3] == 'Row2,"1,0E-5",NA,NA,true'
    assert lines[5] == 'Row4,"1,0E10",5,ü,false'
    run_node("csv_writer", {**s, "if_path_exists": "append", "skip_column_header_on_append": True}, t)
    assert (
        out.read_bytes().decode("utf-8").count("row ID") == 1 and len(out.read_bytes().split(b"\r\n")) == 12
    )
    never = tmp_path / "never.csv"
    run_node(
        "csv_writer",
        {
            "file": str(never),
            "quote_mode": "NEVER",
            "separator_replacement": ";",
            "write_column_header": False,
            "keep_trailing_zero_in_decimals": True,
        },
        t,
    )
    assert never.read_text(encoding="cp932").splitlines()[:2] == [".5,1,a;b,true", '1.0,2,say "hi",false']
    gz = tmp_path / "z.csv.gz"
    run_node("csv_writer", {"file": str(gz), "compress_with_gzip": True}, t)
    assert gzip.decompress(gz.read_bytes()).startswith(b'"x","n"')
    with pytest.raises(NodeError, match="create_missing_folders"):
        run_node("csv_writer", {"file": str(tmp_path / "new" / "f.csv")}, t)
    run_node("csv_writer", {"file": str(tmp_path / "new" / "f.csv"), "create_missing_folders": True}, t)
    assert (tmp_path / "new" / "f.csv").exists()
    with pytest.raises(ConfigureError):
        configure_node("csv_writer", {}, t.spec)
    assert configure_node("csv_writer", {"file": "x.csv"}, t.spec) == [UNKNOWN]


def test_writer_empty_table(tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    empty = Table(pd.DataFrame({"a": pd.Series([], dtype="float64")}), {"a": "Double"})
    run_node("csv_writer", {"file": str(out), "row_delimiter": "LF"}, empty)
    assert out.read_text() == '"a"\n'


# ---------------------------------------------------------------------------------- Table Creator


def test_table_creator_rows() -> None:
    settings = {
        "columns": [
            {"name": "alpha", "type": "Double"},
            {"name": "k", "type": "Integer"},
            {"name": "label", "type": "String"},
            {"name": "flag", "type": "Boolean"},
        ],
        "rows": [["0.00001", "1", "a", "true"], [1, 2, None, False], ["1e-3", "", "", None], [0.5]],
    }
    result = run_node("table_creator", settings)
    t = result[1]
    assert (
        result.specs[0]
        == t.spec
        == TableSpec.of([("alpha", "Double"), ("k", "Integer"), ("label", "String"), ("flag", "Boolean")])
    )
    assert t.row_ids == ["Row0", "Row1", "Row2", "Row3"]
    assert t.df["alpha"].tolist() == [1e-5, 1.0, 1e-3, 0.5]
    assert t.df["k"].dtype == "Int64" and t.df["k"].isna().tolist() == [False, False, True, True]
    assert t.df["label"].tolist() == ["a", None, None, None]
    ids = run_node(
        "table_creator", {**settings, "row_id_prefix": "r", "row_id_suffix": "x", "row_id_start_value": 5}
    )[1]
    assert ids.row_ids == ["r5x", "r6x", "r7x", "r8x"]
    pattern = run_node(
        "table_creator", {"columns": [{"name": "s", "missing_value_pattern": "?"}], "rows": [["?"], [""]]}
    )[1]
    assert pattern.df["s"].tolist() == [None, ""]


def test_table_creator_knime_arrays() -> None:
    """11_01 #295 stores an orphan cell at row -1; it is not part of the table (4 x 5)."""
    settings = {
        "columns": [
            {"name": "Params", "type": "String"},
            {"name": "Start", "type": "Integer"},
            {"name": "Stop", "type": "Integer"},
            {"name": "Step", "type": "Integer"},
            {"name": "Type", "type": "String"},
        ],
        "row_indices": [-1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3],
        "column_indices": [1, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
        "values": [
            "rho0 lambda tau",
            "nmodels",
            "10",
            "100",
            "10",
            "Number (integer)",
            "levels",
            "2",
            "5",
            "1",
            "Number (integer)",
            "minnodesize",
            "2",
            "10",
            "2",
            "Number (integer)",
            "randomseed",
            "1",
            "1",
            "0",
            "Number (integer)",
        ],
    }
    t = run_node("table_creator", settings)[1]
    assert t.shape == (4, 5) and t.row_ids == ["Row0", "Row1", "Row2", "Row3"]
    assert t.df.loc["Row3"].tolist() == ["randomseed", 1, 1, 0, "Number (integer)"]
    assert t.df["Start"].dtype == np.int64


def test_table_creator_errors() -> None:
    cols = [{"name": "k", "type": "Integer"}]
    with pytest.raises(NodeError, match="not a valid Integer"):
        run_node("table_creator", {"columns": cols, "rows": [["1.5"]]})
    with pytest.raises(NodeError, match="not a valid Integer"):
        run_node("table_creator", {"columns": cols, "rows": [["3000000000"]]})
    with pytest.raises(NodeError, match="2 cells"):
        run_node("table_creator", {"columns": cols, "rows": [["1", "2"]]})
    with pytest.raises(ValueError, match="either as rows"):
        run_node(
            "table_creator",
            {"columns": cols, "rows": [["1"]], "row_indices": [0], "column_indices": [0], "values": ["1"]},
        )
    with pytest.raises(ValueError, match="duplicate column"):
        run_node("table_creator", {"columns": cols + cols})
    empty = run_node("table_creator", {"columns": cols})[1]
    assert empty.shape == (0, 1) and empty.types == {"k": "Integer"}


def test_csv_reader_configures_a_file_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from nodes import csv_reader

    path = tmp_path / "t.csv"
    path.write_text("a,b\n11,x\n2,y\n")
    reads: list[str] = []
    real = csv_reader._read_raw
    monkeypatch.setattr(csv_reader, "_read_raw", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    settings = {"file": str(path)}
    first = configure_node("csv_reader", settings)
    assert configure_node("csv_reader", settings) == first and len(reads) == 1  # the run's second configure
    assert configure_node("csv_reader", {**settings, "column_delimiter": ";"}) != first  # other settings
    path.write_text("a,b\n1.,x\n2,y\n")  # the same size
    os.utime(path, ns=(1, 1))  # and a modification time from the past: still a new file
    (spec,) = configure_node("csv_reader", settings)
    assert spec.type_of("a") == ColumnType.DOUBLE and len(reads) == 3
