"""Writes what a run produced: sink, view and scorer outputs, unconnected output ports, run.json."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path
from typing import Any

from engine.api import VARIABLES, Model, Port, Table, View, is_inactive
from engine.core.metanodes import INNER_ID_BASE, path_of
from engine.core.registry import registry
from engine.core.status import NodeStatus
from engine.core.variables import jsonable
from engine.core.workflow import RunResult
from engine.core.yamlio import atomic_write


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40] or "node"


def table_csv(table: Table) -> str:
    df = table.df.copy(deep=False)
    for col, kind in table.types.items():
        if kind == "Bit vector":
            df[col] = df[col].astype(str)
    df.insert(0, "RowID", table.df.index)
    return df.to_csv(index=False, lineterminator="\n")


VIEW_FORMATS = ("png", "svg", "none")


def write_outputs(
    result: RunResult, out_dir: Path, views: str = "png", in_two_processes: bool = False
) -> dict[str, Any]:
    """Write files and run.json into `out_dir`; returns the run.json content. `views` is the
    pictures' format, or "none": views are drawn only now, so none are drawn at all.
    `in_two_processes`: a forked process draws about half of the pictures and formats about half of the
    large tables (a command-line run's own process; see engine.core.parallel_outputs)."""
    if views not in VIEW_FORMATS:
        raise ValueError(f"views must be one of {', '.join(VIEW_FORMATS)}, not {views!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    compiled = result.compiled
    prepared = _prepare_in_two(result, views) if in_two_processes else {}
    nodes_json = []
    for node_id in compiled.order:
        st: NodeStatus = result.status[node_id]
        shown = compiled.shown_ports(node_id)
        outputs = []
        for (port, obj), info in zip(enumerate(st.outputs, start=1), output_summaries(st), strict=True):
            if port in shown:
                try:
                    stem = f"{node_id}_{_slug(st.name)}_port{port}"
                    file = _write_port(obj, out_dir, stem, views, prepared.get(id(obj)))
                except OSError:  # the folder, not the output: the caller writes everything elsewhere
                    raise
                except (
                    Exception
                ) as exc:  # a view drawn only now can fail; the other outputs still get written
                    info["error"] = f"could not be written: {type(exc).__name__}: {exc}"
                    file = None
                if file:
                    info["file"] = file
            outputs.append(info)
        nodes_json.append(
            {
                "id": node_id,
                **({"path": path_of(node_id)} if node_id >= INNER_ID_BASE else {}),  # KNIME's 12:3:5
                "type": st.type,
                "name": st.name,
                "state": st.state,
                "seconds": round(st.seconds, 4),
                "cached": st.cached,
                "reason": st.reason,
                "error": st.error,
                "warnings": list(st.warnings),
                "outputs": outputs,
            }
        )
    run = {
        "workflow": result.workflow,
        "status": result.outcome,
        "seconds": round(result.seconds, 3),
        "warnings": list(result.warnings),
        "nodes": nodes_json,
        "variables": {k: jsonable(v) for k, v in result.variables.items()},
    }
    atomic_write(out_dir / "run.json", json.dumps(run, indent=2, default=str) + "\n")
    return run


# What a forked child is given to prepare (engine.core.parallel_outputs): pictures not drawn yet
# and tables of at least this many cells; a smaller table costs less than handing it over.
PREPARED_CELLS = 20_000
_DRAWING_SECONDS = 0.15  # a guess per picture: what matters is its size beside a table's
_CSV_SECONDS_PER_CELL = 5e-7


def _prepare_in_two(result: RunResult, views: str) -> dict[int, str]:
    """The costly outputs, prepared by two processes: pictures are kept in their views, and the
    CSV text of large tables is returned by the id of the table, view or port object."""
    from engine.core.parallel_outputs import Job, share_work

    jobs: list[Job] = []
    targets: list[tuple[str, Any]] = []
    for node_id in result.compiled.order:
        shown = result.compiled.shown_ports(node_id)
        for port, obj in enumerate(result.status[node_id].outputs, start=1):
            if port not in shown:
                continue
            if isinstance(obj, View) and obj.has_picture:
                if views != "none" and obj.needs_drawing(views):
                    jobs.append(Job(partial(_drawn, obj, views), _DRAWING_SECONDS))
                    targets.append(("picture", obj))
                continue
            table = obj.table if isinstance(obj, View) else obj
            if isinstance(table, Table) and table.shape[0] * table.shape[1] >= PREPARED_CELLS:
                jobs.append(
                    Job(partial(table_csv, table), table.shape[0] * table.shape[1] * _CSV_SECONDS_PER_CELL)
                )
                targets.append(("csv", obj))
    prepared: dict[int, str] = {}
    for (kind, obj), done in zip(targets, share_work(jobs), strict=True):
        if done is None:
            continue
        if kind == "picture":
            obj.keep_picture(done, views)
        elif isinstance(done, str):
            prepared[id(obj)] = done
    return prepared


def _drawn(view: View, fmt: str) -> bytes:
    drawn = view.picture(fmt)
    assert drawn is not None  # only views that need drawing are given
    return drawn[0]


def _write_port(obj: Any, out_dir: Path, stem: str, views: str = "png", csv: str | None = None) -> str | None:
    """Write one port's file; `csv` is the object's table as CSV text when it is prepared already."""
    if isinstance(obj, Table):
        atomic_write(out_dir / f"{stem}.csv", csv if csv is not None else table_csv(obj))
        return f"{stem}.csv"
    if isinstance(obj, View):
        if obj.has_picture:
            drawn = obj.picture(views) if views != "none" else None
            if drawn is None:
                return None
            data, kind = drawn
            atomic_write(out_dir / f"{stem}.{kind}", data)
            return f"{stem}.{kind}"
        if obj.table is not None:
            atomic_write(out_dir / f"{stem}.csv", csv if csv is not None else table_csv(obj.table))
            return f"{stem}.csv"
    if isinstance(obj, Model):
        atomic_write(out_dir / f"{stem}.txt", f"{obj.kind}\n{obj.summary}\n")
        return f"{stem}.txt"
    return None


def output_summaries(st: NodeStatus) -> list[dict[str, Any]]:
    """`output_summary` of each of a node's outputs, with port numbers (1..n), as the CLI, run.json
    and the editor show them."""
    node_type = registry.get(st.type)
    declared = node_type.outputs if node_type is not None else ()
    return [
        {"port": p, **output_summary(obj, declared[p - 1] if p <= len(declared) else None)}
        for p, obj in enumerate(st.outputs, start=1)
    ]


def output_summary(obj: Any, port: Port | None = None) -> dict[str, Any]:
    """What run.json, the CLI and the editor say about one output; `port` tells an unfilled port
    (e.g. a Python Script's unused outputs: "empty") from a flow-variable port ("variables")."""
    if obj is None and port is not None and port.type != VARIABLES:
        return {"kind": "empty"}
    if is_inactive(obj):
        return {"kind": "inactive"}
    if isinstance(obj, Table):
        return {"kind": "table", "rows": obj.shape[0], "columns": obj.shape[1]}
    if isinstance(obj, Model):
        return {"kind": "model", "summary": obj.summary}
    if isinstance(obj, View):
        return {"kind": "view", "title": obj.title}
    if obj is None:
        return {"kind": "variables"}
    return {"kind": type(obj).__name__}
