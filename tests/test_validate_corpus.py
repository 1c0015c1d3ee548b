"""`knitflow validate` refuses workflows that are well-formed but wrong (#14): a column that is not
there after a learner or predictor, a flow variable that does not exist or has the wrong type, a
setting value out of range, ports of the wrong kind, cycles, missing files, unknown node types.
Each case is one edit of a tutorial workflow; each must exit 2 with a message that names the file,
the line, the node and (where the mistake is in a setting) the setting, before anything runs."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from robustness_corpus import ROOT, run_cli, traceback_in

Doc = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    workflow: str  # a tutorial workflow's file stem
    edit: Callable[[Doc], None]
    node: int  # the node the message must name
    setting: str | None  # the setting it must name (None: the mistake is not in a setting)
    says: str  # a word of the message (case-insensitive)


def _node(doc: Doc, node_id: int) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["id"] == node_id)


def _set(node_id: int, key: str, value: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        _node(doc, node_id).setdefault("settings", {})[key] = value

    return edit


def _bind(node_id: int, key: str, variable: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        _node(doc, node_id).setdefault("use_variables", {})[key] = variable

    return edit


def _connect(*connections: str, drop: tuple[str, ...] = ()) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        doc["connections"] = [c for c in doc["connections"] if c not in drop] + list(connections)

    return edit


def _add_node(node: dict[str, Any], *connections: str, drop: tuple[str, ...] = ()) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        doc["nodes"].append(node)
        _connect(*connections, drop=drop)(doc)

    return edit


def _feature_list(node_id: int, change: Callable[[list[str]], list[str]]) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        settings = _node(doc, node_id)["settings"]
        settings["feature_columns"] = change(list(settings["feature_columns"]))

    return edit


def _rename_type(node_id: int, new_type: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        _node(doc, node_id)["type"] = new_type

    return edit


def _drop_column_before(
    dest: int, port: int, source: str, column: str, new_id: int = 900
) -> Callable[[Doc], None]:
    """A Column Filter that removes `column` between `source` and input `port` of `dest`."""
    filter_node = {
        "id": new_id,
        "type": "column_filter",
        "settings": {"column_filter": {"excluded_names": [column], "enforce_option": "EnforceExclusion"}},
    }
    return _add_node(
        filter_node,
        f"{source} -> {new_id}:1",
        f"{new_id}:1 -> {dest}:{port}",
        drop=(f"{source} -> {dest}:{port}",),
    )


def _missing_file(node_id: int, file: str) -> Callable[[Doc], None]:
    """A reader of a file that does not exist, without stored column types (with them the reader
    configures from its settings: another node may write the file first)."""

    def edit(doc: Doc) -> None:
        settings = _node(doc, node_id)["settings"]
        settings["file"] = file
        settings.pop("columns", None)

    return edit


def _stratified_by(node_id: int, column: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        _node(doc, node_id)["settings"].update(mode="STRATIFIED", class_column=column)

    return edit


def _assigner_without(column: str) -> Callable[[Doc], None]:
    """A Cluster Assigner after k-Means #57 whose table lost one of the clustered columns."""

    def edit(doc: Doc) -> None:
        doc["nodes"].append({"id": 901, "type": "cluster_assigner"})
        filter_settings = {
            "column_filter": {"excluded_names": [column], "enforce_option": "EnforceExclusion"}
        }
        doc["nodes"].append({"id": 900, "type": "column_filter", "settings": filter_settings})
        doc["connections"] += ["57:3 -> 901:1", "73:1 -> 900:1", "900:1 -> 901:2"]

    return edit


CASES = [
    # ---- columns after a learner or predictor (the model ports carry a spec)
    Case(
        "scorer-predicted-after-lasso",
        "10_02_ZB_WZ_regression",
        _set(172, "predicted", "dE_prediction"),
        172,
        "predicted",
        "dE_prediction",
    ),
    Case(
        "scorer-reference-after-lasso",
        "10_02_ZB_WZ_regression",
        _set(172, "reference", "dE2"),
        172,
        "reference",
        "dE2",
    ),
    Case(
        "scorer-default-prediction-name",
        "10_02_ZB_WZ_regression",
        _set(171, "prediction_column", "pred"),
        172,
        "predicted",
        "dE_pred",
    ),
    Case(
        "predictor-column-clash",
        "10_02_ZB_WZ_regression",
        _set(171, "prediction_column", "ZA"),
        171,
        "prediction_column",
        "ZA",
    ),
    Case(
        "predictor-missing-feature",
        "10_02_ZB_WZ_regression",
        _drop_column_before(171, 2, "181:2", "rd_B"),
        171,
        None,
        "rd_B",
    ),
    Case(
        "lasso-unknown-feature",
        "10_02_ZB_WZ_regression",
        _feature_list(170, lambda f: [*f, "rf_B"]),
        170,
        "feature_columns",
        "rf_B",
    ),
    Case(
        "lasso-unknown-target",
        "10_02_ZB_WZ_regression",
        _set(170, "target_column", "dEE"),
        170,
        "target_column",
        "dEE",
    ),
    Case(
        "lasso-target-not-numeric",
        "10_02_ZB_WZ_regression",
        _set(170, "target_column", "A"),
        170,
        "target_column",
        "numeric",
    ),
    Case(
        "lasso-target-also-feature",
        "10_02_ZB_WZ_regression",
        _feature_list(170, lambda f: [*f, "dE"]),
        170,
        "feature_columns",
        "dE",
    ),
    Case(
        "scorer-after-second-lasso",
        "10_03_conversion_regression",
        _set(336, "predicted", "nope"),
        336,
        "predicted",
        "nope",
    ),
    Case(
        "logreg-predictor-missing-column",
        "10_01_ZB_WZ",
        _drop_column_before(13, 2, "5:1", "IP_A"),
        13,
        None,
        "IP_A",
    ),
    Case("scorer-after-logreg", "10_01_ZB_WZ", _set(14, "first", "Prediction (nope)"), 14, "first", "nope"),
    Case(
        "rf-predictor-missing-column",
        "11_01_randomforest_maxphase",
        _drop_column_before(242, 2, "248:2", "TM_row"),
        242,
        None,
        "TM_row",
    ),
    Case(
        "scorer-after-rf",
        "11_01_randomforest_maxphase",
        _set(255, "predicted", "Prediction (x)"),
        255,
        "predicted",
        "Prediction (x)",
    ),
    Case(
        "scorer-after-linreg",
        "series/02_01_linear_regression_all_data",
        _set(167, "predicted", "Prediction (x)"),
        167,
        "predicted",
        "Prediction (x)",
    ),
    Case(
        "spark-scorer-after-predictor",
        "series/02_20_spark_linear_regression_train_test",
        _set(285, "predicted", "Prediction"),
        285,
        "predicted",
        "Prediction",
    ),
    Case(
        "spark-learner-target",
        "series/02_20_spark_linear_regression_train_test",
        _set(283, "classColumn", "Tcc"),
        283,
        "classColumn",
        "Tcc",
    ),
    Case(
        "colors-after-kmeans",
        "series/05_01_kmeans",
        _set(76, "selected_column", "Clusters"),
        76,
        "selected_column",
        "Clusters",
    ),
    Case(
        "assigner-missing-cluster-column",
        "series/05_01_kmeans",
        _assigner_without("a0.70_rp3.00"),
        901,
        None,
        "a0.70_rp3.00",
    ),
    # ---- flow variables
    Case(
        "unknown-variable",
        "10_02_ZB_WZ_regression",
        _bind(170, "alpha", "alpha_typo"),
        170,
        "alpha",
        "alpha_typo",
    ),
    Case(
        "variable-of-wrong-type",
        "10_02_ZB_WZ_regression",
        _bind(170, "alpha", "data_dir"),
        170,
        "alpha",
        "data_dir",
    ),
    Case(
        "unknown-variable-reference",
        "10_01_ZB_WZ",
        _set(1, "file", "${no_such_dir}/ZB_WZ_dE_rawdescriptor.csv"),
        1,
        "file",
        "no_such_dir",
    ),
    Case(
        "unclosed-variable-reference",
        "10_01_ZB_WZ",
        _set(1, "file", "${data_dir/ZB_WZ_dE_rawdescriptor.csv"),
        1,
        "file",
        "${",
    ),
    # ---- setting values
    Case(
        "negative-alpha",
        "10_02_ZB_WZ_regression",
        _set(170, "alpha", -1.0),
        170,
        "alpha",
        "greater than or equal",
    ),
    Case(
        "text-for-number", "10_02_ZB_WZ_regression", _set(170, "max_iter", "many"), 170, "max_iter", "integer"
    ),
    Case(
        "unknown-choice",
        "10_02_ZB_WZ_regression",
        _set(170, "missing_value_handling", "Guess"),
        170,
        "missing_value_handling",
        "SkipRow",
    ),
    Case("unknown-setting", "10_02_ZB_WZ_regression", _set(170, "alpah", 0.5), 170, "alpah", "extra"),
    Case(
        "missing-file",
        "10_01_ZB_WZ",
        _missing_file(1, "${data_dir}/no_such_file.csv"),
        1,
        "file",
        "no_such_file.csv",
    ),
    Case("partition-class-column", "10_01_ZB_WZ", _stratified_by(5, "nope"), 5, "class_column", "nope"),
    # ---- graph
    Case(
        "table-into-model-port",
        "10_02_ZB_WZ_regression",
        _connect("181:1 -> 171:1", drop=("170:1 -> 171:1",)),
        171,
        None,
        "port",
    ),
    Case(
        "model-into-table-port",
        "10_02_ZB_WZ_regression",
        _connect("170:1 -> 172:1", drop=("171:1 -> 172:1",)),
        172,
        None,
        "port",
    ),
    Case(
        "cycle",
        "10_02_ZB_WZ_regression",
        _connect("173:1 -> 174:1", drop=("183:1 -> 174:1",)),
        174,
        None,
        "cycle",
    ),
    Case(
        "unknown-node-type",
        "10_02_ZB_WZ_regression",
        _rename_type(173, "table_transpose"),
        173,
        None,
        "table_transpose",
    ),
    Case(
        "missing-source-node",
        "10_02_ZB_WZ_regression",
        _connect("999:1 -> 173:1", drop=("172:1 -> 173:1",)),
        999,
        None,
        "no node 999",
    ),
    Case(
        "missing-port",
        "10_02_ZB_WZ_regression",
        _connect("181:3 -> 171:2", drop=("181:2 -> 171:2",)),
        181,
        None,
        "no output port 3",
    ),
    Case("input-connected-twice", "10_02_ZB_WZ_regression", _connect("181:1 -> 171:2"), 171, None, "171:2"),
]


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial data cut to 60 lines: validate reads the readers' headers, not the data."""
    folder = tmp_path_factory.mktemp("data")
    for path in (ROOT / "data").glob("*.csv"):
        lines = path.read_bytes().splitlines(True)[:60]
        (folder / path.name).write_bytes(b"".join(lines))
    return folder


def _write(doc: Doc, folder: Path, name: str) -> Path:
    path = folder / f"{name.replace('/', '_')}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _base(stem: str, small_data: Path) -> Doc:
    doc = yaml.safe_load((ROOT / "workflows" / f"{stem}.yaml").read_text(encoding="utf-8"))
    doc.setdefault("variables", {})["data_dir"] = str(small_data)
    return doc


SHIPPED = sorted(
    str(p.relative_to(ROOT / "workflows").with_suffix(""))
    for p in [*(ROOT / "workflows").glob("*.yaml"), *(ROOT / "workflows" / "series").glob("*.yaml")]
)


@pytest.mark.parametrize("stem", SHIPPED)
def test_the_shipped_workflows_validate(stem: str, small_data: Path, tmp_path: Path) -> None:
    result = run_cli(["validate", str(_write(_base(stem, small_data), tmp_path, stem))])
    assert result.code == 0, result.text[-2000:]


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 20 and len({c.name for c in CASES}) == len(CASES)
    assert len({c.workflow for c in CASES}) >= 4


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_refuses_a_wrong_workflow(case: Case, small_data: Path, tmp_path: Path) -> None:
    doc = copy.deepcopy(_base(case.workflow, small_data))
    case.edit(doc)
    path = _write(doc, tmp_path, case.name)
    result = run_cli(["validate", str(path)])
    assert result.code == 2, result.text[-2000:]
    assert not traceback_in(result.text)
    lines = [line.strip() for line in result.err.splitlines() if f"node #{case.node}" in line]
    assert lines, f"no message names node #{case.node}:\n{result.err}"
    message = lines[0]
    m = re.match(rf"{re.escape(str(path))}:(\d+): node #{case.node}: ", message)
    assert m, f"file, line and node not named: {message}"
    line = int(m[1])
    text = path.read_text(encoding="utf-8").splitlines()
    starts = [i + 1 for i, t in enumerate(text) if re.match(r"^- id: ", t)]
    if case.node in {n["id"] for n in doc["nodes"]}:  # a node of the file: the line is inside it
        first = next(i + 1 for i, t in enumerate(text) if t == f"- id: {case.node}")
        after = min([s for s in starts if s > first] + [len(text) + 1])
        assert first <= line < after or "connection" in message, (message, first, after)
        if case.setting is not None:
            # the setting's line (or its binding's) when the node writes it: its key, or the first
            # line of its value
            keys = [
                i + 1 for i in range(first - 1, after - 1) if text[i].strip().startswith(f"{case.setting}:")
            ]
            if keys:
                assert line in (keys[0], keys[0] + 1), (message, keys)
    if case.setting is not None:
        assert f"setting '{case.setting}'" in message, message
    assert case.says.lower() in message.lower(), message
