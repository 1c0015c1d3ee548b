"""A knitflow decision tree as the PMML TreeModel KNIME's Decision Tree Learner writes
(org.knime.base.node.mine.decisiontree2.PMMLDecisionTreeTranslator.exportTo, with the
predicates DecisionTreeLearnerNodeModel2 gives its DecisionTreeNodeSplitPMML nodes).

Each Node carries KNIME's own index, the majority class as score, the record count (left out
when zero) and one ScoreDistribution per class; its predicate comes from the parent's split:
`lessOrEqual` / `greaterThan` the split value (Double.toString) on a numeric attribute, `equal`
one value for a multiway nominal split, `isIn` a quoted string Array for a binary nominal one.
The root's predicate is True. The learner never builds CompoundPredicates.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from engine.api import ColumnType, ModelSpec
from nodes._decision_tree import DecisionTreeModel, TreeNode
from nodes._java_text import java_double_to_string
from nodes._mining import cell_text
from nodes._pmml import DataField, document, mining_schema, pmml_double, string_array


def decision_tree_pmml(model: DecisionTreeModel, spec: ModelSpec | None) -> str:
    """The whole PMML 4.2 document of the tree."""
    classes = [cell_text(c) for c in model.classes]
    fields = _fields(model, spec, classes)
    tree = ET.Element(
        "TreeModel",
        {
            "modelName": "DecisionTree",
            "functionName": "classification",
            "splitCharacteristic": "multiSplit" if _is_multisplit(model.root) else "binarySplit",
            "missingValueStrategy": model.missing_strategy,
            "noTrueChildStrategy": model.no_true_child,
        },
    )
    tree.append(mining_schema(model.attributes, [model.target]))
    ids = _fallback_ids(model.root)
    tree.append(_node(model.root, None, -1, model, classes, ids))
    return document(fields, tree)


def _fields(model: DecisionTreeModel, spec: ModelSpec | None, classes: list[str]) -> list[DataField]:
    """The learning columns and the target: KNIME's DataDictionary lists the training table's
    columns with their domains; knitflow keeps neither the other columns nor the attributes'
    domains, so only the target's values (the class values) are written."""
    known = {c.name: c.type for c in spec.learning_columns.columns} if spec is not None else {}
    fields = [
        DataField(name, known.get(name, ColumnType.STRING if nominal else ColumnType.DOUBLE))
        for name, nominal in zip(model.attributes, model.nominal, strict=True)
    ]
    target_type = spec.target.type if spec is not None and spec.target is not None else ColumnType.STRING
    return [*fields, DataField(model.target, target_type, tuple(classes))]


def _is_multisplit(node: TreeNode) -> bool:
    """treeIsMultisplit: a split with more than two children anywhere."""
    return len(node.children) > 2 or any(_is_multisplit(c) for c in node.children)


def _fallback_ids(root: TreeNode) -> dict[int, int]:
    """Pre-order numbers for trees that do not carry KNIME's indices (built before they were kept)."""
    order: dict[int, int] = {}

    def visit(node: TreeNode) -> None:
        order[id(node)] = len(order)
        for child in node.children:
            visit(child)

    visit(root)
    return order


def _node(
    node: TreeNode,
    parent: TreeNode | None,
    branch: int,
    model: DecisionTreeModel,
    classes: list[str],
    ids: dict[int, int],
) -> ET.Element:
    number = node.node_id if node.node_id >= 0 else ids[id(node)]
    attrs = {"id": str(number), "score": classes[node.majority]}
    total = node.entire()
    if total > 0:
        attrs["recordCount"] = pmml_double(total)
    element = ET.Element("Node", attrs)
    element.append(_predicate(parent, branch, model))
    for value, count in zip(classes, node.counts, strict=True):
        ET.SubElement(
            element, "ScoreDistribution", {"value": value, "recordCount": pmml_double(float(count))}
        )
    for i, child in enumerate(node.children):
        element.append(_node(child, node, i, model, classes, ids))
    return element


def _predicate(parent: TreeNode | None, branch: int, model: DecisionTreeModel) -> ET.Element:
    """The predicate of the parent's `branch`-th child (True for the root)."""
    if parent is None:
        return ET.Element("True")
    field = model.attributes[parent.attribute]
    op, ref = parent.tests[branch]
    if op in ("<=", ">"):
        operator = "lessOrEqual" if op == "<=" else "greaterThan"
        return ET.Element(
            "SimplePredicate", {"field": field, "operator": operator, "value": _split_value(ref)}
        )
    values = _ordered(ref, parent.split_values)
    if _is_binary(parent, ref):
        predicate = ET.Element("SimpleSetPredicate", {"field": field, "booleanOperator": "isIn"})
        array = ET.SubElement(predicate, "Array", {"n": str(len(values)), "type": "string"})
        array.text = string_array(values)
        return predicate
    return ET.Element("SimplePredicate", {"field": field, "operator": "equal", "value": values[0]})


def _split_value(value: Any) -> str:
    return java_double_to_string(float(value))


def _is_binary(parent: TreeNode, ref: Any) -> bool:
    """A binary nominal split (a value set per branch); trees without the split kind recorded
    tell it by a branch holding several values."""
    return parent.split == "binary" if parent.split else len(ref) != 1


def _ordered(values: Any, mapping: tuple[str, ...]) -> list[str]:
    """A branch's values in the attribute's mapping order, as KNIME lists them."""
    position = {v: i for i, v in enumerate(mapping)}
    return sorted((str(v) for v in values), key=lambda v: (position.get(v, len(position)), v))
