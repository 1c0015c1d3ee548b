"""The node repository the front end shows: every registered node type with its ports."""

from __future__ import annotations

from typing import Any

from engine.api import Category, PortType
from engine.core.document import ports_compatible
from engine.core.registry import registry


def node_catalog() -> dict[str, Any]:
    """Every registered node type with its ports, and which output port types fit which inputs."""
    types = registry.all()
    port_types: dict[str, PortType] = dict(PortType.all())

    def port_json(port: Any) -> dict[str, Any]:
        port_types.setdefault(port.type.id, port.type)
        return {
            "name": port.name,
            "type": port.type.id,
            "optional": port.optional,
            "description": port.description,
        }

    nodes = []
    for cls in types.values():
        nodes.append(
            {
                "type": cls.type_name,
                "name": cls.display_name or cls.type_name,
                "category": str(cls.category),
                "description": cls.description,
                "keywords": list(cls.keywords),
                "inputs": [port_json(p) for p in cls.inputs],
                "outputs": [port_json(p) for p in cls.outputs],
                "knime_factory": cls.knime[0].factory if cls.knime else "",
                "path": knime_tree_path(cls),
            }
        )
    compat = {
        o: [i for i, it in port_types.items() if ports_compatible(ot, it)] for o, ot in port_types.items()
    }
    return {
        "nodes": nodes,
        "port_types": {
            k: {"label": v.label, "color": v.color, "shape": v.shape} for k, v in port_types.items()
        },
        "compatible": compat,
        "categories": [str(c) for c in Category],
        "tree_order": TREE_ORDER,
    }


TREE_ORDER = [
    "IO",
    "Manipulation",
    "Views",
    "Analytics",
    "Workflow Control",
    "Scripting",
    "Reporting",
    "Tools & Services",
    "Community Nodes",
    "Other",
]

# (words in the KNIME factory class or the type name, the place in KNIME's node repository), first match wins
_PLACES: list[tuple[tuple[str, ...], list[str]]] = [
    (("rdkit", ".chem."), ["Community Nodes", "RDKit"]),
    (("bigdata", "spark", "big_data"), ["Tools & Services", "Apache Spark"]),
    (("sklearn",), ["Analytics", "Integrations", "scikit-learn"]),
    (("python",), ["Scripting", "Python"]),
    (("flowvariable", "variable_"), ["Workflow Control", "Variables"]),
    (("testing",), ["Workflow Control", "Testing"]),
    (("reporting",), ["Reporting"]),
    (("scorer", "silhouette"), ["Analytics", "Scoring"]),
    (("cluster", "medoid", "hierarchical"), ["Analytics", "Mining", "Clustering"]),
    (("treeensemble",), ["Analytics", "Mining", "Decision Tree Ensemble"]),
    (("decisiontree", "decision_tree"), ["Analytics", "Mining", "Decision Tree"]),
    (("neural", "mlp"), ["Analytics", "Mining", "Neural Network"]),
    (("pca", ".mds.", "tsne", "t_sne", "mds"), ["Analytics", "Mining", "Dimension Reduction"]),
    (("knn", "nearest"), ["Analytics", "Mining", "Misc Classifiers"]),
    (("regression",), ["Analytics", "Mining", "Linear/Polynomial Regression"]),
    (("smote", "sample", "sampling", "partition"), ["Manipulation", "Row", "Other"]),
    (("stats", "correlation", "statistics"), ["Analytics", "Statistics"]),
    (
        ("filter.row", "rowref", "duplicates", "row_filter", "row_splitter", "rule_based_row"),
        ["Manipulation", "Row", "Filter"],
    ),
    (("sorter", "rank", "append.row", "concatenate"), ["Manipulation", "Row", "Transform"]),
    (("groupby", "pivot", "ungroup", "rowagg", "row_aggregator"), ["Manipulation", "Row", "Aggregate"]),
    (("filter.column", "missingvaluecolfilter", "column_filter"), ["Manipulation", "Column", "Filter"]),
    (
        ("joiner", "crossjoin", "columnappend", "cellsplit", "collection", "bitvector", "one2many"),
        ["Manipulation", "Column", "Split & Combine"],
    ),
    (("normalize", "missingval", "rounddouble"), ["Manipulation", "Column", "Transform"]),
    (
        ("rename", "resorter", "colconvert", "colautotypecast", "stringtodatetime", "constantvalue"),
        ["Manipulation", "Column", "Convert & Replace"],
    ),
    (
        ("expression", "jep", "stringmanipulation", "rules.engine"),
        ["Manipulation", "Column", "Convert & Replace"],
    ),
    (("transpose", "columnheader", "rowtocolumnheader", "valuelookup"), ["Manipulation", "Table"]),
    (("property.color",), ["Views", "Property"]),
]


def knime_tree_path(cls: Any) -> list[str]:
    """Where KNIME's node repository puts the node (IO › Read, Manipulation › Row › Filter, Analytics ›
    Mining › ...), from its KNIME factory class and type name; our own category where neither says."""
    factory = (cls.knime[0].factory if cls.knime else "").lower()
    words = f"{factory} {cls.type_name}"
    category = str(cls.category)
    if category in (str(Category.LOOP_START), str(Category.LOOP_END)):
        return ["Workflow Control", "Loop Support"]
    if "fileformats" in factory:  # Parquet: KNIME lists the big-data file formats under IO
        return ["IO", "Read" if category == str(Category.SOURCE) else "Write"]
    for needles, place in _PLACES:
        if any(n in words for n in needles):
            return list(place)
    by_category = {
        str(Category.SOURCE): ["IO", "Read"],
        str(Category.SINK): ["IO", "Write"],
        str(Category.VISUALIZER): ["Views"],
        str(Category.LEARNER): ["Analytics", "Mining"],
        str(Category.PREDICTOR): ["Analytics", "Mining"],
        str(Category.MANIPULATOR): ["Manipulation", "Other"],
        str(Category.SCRIPT): ["Scripting"],
    }
    return by_category.get(category, ["Other"])


def node_doc(node_type: str) -> dict[str, Any] | None:
    """A node's description for the description panel: ports and settings from its own docs."""
    cls = registry.get(node_type)
    if cls is None:
        return None
    schema = cls.Settings.model_json_schema()
    settings = []
    for key, prop in schema.get("properties", {}).items():
        field = cls.Settings.model_fields.get(key)
        title = (field.title if field is not None else None) or key
        settings.append({"key": key, "title": title, "description": prop.get("description", "")})
    return {
        "type": cls.type_name,
        "name": cls.display_name or cls.type_name,
        "description": cls.description,
        "path": knime_tree_path(cls),
        "inputs": [{"name": p.name, "type": p.type.label, "description": p.description} for p in cls.inputs],
        "outputs": [
            {"name": p.name, "type": p.type.label, "description": p.description} for p in cls.outputs
        ],
        "settings": settings,
        "knime_factory": cls.knime[0].factory if cls.knime else "",
    }
