"""The CSV Reader's Arrow path (nodes/_csv_source.py `_arrow_table`, nodes/_csv_cells.py
`guess_arrow_type` / `_convert_arrow`) against the exact Python path it stands in for: the same
types, values, RowIDs, names and errors, on the values where Java's number grammar and
Python's / Arrow's differ."""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from engine.api import ColumnType, NodeError
from engine.core.testing import run_node
from nodes import _csv_cells, _csv_source, csv_reader
from nodes._csv_cells import _convert, _guess_type, _NumberText, guess_arrow_type
from nodes._csv_source import CsvReaderSettings, _CsvSource, _RawTable

FMT = _NumberText(CsvReaderSettings())

# (value, KNIME's type for a column of it alone: Integer.parseInt / Long.parseLong / Double.parseDouble)
JAVA_CASES = [
    ("1", ColumnType.INTEGER),
    ("+1", ColumnType.INTEGER),  # Arrow's integer cast refuses the plus sign
    ("-0", ColumnType.INTEGER),
    ("007", ColumnType.INTEGER),
    ("2147483647", ColumnType.INTEGER),
    ("2147483648", ColumnType.LONG),
    ("-2147483649", ColumnType.LONG),
    ("9223372036854775807", ColumnType.LONG),
    ("9223372036854775808", ColumnType.DOUBLE),  # beyond Long: Arrow's cast fails, Java reads a double
    ("9" * 40, ColumnType.DOUBLE),
    ("9" * 5000, ColumnType.DOUBLE),  # Python's int() refuses over 4300 digits, float() reads it
    ("1e5", ColumnType.DOUBLE),
    ("1E-5", ColumnType.DOUBLE),
    ("1.", ColumnType.DOUBLE),
    (".5", ColumnType.DOUBLE),
    ("-.5e+3", ColumnType.DOUBLE),
    ("-0.0", ColumnType.DOUBLE),
    ("1e999", ColumnType.DOUBLE),
    ("1e-400", ColumnType.DOUBLE),
    ("NaN", ColumnType.DOUBLE),  # Java's spelling only
    ("-Infinity", ColumnType.DOUBLE),
    ("1d", ColumnType.DOUBLE),  # Java's float/double suffixes
    ("1f", ColumnType.DOUBLE),
    ("1.5D", ColumnType.DOUBLE),
    ("0x1p3", ColumnType.DOUBLE),  # a hexadecimal double needs its binary exponent
    ("0x10", ColumnType.STRING),
    ("nan", ColumnType.STRING),
    ("inf", ColumnType.STRING),
    ("Infinity1", ColumnType.STRING),
    ("1_000", ColumnType.STRING),  # Python's int()/float() accept underscores; Java does not
    ("1,000", ColumnType.STRING),
    ("1e", ColumnType.STRING),
    ("e5", ColumnType.STRING),
    (".", ColumnType.STRING),
    ("+-1", ColumnType.STRING),
    ("--1", ColumnType.STRING),
    ("1..2", ColumnType.STRING),
    ("1 2", ColumnType.STRING),
    ("\u0661\u0662", ColumnType.STRING),  # Arabic-Indic digits: int() reads them, Java does not
    ("\u00b2", ColumnType.STRING),
    ("abc", ColumnType.STRING),
]


def _arrow(values: list[str | None]) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, type=pa.string())])


@pytest.mark.parametrize(("value", "expected"), JAVA_CASES)
def test_the_fast_guess_is_the_exact_guess_and_javas(value: str, expected: str) -> None:
    assert _guess_type([value], FMT) == expected
    assert guess_arrow_type(_arrow([value]), FMT) == expected
    for others in (["1"], ["2.5"], ["-3000000000"], ["x"], [None, "4"]):
        values = [value, *others]
        exact = _guess_type([v for v in values if v is not None], FMT)
        assert guess_arrow_type(_arrow(values), FMT) == exact, values


def _converted(values: list[str | None], col_type: str, arrow: bool) -> tuple[str, object]:
    raw = _RawTable(["c"], None, [_arrow(values) if arrow else values])
    try:
        out, mask = _convert(raw, 0, col_type, FMT)
    except NodeError as exc:
        return "error", str(exc)
    bits = out.view(np.int64).tolist() if out.dtype == np.float64 else out.tolist()  # -0.0 and NaN exactly
    return str(out.dtype), (bits, None if mask is None else mask.tolist())


@pytest.mark.parametrize(
    "col_type", [ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.STRING]
)
@pytest.mark.parametrize(("value", "_"), JAVA_CASES)
def test_the_fast_conversion_is_the_exact_one(value: str, _: str, col_type: str) -> None:
    for values in ([value], [value, None, "12"], [None, value], ["7", value]):
        assert _converted(values, col_type, arrow=True) == _converted(values, col_type, arrow=False), values


def test_arrows_double_cast_rounds_as_python_float() -> None:
    """The vectorised cast is taken only for [0-9+-.eE] values; on those it must give float()'s bits,
    also for long digit strings, halfway cases and subnormals."""
    rng = random.Random(5)
    values = [
        "0.1",
        "9007199254740993",
        "9007199254740993.0000000001",
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "4.9e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "0." + "0" * 330 + "1",
        "1" + "0" * 400,
        "123456789012345678901234567890e-30",
        "-0",
        "+0.",
        ".0e-0",
    ]
    for _ in range(20_000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
        point = rng.randint(0, len(digits))
        text = f"{rng.choice(['', '-', '+'])}{digits[:point]}.{digits[point:]}"
        if rng.random() < 0.5:
            text += f"e{rng.randint(-330, 310)}"
        values.append(text)
    values.append(repr(rng.uniform(-1e300, 1e300)))
    raw = _RawTable(["c"], None, [_arrow(values)])
    out, _ = _convert(raw, 0, ColumnType.DOUBLE, FMT)
    assert _csv_cells._all_match(_arrow(values), _csv_cells._ARROW_DEC)  # the fast path was taken
    expected = [struct.pack("<d", float(v)) for v in values]
    assert [struct.pack("<d", x) for x in out.tolist()] == expected


def _read(tmp_path: Path, text: str, arrow: bool, monkeypatch: pytest.MonkeyPatch, **settings: object):
    path = tmp_path / ("arrow.csv" if arrow else "python.csv")
    path.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr(_csv_source, "_ARROW_MIN_CHARS", 0 if arrow else 1 << 62)
    csv_reader._CONFIGURED.clear()
    s = CsvReaderSettings.model_validate({"file": str(path), **settings})
    columnar = _CsvSource(str(path), s).columnar
    try:
        run = run_node("csv_reader", {"file": str(path), **settings})
    except NodeError as exc:
        return columnar, ("error", str(exc).replace(path.name, "FILE"))
    table = run[1]
    df = table.df
    cells = {
        c: (
            str(df[c].dtype),
            [("nan",) if isinstance(v, float) and math.isnan(v) else v for v in df[c].tolist()],
        )
        for c in df.columns
    }
    return columnar, (list(df.columns), list(df.index), dict(table.types), cells)


TAME = [
    ("plain", "a,b,c\n1,2.5,x\n2,,y\n3,4e3,\n", {}),
    ("crlf and cr", "a,b\r\n1,2\r3,4\r\n\r\n5,6", {}),
    ("blank lines", "\n\na,b\n\n1,x\n\n2,y\n\n", {}),
    ("spaces trimmed", "a , b\n 1 ,\tx y \n2,  \n", {}),
    ("tab delimiter", "a\tb\n1\t x\n2\t\t\n".replace("\t\t", "\t"), {"column_delimiter": "\\t"}),
    ("tame quotes", 'a,b\n"1","x, ""y"""\n2,""\n"3"," z "\n', {}),
    ("quoted line break", 'a,b\n1,"x\ny"\n2,"p\r\nq"\n', {}),
    ("quoted header", '"a","b c"\n1,2\n', {}),
    ("row ids", "id,v\nr1,1\nr2,2.5\n", {"has_row_id": True}),
    ("no header", "1,2\n3,4\n", {"has_column_header": False}),
    (
        "skips and limit",
        "junk\na,b\n1,2\n3,4\n5,6\n7,8\n",
        {"skip_lines": 1, "skip_data_rows": 1, "max_rows": 2},
    ),
    ("hash inside values", "smiles,v\nC#C,1\nC#N,2\n", {}),
    ("long and wide ints", "a,b\n1,3000000000\n2,4\n", {}),
    ("scan limit", "a\n1\n2\nx\n", {"max_data_rows_scanned": 2}),
    ("enforced type", "a,b\n1,2\n3,x\n", {"columns": [{"name": "b", "type": "Integer"}]}),
    ("empty header cells", ",b,\n1,2,3\n", {}),
]

UNTAME = [  # the Python paths read these; the Arrow path must decline them
    ("comment line", "a,b\n#c\n1,2\n", {}),
    ("indented comment", "a,b\n  #c\n1,2\n", {}),
    ("whitespace line", "a,b\n1,2\n \t \n3,4\n", {}),
    ("short row", "a,b\n1,2\n3\n", {}),
    ("short row supported", "a,b\n1,2\n3\n", {"support_short_data_rows": True}),
    ("long row", "a,b\n1,2\n3,4,5\n", {}),
    ("text after a quote", 'a,b\n"1"x,2\n', {}),
    ("space before a quote", 'a,b\n 1, "x"\n', {}),
    ("quote inside a value", 'a,b\nx"y,2\n', {}),
    ("unterminated quote", 'a,b\n1,"x\n2,3\n', {}),
    ("keep quotes", 'a,b\n"1",2\n', {"quote_option": "KEEP_QUOTES"}),
    ("empty quotes kept", 'a,b\n"",2\n', {"replace_empty_quotes_with_missing": False}),
    ("duplicate row ids", "id,v\nr1,1\nr1,2\n", {"has_row_id": True}),
    ("two-character delimiter", "a||b\n1||2\n", {"column_delimiter": "||"}),
    ("byte order mark inside", "junk\n\ufeffa,b\n1,2\n", {"skip_lines": 1}),
]


@pytest.mark.parametrize(("name", "text", "settings"), TAME + UNTAME, ids=[c[0] for c in TAME + UNTAME])
def test_the_arrow_path_reads_as_the_python_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, settings: dict
) -> None:
    arrow_used, fast = _read(tmp_path, text, True, monkeypatch, **settings)
    python_used, exact = _read(tmp_path, text, False, monkeypatch, **settings)
    assert not python_used
    assert arrow_used == (name in {c[0] for c in TAME}), "the Arrow path is taken exactly for the tame files"
    assert fast == exact


def test_conversion_errors_name_the_cell_the_python_path_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of `_BLOCK_ROWS` rows in both paths: the first bad cell is found in the same order."""
    monkeypatch.setattr(_csv_source, "_BLOCK_ROWS", 3)
    monkeypatch.setattr(csv_reader, "_BLOCK_ROWS", 3)
    text = "a,b\n" + "".join(f"{i},{i}\n" for i in range(8)) + "x,1\n1,y\n"
    settings = {"columns": [{"name": "a", "type": "Integer"}, {"name": "b", "type": "Integer"}]}
    arrow_used, fast = _read(
        tmp_path, text.replace("1,y", "1,2").replace("x,1", "x,y"), True, monkeypatch, **settings
    )
    assert arrow_used and fast[0] == "error" and "'x' in row Row8 of column 'a'" in fast[1]
    assert (
        _read(tmp_path, text, True, monkeypatch, **settings)[1]
        == _read(tmp_path, text, False, monkeypatch, **settings)[1]
    )


def test_string_columns_share_their_repeated_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_csv_source, "_ARROW_MIN_CHARS", 0)
    path = tmp_path / "labels.csv"
    path.write_text("label\n" + "".join(f"class {i % 3}\n" for i in range(3000)))
    df = run_node("csv_reader", {"file": str(path)})[1].df
    assert len({id(v) for v in df["label"]}) == 3 and df["label"].tolist()[:4] == [
        "class 0",
        "class 1",
        "class 2",
        "class 0",
    ]


def test_generated_row_ids_are_knimes(tmp_path: Path) -> None:
    assert csv_reader._row_ids(3).tolist() == ["Row0", "Row1", "Row2"]
    many = csv_reader._row_ids(12_345)
    assert many.dtype == object and many.tolist() == [f"Row{i}" for i in range(12_345)]
    assert pd.Index(many).equals(pd.Index([f"Row{i}" for i in range(12_345)], dtype=object))
