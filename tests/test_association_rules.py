"""Association Rule Learner: itemsets and rules checked against a brute-force enumeration of all
subsets (supports, closed / maximal sets, single-consequent rules from the closed sets), KNIME's
row order and HashSet item order, missing transactions, collection input, and its KNIME mapping
(the keys of real SubgroupMinerFactory2 settings.xml files)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, Table
from engine.core.testing import run_node
from nodes._bitvector import BitVectorArray

FACTORY = "org.knime.base.node.mine.subgroupminer.SubgroupMinerFactory2"
# five baskets over items 0 bread, 1 milk, 2 diapers, 3 beer
BASKETS = np.array([[1, 1, 0, 0], [1, 0, 1, 1], [0, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 0]], dtype=bool)


def bit_table(bits: np.ndarray, missing: list[bool] | None = None) -> pd.DataFrame:
    mask = None if missing is None else np.array(missing)
    return pd.DataFrame({"basket": pd.Series(BitVectorArray.from_bits(bits, mask)), "n": range(len(bits))})


def brute_force(bits: np.ndarray, min_support: float, max_len: int) -> list[tuple[tuple[int, ...], float]]:
    """Every itemset of at most `max_len` items whose share of the rows reaches `min_support`,
    in lexicographic order (the depth-first order of KNIME's prefix tree)."""
    n, width = bits.shape
    found = []
    for size in range(1, max_len + 1):
        for items in combinations(range(width), size):
            count = int(bits[:, list(items)].all(axis=1).sum())
            if count / n >= min_support:
                found.append((items, count / n))
    return sorted(found)


def closed_of(sets: list[tuple[tuple[int, ...], float]]) -> list[tuple[tuple[int, ...], float]]:
    ordered = sorted(sets, key=lambda s: (s[1], len(s[0])))  # stable, as Collections.sort
    return [
        (items, sup)
        for items, sup in ordered
        if not any(set(items) < set(other) and sup == other_sup for other, other_sup in sets)
    ]


def maximal_of(closed: list[tuple[tuple[int, ...], float]]) -> list[tuple[tuple[int, ...], float]]:
    return [(items, sup) for items, sup in closed if not any(set(items) < set(o) for o, _ in closed)]


def java_string_hash(text: str) -> int:
    return sum(ord(ch) * 31 ** (len(text) - 1 - k) for k, ch in enumerate(text)) % 2**32


def hash_set_order(names: list[str]) -> tuple[str, ...]:
    """java.util.HashSet iteration order for a few strings (capacity 16)."""
    bucket = {n: (java_string_hash(n) ^ (java_string_hash(n) >> 16)) & 15 for n in names}
    return tuple(sorted(names, key=bucket.__getitem__))


def names(items: tuple[int, ...], prefix: str) -> frozenset[str]:
    return frozenset(f"{prefix}{i}" for i in items)


@pytest.mark.parametrize(
    ("itemset_type", "min_support", "max_len"),
    [("FREE", 0.4, 10), ("CLOSED", 0.4, 10), ("MAXIMAL", 0.4, 10), ("CLOSED", 0.4, 2), ("FREE", 0.6, 1)],
)
def test_itemsets_match_brute_force(itemset_type: str, min_support: float, max_len: int) -> None:
    settings = {"MIN_SUPPORT": min_support, "ITEMSET_TYPE": itemset_type, "MAX_ITEMSET_LENGTH": max_len}
    out = run_node("association_rule_learner", settings, bit_table(BASKETS))[1]
    expected = brute_force(BASKETS, min_support, max_len)
    if itemset_type != "FREE":
        expected = closed_of(expected)
    if itemset_type == "MAXIMAL":
        expected = maximal_of(expected)
    assert out.columns == ["Support(0-1):", "Items"]
    assert out.types["Items"] == "Set of String"
    assert out.row_ids == [f"item set {k}" for k in range(len(expected))]
    assert [frozenset(cell) for cell in out.df["Items"]] == [names(items, "item") for items, _ in expected]
    assert out.df["Support(0-1):"].tolist() == pytest.approx([sup for _, sup in expected])


def test_closed_and_maximal_by_hand() -> None:
    """Support >= 0.4 (2 of 5 baskets): {beer} (0.6) hides behind {diapers, beer} (0.6), {bread,
    beer} (0.4) behind {bread, diapers, beer}; the three triples are the maximal sets."""
    closed = run_node("association_rule_learner", {"MIN_SUPPORT": 0.4}, bit_table(BASKETS))[1]
    sets = [frozenset(c) for c in closed.df["Items"]]
    assert frozenset({"item3"}) not in sets and frozenset({"item0", "item3"}) not in sets
    assert frozenset({"item2", "item3"}) in sets and len(sets) == 10
    maximal = run_node(
        "association_rule_learner", {"MIN_SUPPORT": 0.4, "ITEMSET_TYPE": "MAXIMAL"}, bit_table(BASKETS)
    )[1]
    assert maximal.df["Items"].tolist() == [
        hash_set_order(["item0", "item1", "item2"]),
        hash_set_order(["item0", "item2", "item3"]),
        hash_set_order(["item1", "item2", "item3"]),
    ]
    assert maximal.df["Support(0-1):"].tolist() == [0.4, 0.4, 0.4]


@pytest.mark.parametrize("confidence", [0.6, 0.7, 0.8, 1.0])
def test_rules_come_from_closed_itemsets(confidence: float) -> None:
    settings = {"MIN_SUPPORT": 0.4, "ASSOCIATION_RULES": True, "CONFIDENCE": confidence}
    out = run_node("association_rule_learner", settings, bit_table(BASKETS))[1]
    frequent = brute_force(BASKETS, 0.4, 10)
    support = dict(frequent)
    expected = []
    for items, sup in closed_of(frequent):
        for item in items if len(items) > 1 else ():
            rest = tuple(i for i in items if i != item)
            if sup / support[rest] >= confidence:
                lift = sup / support[rest] / support[(item,)]
                expected.append((sup, sup / support[rest], lift, f"Item{item}", names(rest, "Item")))
    assert out.columns == ["Support", "Confidence", "Lift", "Consequent", "implies", "Items"]
    assert out.row_ids == [f"rule{k}" for k in range(len(expected))]
    got = list(
        zip(
            out.df["Support"],
            out.df["Confidence"],
            out.df["Lift"],
            out.df["Consequent"],
            [frozenset(c) for c in out.df["Items"]],
            strict=True,
        )
    )
    assert [g[3:] for g in got] == [e[3:] for e in expected]
    assert np.allclose([g[:3] for g in got], [e[:3] for e in expected]) if expected else got == []
    assert set(out.df["implies"]) <= {"<---"}


def test_rule_values_by_hand() -> None:
    """{bread, beer} => diapers: support 2/5, confidence (2/5) / (2/5) = 1, lift 1 / (4/5) = 1.25;
    beer => bread (confidence 2/3) is missing: {bread, beer} is not closed."""
    settings = {"MIN_SUPPORT": 0.4, "ASSOCIATION_RULES": True, "CONFIDENCE": 0.6}
    df = run_node("association_rule_learner", settings, bit_table(BASKETS))[1].df
    rows = {
        (c, frozenset(items)): r for c, items, r in zip(df["Consequent"], df["Items"], df.index, strict=True)
    }
    rule = df.loc[rows[("Item2", frozenset({"Item0", "Item3"}))]]
    assert (rule["Support"], rule["Confidence"], rule["Lift"]) == pytest.approx((0.4, 1.0, 1.25))
    assert rule["Items"] == hash_set_order(["Item0", "Item3"])
    assert ("Item0", frozenset({"Item3"})) not in rows
    milk = df.loc[rows[("Item1", frozenset({"Item0"}))]]
    assert (milk["Support"], milk["Confidence"], milk["Lift"]) == pytest.approx((0.6, 0.75, 0.9375))


def test_random_transactions_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    bits = rng.random((40, 7)) < 0.55
    for min_support, max_len in [(0.2, 10), (0.3, 3), (0.5, 2)]:
        out = run_node(
            "association_rule_learner",
            {"MIN_SUPPORT": min_support, "ITEMSET_TYPE": "FREE", "MAX_ITEMSET_LENGTH": max_len},
            bit_table(bits),
        )[1]
        expected = brute_force(bits, min_support, max_len)
        assert [frozenset(c) for c in out.df["Items"]] == [names(i, "item") for i, _ in expected]
        assert out.df["Support(0-1):"].tolist() == pytest.approx([s for _, s in expected])


def test_missing_transactions_are_left_out() -> None:
    """A missing vector is no transaction (4 remain); an empty one is (support 2/5, not 2/4)."""
    bits = np.array([[1, 1], [1, 0], [0, 0], [1, 1], [1, 1]], dtype=bool)
    out = run_node(
        "association_rule_learner",
        {"MIN_SUPPORT": 0.5, "ITEMSET_TYPE": "FREE"},
        bit_table(bits, [False, False, False, True, False]),
    )[1]
    assert [frozenset(c) for c in out.df["Items"]] == [{"item0"}, {"item0", "item1"}, {"item1"}]
    assert out.df["Support(0-1):"].tolist() == [0.75, 0.5, 0.5]
    nothing = run_node("association_rule_learner", {"MIN_SUPPORT": 0.5}, bit_table(bits[:1], [True]))[1]
    assert len(nothing) == 0 and nothing.columns == ["Support(0-1):", "Items"]


def test_collection_transactions_name_the_items() -> None:
    baskets = [("bread", "milk"), ("bread", "beer"), None, ("milk", "bread", "beer"), ()]
    table = Table.from_frame(
        pd.DataFrame({"basket": pd.Series(baskets, dtype=object)}),
        {"basket": ColumnType.set_of(ColumnType.STRING)},
    )
    settings = {"MIN_SUPPORT": 0.5, "ASSOCIATION_RULES": True, "CONFIDENCE": 0.5}
    out = run_node("association_rule_learner", settings, table)[1]
    # 4 transactions: bread 3, milk 2, beer 2, {bread, milk} 2, {bread, beer} 2 (all closed)
    assert out.types["Consequent"] == "String" and out.types["Items"] == "Set of String"
    got = {
        (c, items[0]): (s, conf, lift)
        for s, conf, lift, c, _, items in out.df.itertuples(index=False, name=None)
    }
    expected = {
        ("bread", "milk"): (0.5, 1.0, 1 / 0.75),
        ("milk", "bread"): (0.5, 2 / 3, (2 / 3) / 0.5),
        ("bread", "beer"): (0.5, 1.0, 1 / 0.75),
        ("beer", "bread"): (0.5, 2 / 3, (2 / 3) / 0.5),
    }
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(v) for k, v in expected.items())
    numbers = Table.from_frame(
        pd.DataFrame({"ids": pd.Series([(20, 3), (20,), (3, 20)], dtype=object)}),
        {"ids": ColumnType.list_of(ColumnType.INTEGER)},
    )
    sets = run_node("association_rule_learner", {"MIN_SUPPORT": 0.6, "ITEMSET_TYPE": "FREE"}, numbers)[1]
    # items by first appearance (20, then 3); IntCell's hash is its value: bucket 3 comes before bucket 4
    assert sets.df["Items"].tolist() == [(20,), (3, 20), (3,)]
    assert sets.types["Items"] == "Set of Integer"


def test_configure_errors() -> None:
    with pytest.raises(ConfigureError, match="Expecting at least one column containing transactions"):
        run_node("association_rule_learner", {}, pd.DataFrame({"n": [1, 2]}))
    with pytest.raises(ConfigureError, match="Set the column with the transactions"):
        run_node("association_rule_learner", {"TRANSACTION_COLUMN": "nope"}, bit_table(BASKETS))
    with pytest.raises(ConfigureError, match="not a possible transaction"):
        run_node("association_rule_learner", {"TRANSACTION_COLUMN": "n"}, bit_table(BASKETS))


def test_imports_real_settings_layouts(tmp_path: Path) -> None:
    rules = {  # Association Rule Learner (#255), KNIME 3.5
        "TRANSACTION_COLUMN": "basket",
        "MIN_SUPPORT": 0.14,
        "UNDERLYING_STRUCT": "ARRAY",
        "ITEMSET_TYPE": "CLOSED",
        "MAX_ITEMSET_LENGTH": 10,
        "ASSOCIATION_RULES": True,
        "CONFIDENCE": 0.8,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, rules)
    assert node.type == "association_rule_learner" and findings(report) == []
    assert node.settings["MIN_SUPPORT"] == 0.14 and node.settings["ASSOCIATION_RULES"] is True
    out = run_node("association_rule_learner", node.settings, bit_table(BASKETS))[1]
    assert out.columns == ["Support", "Confidence", "Lift", "Consequent", "implies", "Items"]
    itemsets = {**rules, "MIN_SUPPORT": 0.5, "ITEMSET_TYPE": "MAXIMAL", "ASSOCIATION_RULES": False}
    node, report, _ = import_fragment(tmp_path, FACTORY, itemsets)  # (#45), KNIME 4.1
    assert findings(report) == [] and node.settings["ITEMSET_TYPE"] == "MAXIMAL"


def test_tid_list_is_a_finding(tmp_path: Path) -> None:
    model = {
        "TRANSACTION_COLUMN": "basket",
        "MIN_SUPPORT": 0.5,
        "UNDERLYING_STRUCT": "TIDList",
        "ITEMSET_TYPE": "FREE",
        "MAX_ITEMSET_LENGTH": 10,
        "ASSOCIATION_RULES": False,
        "CONFIDENCE": 0.8,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert any("UNDERLYING_STRUCT" in f and "TIDList" in f for f in findings(report))
    assert node.settings.get("UNDERLYING_STRUCT", "ARRAY") == "ARRAY"
