"""Association Rule Learner: KNIME's apriori over bit-vector or collection transactions.

KNIME's ARRAY data structure (ArrayApriori) builds a prefix tree level by level: an itemset is
frequent when (transactions holding it) / (transactions) >= the minimum support, the divisor
counting every row whose transaction cell is not missing. Only itemsets of at most the maximal
length are counted. Closed sets are those without a listed superset of equal support, maximal
ones those without a closed superset. Rules always come from the closed itemsets (whatever the
itemset type): each closed set S of two or more items gives, for each item i, the rule
S - {i} => i when support(S) / support(S - {i}) reaches the confidence; lift is confidence /
support({i}). A bit position names its item (`item<i>` in itemsets, `Item<i>` in rules: knitflow's
bit vectors carry no element names); a collection's elements are the items themselves.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._bitvector import BitVectorArray, BitVectorDtype
from nodes._column_types import typed_column
from nodes._common import spec_or_none
from nodes._java_hash import MASK32, capacity_after_puts, hash_order, string_hash_code
from nodes._rows import is_missing

_ITEMSET_TYPES = ("CLOSED", "FREE", "MAXIMAL")
_SUPPORT_OF_ITEMSET = "Support(0-1):"
_IMPLIES = "<---"
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF
_JAVA_NAN_BITS = 0x7FF8_0000_0000_0000


class AssociationRuleLearnerSettings(NodeSettings):
    """KNIME's SubgroupMinerModel2 settings."""

    TRANSACTION_COLUMN: str | None = Field(
        None,
        description="The bit-vector or collection column holding the transactions; empty: the first such column.",
        json_schema_extra=widget("column"),
    )
    MIN_SUPPORT: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        description="An itemset is frequent when this share of the transactions (or more) holds it.",
    )
    UNDERLYING_STRUCT: Literal["ARRAY"] = Field(
        "ARRAY",
        description="KNIME's data structure; knitflow mines with the ARRAY prefix tree (KNIME's TID list "
        "gives other results and is not available).",
    )
    ITEMSET_TYPE: Literal["CLOSED", "FREE", "MAXIMAL"] = Field(
        "CLOSED",
        description="Itemsets to output: all frequent ones (FREE), those without a superset of equal support "
        "(CLOSED) or without a frequent superset (MAXIMAL). Rules are always made from the closed ones.",
    )
    MAX_ITEMSET_LENGTH: int = Field(10, ge=1, description="Longest itemset counted.")
    ASSOCIATION_RULES: bool = Field(
        False, description="Output association rules (one item as consequent) instead of itemsets."
    )
    CONFIDENCE: float = Field(
        0.8, ge=0.0, le=1.0, description="Minimum confidence of a rule: support(rule) / support(antecedent)."
    )


def _association_rules_from_knime(knime: KnimeSettings) -> None:
    """SubgroupMinerFactory2 (SettingsModel keys, unchanged by the 5.x web dialog)."""
    knime.take_all(
        ["TRANSACTION_COLUMN", "MIN_SUPPORT", "MAX_ITEMSET_LENGTH", "ASSOCIATION_RULES", "CONFIDENCE"]
    )
    itemset_type = knime.get("ITEMSET_TYPE", "CLOSED")
    if itemset_type in _ITEMSET_TYPES:
        knime.put("ITEMSET_TYPE", itemset_type, "ITEMSET_TYPE")
    else:
        knime.lost(f"ITEMSET_TYPE = {itemset_type!r} is not known; knitflow outputs closed itemsets")
    structure = knime.get("UNDERLYING_STRUCT", "ARRAY")
    if structure == "ARRAY":
        knime.put("UNDERLYING_STRUCT", "ARRAY", "UNDERLYING_STRUCT")
    else:
        knime.lost(
            f"UNDERLYING_STRUCT = {structure!r}: KNIME's TID-list apriori lists other itemsets, in another "
            "order, than its ARRAY prefix tree, the only one knitflow has"
        )
    knime.unread("ITEMSET_TYPE", "UNDERLYING_STRUCT")


# ------------------------------------------------------------------------------ the prefix tree


@dataclass(eq=False)
class _PrefixNode:
    """ArrayPrefixTreeNode: `counts[j]` holds how many transactions contain `items` plus item j
    (compressed ids; only j after the last of `items` is counted), zeros until counted."""

    items: tuple[int, ...]
    parent: _PrefixNode | None
    counts: np.ndarray
    children: dict[int, _PrefixNode] = field(default_factory=dict)

    @property
    def first_child(self) -> int:
        return self.items[-1] + 1 if self.items else 0


@dataclass(frozen=True, eq=False)
class _ItemSet:
    items: tuple[int, ...]  # original item ids, ascending
    support: float


@dataclass(frozen=True)
class _Rule:
    support: float
    confidence: float
    lift: float
    consequent: int
    antecedent: tuple[int, ...]


def _java_divide(a: float, b: float) -> float:
    """Java's double division of non-negative numbers: 0/0 is NaN, x/0 infinite."""
    if b == 0:
        return float("nan") if a == 0 else float("inf")
    return a / b


class _ArrayApriori:
    """KNIME's ArrayApriori, step by step: the item filter, the level-wise prefix tree with its
    pruning, the depth-first listing and the support look-up along tree paths. Counting is done
    per tree node over the rows holding its prefix, which gives ArrayApriori's counters."""

    def __init__(self, bits: np.ndarray, min_support: float, max_depth: int) -> None:
        self.db = bits.shape[0]
        self.min_support = min_support
        n_items = bits.shape[1]
        # KNIME counts one item more than the vectors are long (it is never set, so it only
        # becomes "frequent" at a minimum support of 0)
        item_counts = np.zeros(n_items + 1, dtype=np.int64)
        item_counts[:n_items] = bits.sum(axis=0)
        self.backward = np.flatnonzero(item_counts / self.db >= min_support)
        self.mapping = {int(original): c for c, original in enumerate(self.backward)}
        padded = np.zeros((self.db, n_items + 1), dtype=bool)
        padded[:, :n_items] = bits
        self.bits = padded[:, self.backward]
        self.width = len(self.backward)
        self.root = _PrefixNode((), None, np.zeros(self.width, dtype=np.int64))
        self._build(max(max_depth, 1))

    def _frequent(self, counts: np.ndarray) -> np.ndarray:
        return np.asarray(counts / self.db >= self.min_support)

    def _build(self, max_depth: int) -> None:
        """findFrequentItemSets: count one level, create the next; stop when no child was
        created or `max_depth` levels are counted (the last children stay uncounted)."""
        level: list[tuple[_PrefixNode, np.ndarray]] = [(self.root, np.arange(self.db))]
        built = 0
        while True:
            for node, rows in level:
                node.counts = self.bits[rows].sum(axis=0, dtype=np.int64)
                node.counts[: node.first_child] = 0
            created = [child for node, rows in level for child in self._create_children(node, rows)]
            built += 1
            if not created or built >= max_depth:
                return
            level = [(child, rows[self.bits[rows, child.items[-1]]]) for child, rows in created]

    def _create_children(self, node: _PrefixNode, rows: np.ndarray) -> list[tuple[_PrefixNode, np.ndarray]]:
        """createChildren at the built level: a child for each frequent item but the last, unless
        the sibling subtree for that item has no frequent counter from it on (early pruning)."""
        start = node.first_child
        frequent = np.flatnonzero(self._frequent(node.counts[start : self.width - 1])) + start
        out = []
        for item in map(int, frequent):
            if self._pruned(node, item):
                continue
            child = _PrefixNode(node.items + (item,), node, np.zeros(self.width, dtype=np.int64))
            node.children[item] = child
            out.append((child, rows))
        return out

    def _pruned(self, node: _PrefixNode, item: int) -> bool:
        if node.parent is None:
            return False
        sibling = node.parent.children.get(item)
        return sibling is not None and not self._frequent(sibling.counts[item:]).any()

    def frequent_itemsets(self) -> list[_ItemSet]:
        """getFrequentItemSets(FREE): depth first, items in ascending order."""
        out: list[_ItemSet] = []
        self._collect(self.root, out)
        return out

    def _collect(self, node: _PrefixNode, out: list[_ItemSet]) -> None:
        start = node.first_child
        prefix = tuple(int(self.backward[c]) for c in node.items)
        for item in map(int, np.flatnonzero(self._frequent(node.counts[start:])) + start):
            out.append(_ItemSet(prefix + (int(self.backward[item]),), int(node.counts[item]) / self.db))
            child = node.children.get(item)
            if child is not None:
                self._collect(child, out)

    def support_of(self, items: tuple[int, ...]) -> float:
        """getSupportFor: the counter of the last item on the path of `items`."""
        node: _PrefixNode | None = self.root
        count = 0
        for item in items:
            if node is None:
                raise NodeError("KNIME's prefix tree has no node for this itemset (NullPointerException)")
            compressed = self.mapping[item]
            count = int(node.counts[compressed])
            node = node.children.get(compressed)
        return count / self.db

    def rules(self, confidence: float) -> list[_Rule]:
        """getAssociationRules: from each closed set of two or more items, one rule per item."""
        rules = []
        for itemset in closed_itemsets(self.frequent_itemsets()):
            if len(itemset.items) < 2:
                continue
            for item in itemset.items:
                antecedent = tuple(i for i in itemset.items if i != item)
                rule_confidence = _java_divide(itemset.support, self.support_of(antecedent))
                if rule_confidence >= confidence:
                    lift = _java_divide(rule_confidence, self.support_of((item,)))
                    rules.append(_Rule(itemset.support, rule_confidence, lift, item, antecedent))
        return rules


def closed_itemsets(itemsets: list[_ItemSet]) -> list[_ItemSet]:
    """filterClosedItemsets: sorted (stably) by support, then size; a set is dropped when a later
    one of equal support contains it."""
    ordered = sorted(itemsets, key=lambda s: (s.support, len(s.items)))
    members = [frozenset(s.items) for s in ordered]
    closed = []
    for k, itemset in enumerate(ordered):
        superset = False
        for later in range(k + 1, len(ordered)):
            if ordered[later].support != itemset.support:
                break
            if members[k] <= members[later]:
                superset = True
                break
        if not superset:
            closed.append(itemset)
    return closed


def maximal_itemsets(closed: list[_ItemSet]) -> list[_ItemSet]:
    """filterMaximalItemsets: the closed sets no other closed set contains."""
    members = [frozenset(s.items) for s in closed]
    return [
        itemset
        for k, itemset in enumerate(closed)
        if not any(j != k and members[k] <= other for j, other in enumerate(members))
    ]


# ---------------------------------------------------------------------------- items and their order


def _java_hash(value: Any, element_type: str) -> int | None:
    """hashCode of the KNIME cell holding `value` (StringCell, IntCell, LongCell, DoubleCell,
    BooleanCell, a missing cell), as an unsigned 32-bit number; None for other cells."""
    if value is None:
        return 0
    if isinstance(value, bool | np.bool_):
        return 1 if value else 0
    if isinstance(value, int | np.integer):
        number = int(value) & _MASK64
        return ((number ^ (number >> 32)) if element_type == ColumnType.LONG else number) & MASK32
    if isinstance(value, float | np.floating):
        real = float(value)
        # doubleToLongBits: every NaN is 0x7ff8000000000000
        bits = _JAVA_NAN_BITS if real != real else struct.unpack(">Q", struct.pack(">d", real))[0]
        return (bits ^ (bits >> 32)) & MASK32
    if isinstance(value, str):
        return string_hash_code(value)
    return None


def _hash_set(cells: list[Any], element_type: str) -> tuple[Any, ...] | None:
    """The order of a java.util.HashSet<DataCell> filled with `cells` (KNIME copies it into the
    SetCell): by bucket of the spread hash code, then by arrival. None when a cell's hash code is
    not known."""
    distinct = list(dict.fromkeys(cells))
    hashes = [_java_hash(c, element_type) for c in distinct]
    if any(h is None for h in hashes):
        return None
    order = hash_order(range(len(distinct)), lambda k: hashes[k] or 0, capacity_after_puts(len(distinct)))
    return tuple(distinct[k] for k in order)


@dataclass
class _Transactions:
    """The transactions as a 0/1 matrix, the item names (a collection's cells in first-seen
    order; none for bit vectors) and their KNIME type."""

    bits: np.ndarray
    names: list[Any]
    element_type: str
    unordered: bool = False  # a Set cell's order could not be reproduced

    def name(self, item: int, prefix: str) -> Any:
        return self.names[item] if item < len(self.names) else f"{prefix}{item}"

    def item_set(self, items: tuple[int, ...], prefix: str) -> tuple[Any, ...]:
        cells = [self.name(i, prefix) for i in items]
        ordered = _hash_set(cells, self.element_type)
        if ordered is None:
            self.unordered = True
            return tuple(dict.fromkeys(cells))
        return ordered


def _bit_vector_transactions(column: pd.Series) -> _Transactions:
    values = column.array
    if not isinstance(values, BitVectorArray):
        values = pd.array(list(column), dtype=BitVectorDtype())
    present = ~np.asarray(values.mask, dtype=bool)
    bits = np.unpackbits(values.packed[present], axis=1, count=values.n_bits, bitorder="little")
    return _Transactions(bits.astype(bool), [], ColumnType.STRING)


def _collection_transactions(column: pd.Series, element_type: str) -> _Transactions:
    """preprocessCollCells: items numbered by first appearance, missing transactions skipped."""
    ids: dict[Any, int] = {}
    rows: list[list[int]] = []
    for cell in column.to_numpy(dtype=object):
        if is_missing(cell):
            continue
        items = []
        for value in cell:
            value = None if is_missing(value) else value
            key = (type(value) is bool, value)
            items.append(ids.setdefault(key, len(ids)))
        rows.append(items)
    bits = np.zeros((len(rows), len(ids)), dtype=bool)
    for r, items in enumerate(rows):
        bits[r, items] = True
    return _Transactions(bits, [value for _, value in ids], element_type)


# ------------------------------------------------------------------------------------------ the node


def _element_type(col_type: str) -> str:
    """The type of one item: a collection's element type, else String (bit positions)."""
    return ColumnType.element_of(col_type) if ColumnType.collection_kind(col_type) else ColumnType.STRING


def _set_type(element: str) -> str:
    return ColumnType.SET if element == ColumnType.UNKNOWN else ColumnType.set_of(element)


def _is_transaction_type(col_type: str) -> bool:
    return col_type == ColumnType.BIT_VECTOR or ColumnType.collection_kind(col_type) is not None


class AssociationRuleLearner(Node):
    type_name = "association_rule_learner"
    display_name = "Association Rule Learner"
    category = Category.LEARNER
    description = (
        "Finds the frequent itemsets of transactions (a bit-vector or collection column) with KNIME's apriori "
        "prefix tree: all, closed or maximal sets up to a maximal length, with their support; or association "
        "rules with one consequent, made from the closed sets, with support, confidence and lift."
    )
    keywords = ("association rules", "apriori", "frequent itemsets", "market basket", "support", "lift")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.subgroupminer.SubgroupMinerFactory2",
            "Association Rule Learner",
            _association_rules_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Transactions", "Table with a bit-vector or collection column"),)
    outputs = (Port(TABLE, "Frequent itemsets/Association rules"),)
    Settings = AssociationRuleLearnerSettings

    def _column(self, spec: TableSpec, settings: AssociationRuleLearnerSettings, cls: type[NodeError]) -> str:
        """SubgroupMinerModel2.configure: an empty choice takes the first transaction column."""
        candidates = [c.name for c in spec.columns if _is_transaction_type(c.type)]
        if not candidates:
            raise cls(
                "Expecting at least one column containing transactions,(BitVectors or CollectionCells)",
                setting="TRANSACTION_COLUMN",
            )
        column = settings.TRANSACTION_COLUMN or candidates[0]
        if column not in spec:
            raise cls("Set the column with the transactions", setting="TRANSACTION_COLUMN")
        if not _is_transaction_type(spec.type_of(column)):
            raise cls("Selected column is not a possible transaction", setting="TRANSACTION_COLUMN")
        return column

    def _out_spec(self, col_type: str, settings: AssociationRuleLearnerSettings) -> TableSpec:
        element = _element_type(col_type)
        if settings.ASSOCIATION_RULES:
            return TableSpec.of(
                [
                    ("Support", ColumnType.DOUBLE),
                    ("Confidence", ColumnType.DOUBLE),
                    ("Lift", ColumnType.DOUBLE),
                ]
                + [("Consequent", element), ("implies", ColumnType.STRING), ("Items", _set_type(element))]
            )
        return TableSpec.of([(_SUPPORT_OF_ITEMSET, ColumnType.DOUBLE), ("Items", _set_type(element))])

    def configure(
        self, in_specs: list[Any], settings: AssociationRuleLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        column = self._column(spec, settings, ConfigureError)
        return [self._out_spec(spec.type_of(column), settings)]

    def execute(
        self, inputs: list[Any], settings: AssociationRuleLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        column = self._column(table.spec, settings, NodeError)
        if (
            not settings.TRANSACTION_COLUMN
            and sum(_is_transaction_type(c.type) for c in table.spec.columns) > 1
        ):
            ctx.warn(f"Auto-guessed the transaction column: {column}")
        col_type = table.spec.type_of(column)
        if col_type == ColumnType.BIT_VECTOR:
            transactions = _bit_vector_transactions(table.df[column])
        else:
            transactions = _collection_transactions(table.df[column], _element_type(col_type))
        out_spec = self._out_spec(col_type, settings)
        row_prefix = "rule" if settings.ASSOCIATION_RULES else "item set "
        if len(transactions.bits) == 0:  # KNIME's supports are then 0/0: nothing is frequent
            return [self._table({}, out_spec, row_prefix)]
        apriori = _ArrayApriori(transactions.bits, settings.MIN_SUPPORT, settings.MAX_ITEMSET_LENGTH)
        if settings.ASSOCIATION_RULES:
            columns = self._rules_columns(apriori.rules(settings.CONFIDENCE), transactions)
        else:
            columns = self._itemsets_columns(self._itemsets(apriori, settings), transactions)
        if transactions.unordered:
            ctx.log(
                "the items of a Set cell keep their first-seen order (KNIME's HashSet order is not known)"
            )
        return [self._table(columns, out_spec, row_prefix)]

    @staticmethod
    def _itemsets(apriori: _ArrayApriori, settings: AssociationRuleLearnerSettings) -> list[_ItemSet]:
        itemsets = apriori.frequent_itemsets()
        if settings.ITEMSET_TYPE == "FREE":
            return itemsets
        closed = closed_itemsets(itemsets)
        return closed if settings.ITEMSET_TYPE == "CLOSED" else maximal_itemsets(closed)

    @staticmethod
    def _itemsets_columns(itemsets: list[_ItemSet], transactions: _Transactions) -> dict[str, list[Any]]:
        return {
            _SUPPORT_OF_ITEMSET: [s.support for s in itemsets],
            "Items": [transactions.item_set(s.items, "item") for s in itemsets],
        }

    @staticmethod
    def _rules_columns(rules: list[_Rule], transactions: _Transactions) -> dict[str, list[Any]]:
        return {
            "Support": [r.support for r in rules],
            "Confidence": [r.confidence for r in rules],
            "Lift": [r.lift for r in rules],
            "Consequent": [transactions.name(r.consequent, "Item") for r in rules],
            "implies": [_IMPLIES] * len(rules),
            "Items": [transactions.item_set(r.antecedent, "Item") for r in rules],
        }

    @staticmethod
    def _table(columns: dict[str, list[Any]], spec: TableSpec, row_prefix: str) -> Table:
        """Typed columns (the consequent has the collection's element type); RowIDs as KNIME's
        `item set <k>` / `rule<k>`."""
        row_ids = pd.Index([f"{row_prefix}{k}" for k in range(len(columns.get(spec.names[0], [])))])
        df = pd.DataFrame(
            {c.name: typed_column(columns.get(c.name, []), c.type).set_axis(row_ids) for c in spec.columns},
            index=row_ids,
        )
        return Table(df, {c.name: c.type for c in spec.columns})
