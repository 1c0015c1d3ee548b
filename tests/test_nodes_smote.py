"""SMOTE against a line-by-line port of KNIME's Smoter and SmoteNodeModel (written the Java way:
row iteration, a LinkedList with a ListIterator, java.util.Random), plus the properties SMOTE
promises whatever the draws: class counts, new points on segments between same-class rows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, Table
from engine.core.testing import configure_node, run_node
from nodes._java_random import JavaRandom

FACTORY = "org.knime.base.node.mine.smote.SmoteNodeFactory"


# ----------------------------------------------------------------------------- the Java, ported


class _ListIterator:
    """java.util.ListIterator over a Python list (cursor between elements)."""

    def __init__(self, items: list[Any], index: int) -> None:
        self.items, self.cursor, self.last = items, index, -1

    def has_previous(self) -> bool:
        return self.cursor > 0

    def previous(self) -> Any:
        self.cursor -= 1
        self.last = self.cursor
        return self.items[self.cursor]

    def has_next(self) -> bool:
        return self.cursor < len(self.items)

    def next(self) -> Any:
        self.last = self.cursor
        self.cursor += 1
        return self.items[self.last]

    def add(self, item: Any) -> None:
        self.items.insert(self.cursor, item)
        self.cursor += 1
        self.last = -1

    def remove(self) -> None:
        del self.items[self.last]
        if self.last < self.cursor:
            self.cursor -= 1
        self.last = -1


def java_smote(
    rows: list[dict[str, Any]], numeric: list[str], cls: str, method: str, rate: float, knn: int, seed: int
):
    """Smoter/SmoteNodeModel: returns the appended rows as (key, {column: value})."""
    rnd = JavaRandom(seed)
    stats: dict[Any, int] = {}
    for r in rows:
        stats[r[cls]] = stats.get(r[cls], 0) + 1
    out: list[tuple[str, dict[str, Any]]] = []
    counter = [0]

    def distance(a: dict[str, Any], b: dict[str, Any]) -> float:
        d = 0.0
        for c in numeric:
            dis = 0.0 if a[c] is None or b[c] is None else float(a[c]) - float(b[c])
            d += dis * dis
        return math.sqrt(d)

    def insert_into_list(lst: list[tuple[dict, float]], row: dict, dis: float, k: int) -> None:
        it = _ListIterator(lst, len(lst))
        lastdis = math.inf
        while it.has_previous() and lastdis > dis:
            lastdis = it.previous()[1]
        if it.has_next():
            it.next()
        it.add((row, dis))
        if len(lst) <= k:
            return
        it = _ListIterator(lst, k - 1)
        maxdis = math.inf
        if it.has_next():
            maxdis = it.next()[1]
        while it.has_next():
            if it.next()[1] > maxdis:
                it.remove()

    def populate(ref: dict, neighbors: list[dict]) -> None:
        fraction = rnd.nextDouble()
        neigh = neighbors[rnd.nextInt(len(neighbors))] if neighbors else ref
        cells = {}
        for c in ref:
            if c.startswith("__"):
                continue
            if c in numeric:
                f, t = ref[c], neigh[c]
                cells[c] = None if f is None or t is None else float(f) + fraction * (float(t) - float(f))
            else:
                cells[c] = ref[c]
        out.append((ref["__key"] + "dupl_" + str(counter[0]), cells))
        counter[0] += 1

    def smote(name: Any, count: int) -> None:
        orig = stats[name]
        at_least = count // orig
        fixed = [i % orig for i in range(at_least * orig)]
        shuffle_me = list(range(orig))
        i = len(shuffle_me)
        while True:
            i -= 1
            if i < 0:
                break
            index = rnd.nextInt(i + 1)
            shuffle_me[i], shuffle_me[index] = shuffle_me[index], shuffle_me[i]
        indexes = sorted(fixed + shuffle_me[: count - len(fixed)])
        class_counter, pointer = -1, 0
        it = iter(rows)
        while pointer < len(indexes):
            nxt = next(it)
            if nxt[cls] != name:
                continue
            class_counter += 1
            if indexes[pointer] == class_counter:
                lst: list[tuple[dict, float]] = []
                for n in rows:
                    if n[cls] == nxt[cls] and n is not nxt:
                        insert_into_list(lst, n, distance(nxt, n), knn)
                neighbors = [r for r, _ in lst]
                while pointer < len(indexes) and indexes[pointer] == class_counter:
                    populate(nxt, neighbors)
                    pointer += 1

    if method == "oversample_all":
        for name, count in stats.items():
            smote(name, int(count * rate))
    else:
        best, majority = -(2**31), None
        for name, count in stats.items():
            if count > best:
                best, majority = count, name
        for name, count in stats.items():
            smote(name, stats[majority] - count)
    return out


def java_rows(table: Table) -> list[dict[str, Any]]:
    df = table.df
    rows = []
    for key, rec in zip(table.row_ids, df.to_dict("records"), strict=True):
        rows.append({c: (None if pd.isna(v) else v) for c, v in rec.items()} | {"__key": key})
    return rows


# ------------------------------------------------------------------------------------ the tests


def sample(seed: int = 3) -> Table:
    rng = np.random.default_rng(seed)
    n = 40
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n).round(2),  # rounded: ties in distance do occur
            "b": pd.array(rng.integers(0, 4, n), dtype="Int64"),
            "flag": rng.random(n) < 0.5,
            "c": rng.choice(["major", "minor", "rare"], size=n, p=[0.6, 0.3, 0.1]),
            "note": [f"n{i}" for i in range(n)],
        }
    )
    df.loc[[3, 17], "a"] = np.nan
    df.loc[[5], "b"] = pd.NA
    df.loc[[8, 9], ["a", "b", "flag"]] = df.loc[[10], ["a", "b", "flag"]].to_numpy()  # duplicate rows
    types = {"a": ColumnType.DOUBLE, "b": ColumnType.INTEGER, "flag": ColumnType.BOOLEAN}
    return Table.from_frame(df, types | {"c": ColumnType.STRING, "note": ColumnType.STRING})


@pytest.mark.parametrize(
    ("method", "rate", "knn", "seed"),
    [
        ("oversample_equal", 2.0, 5, 42),
        ("oversample_all", 1.7, 3, -7),
        ("oversample_all", 0.5, 1, 1234567890123),
        ("oversample_equal", 2.0, 20, 0),
    ],
)
def test_rows_equal_the_java_port(method: str, rate: float, knn: int, seed: int) -> None:
    table = sample()
    settings = {"class": "c", "method": method, "rate": rate, "kNN": knn, "seed": seed}
    out = run_node("smote", settings, table).df()
    expected = java_smote(java_rows(table), ["a", "b", "flag"], "c", method, rate, knn, seed)
    new = out.iloc[len(table) :]
    assert list(new.index) == [key for key, _ in expected]
    for (_, cells), (_, row) in zip(expected, new.iterrows(), strict=True):
        for c, v in cells.items():
            if v is None:
                assert pd.isna(row[c]), c
            else:
                assert row[c] == v, c  # bit for bit


def test_class_counts_and_segments() -> None:
    table = sample()
    out = run_node("smote", {"class": "c", "method": "oversample_equal", "kNN": 4, "seed": 9}, table).df()
    counts = out["c"].value_counts()
    assert counts.nunique() == 1 and counts.iloc[0] == table.df["c"].value_counts().max()
    original = out.iloc[: len(table)]
    assert (
        list(original.index) == list(table.row_ids) and original["note"].tolist() == table.df["note"].tolist()
    )
    full = table.df.dropna(subset=["a", "b"])
    for rid, row in out.iloc[len(table) :].iterrows():
        ref = table.df.loc[rid.split("dupl_")[0]]
        assert row["c"] == ref["c"] and row["note"] == ref["note"]
        if pd.isna(row["a"]) or pd.isna(row["b"]):
            continue
        same = full[full["c"] == ref["c"]]
        start = np.array([ref["a"], ref["b"], ref["flag"]], dtype=float)
        ends = same[["a", "b", "flag"]].to_numpy(dtype=float)
        # some same-class row t with new = start + f (t - start) for one f in [0, 1)
        point = np.array([row["a"], row["b"], row["flag"]])
        on_segment = False
        for end in ends:
            direction = end - start
            if not direction.any():
                on_segment |= np.allclose(point, start)
                continue
            f = np.dot(point - start, direction) / np.dot(direction, direction)
            on_segment |= 0 <= f < 1 and np.allclose(start + f * direction, point, atol=1e-12)
        assert on_segment, rid


def test_rate_counts_and_types() -> None:
    table = sample()
    run = run_node("smote", {"class": "c", "rate": 1.5, "seed": 1}, table)
    before = table.df["c"].value_counts()
    after = run.df()["c"].value_counts()
    for cls, n in before.items():
        assert after[cls] == n + int(n * 1.5)
    assert [c.type for c in run.specs[0].columns] == [
        ColumnType.DOUBLE,
        ColumnType.DOUBLE,
        ColumnType.DOUBLE,
        ColumnType.STRING,
        ColumnType.STRING,
    ]
    assert run.df()["flag"].iloc[: len(table)].tolist() == table.df["flag"].astype(float).tolist()


def test_seed_reproduces_and_differs() -> None:
    table = sample()
    a = run_node("smote", {"class": "c", "seed": 5}, table).df()
    b = run_node("smote", {"class": "c", "seed": 5}, table).df()
    c = run_node("smote", {"class": "c", "seed": 6}, table).df()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_single_row_class_copies_itself() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "a", "b"]})
    out = run_node("smote", {"class": "c", "method": "oversample_equal", "seed": 2}, df).df()
    assert out.loc["Row2dupl_0", "x"] == 3.0 and out.loc["Row2dupl_0", "c"] == "b"


def test_configure_errors() -> None:
    spec = Table.from_frame(pd.DataFrame({"s": ["a"], "c": ["x"]})).spec
    with pytest.raises(ConfigureError, match="No double column"):
        configure_node("smote", {"class": "c"}, spec)
    with pytest.raises(ConfigureError, match="No such column: nope"):
        configure_node("smote", {"class": "nope"}, sample().spec)


def test_fragment(tmp_path) -> None:
    model = {"method": "oversample_equal", "rate": 2.0, "class": "c", "kNN": 7, "seed": "1684312345678"}
    type_name, settings, found = import_node(tmp_path, FACTORY, model)
    assert type_name == "smote" and found == []
    assert settings["class_column"] == "c" and settings["kNN"] == 7 and settings["seed"] == 1684312345678
    assert settings["method"] == "oversample_equal"
    unseeded = {"method": "oversample_all", "rate": 3.5, "class": "c", "kNN": 5, "seed": None}
    _, settings, found = import_node(tmp_path, FACTORY, unseeded)
    assert found == [] and settings["seed"] is None and settings["rate"] == 3.5
