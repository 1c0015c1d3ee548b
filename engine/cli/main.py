"""The `knitflow` command. Only argparse is imported up front so that `--help` answers at once;
every command imports the engine when it runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_NODE_FAILED, EXIT_INVALID = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="knitflow",
        description="Run, check and edit KNIME-style node-graph workflows written in YAML.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="execute a workflow and write its outputs")
    run.add_argument("workflow", type=Path)
    run.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a workflow variable (repeatable)",
    )
    run.add_argument("--seed", type=int, help="seed for every randomised node without a seed of its own")
    run.add_argument("--out", type=Path, help="output folder (default runs/<workflow>/<timestamp>/)")
    run.add_argument("--cache", type=Path, help="keep results in DIR; unchanged nodes are not executed again")
    run.add_argument(
        "--until",
        metavar="NODE_ID",
        help="execute only NODE_ID (inside a metanode or component: its path, e.g. 12:3) and what it needs",
    )
    run.add_argument(
        "--workers", type=int, help="worker processes for parallel loop iterations (default: cores)"
    )
    run.add_argument(
        "--executor",
        metavar="WHERE",
        help="where parallel loop passes run: dask://HOST:PORT (a Dask cluster) or dask-local (a local Dask "
        "cluster of --workers processes); default: forked workers on this machine",
    )
    run.add_argument(
        "--views",
        choices=("png", "svg", "none"),
        default="png",
        help="how the views' pictures are written: png (default), svg (vector, for papers), or none "
        "(nothing is drawn: faster when only tables and variables matter)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress display")

    val = sub.add_parser("validate", help="load workflows, check them and propagate column specs")
    val.add_argument("workflows", type=Path, nargs="+")

    nodes = sub.add_parser("nodes", help="list node types, or describe one")
    nodes.add_argument("type", nargs="?")
    nodes.add_argument("--json", action="store_true", help="the raw schema (ports, settings JSON Schema)")

    sub.add_parser("schema", help="print the JSON Schema of the workflow file format")

    data = sub.add_parser("data", help="the datasets that cannot ship (QM9) or your own copy")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    fetch = data_sub.add_parser(
        "fetch",
        help="build qm9.csv (--qm9) or copy your own data (--from DIR); without options: say what is where",
    )
    fetch.add_argument("--from", dest="source", type=Path, help="a folder holding the tutorial's data files")
    fetch.add_argument(
        "--to",
        dest="dest",
        type=Path,
        help="destination (default: $KNITFLOW_DATA, a checkout's data/, else ./data)",
    )
    fetch.add_argument("--qm9", action="store_true", help="write qm9.csv from the PyPI package qm9pack")

    examples = sub.add_parser("examples", help="write the tutorial workflows and their data into DIR")
    examples.add_argument("directory", type=Path)
    examples.add_argument("--force", action="store_true", help="overwrite files that differ")

    serve = sub.add_parser("serve", help="start the browser editor")
    serve.add_argument("directory", nargs="?", type=Path, default=Path("workflows"))
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--open", action="store_true", help="open a browser (the default)")
    serve.add_argument("--no-browser", action="store_true", help="do not open a browser")
    serve.add_argument(
        "--executor",
        metavar="WHERE",
        help="where the editor's runs send parallel loop passes: dask://HOST:PORT or dask-local",
    )
    serve.add_argument("--token", help="access token (default: a new random one, printed in the URL)")
    serve.add_argument(
        "--no-token", action="store_true", help="no token on a loopback host (any local process may use it)"
    )

    render = sub.add_parser("render", help="draw a workflow as SVG")
    render.add_argument("workflow", type=Path)
    render.add_argument("-o", "--output", type=Path, required=True)
    render.add_argument(
        "--expand", action="store_true", help="draw the insides of metanodes and components in place"
    )

    imp = sub.add_parser("import-knime", help="convert a KNIME workflow (.knwf or folder) to knitflow YAML")
    imp.add_argument("source", type=Path, nargs="?", help="a .knwf archive or an exported workflow folder")
    imp.add_argument("-o", "--output", type=Path, help="the YAML to write (default: <workflow name>.yaml)")
    imp.add_argument("--data-dir", help="data folder the readers point at (default ../data)")
    imp.add_argument("--strict", action="store_true", help="fail on anything that could not be mapped")
    imp.add_argument(
        "--list-nodes", action="store_true", help="print the supported KNIME nodes (markdown) and exit"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INVALID
    handler = {
        "run": _cmd_run,
        "validate": _cmd_validate,
        "nodes": _cmd_nodes,
        "schema": _cmd_schema,
        "data": _cmd_data,
        "examples": _cmd_examples,
        "serve": _cmd_serve,
        "render": _cmd_render,
        "import-knime": _cmd_import,
    }[args.command]
    _skip_collection_at_exit()
    try:
        code = handler(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away (`knitflow schema | head`): stop quietly, and keep Python's final
        # flush of stdout from complaining too
        _silence_stdout()
        return EXIT_OK


def _skip_collection_at_exit() -> None:
    """At exit the interpreter runs the cyclic garbage collector over every object still alive
    (pandas, scikit-learn, matplotlib and pydantic leave hundreds of thousands): ~8 % of a cold
    run (2.5 s of 30 on the loaded VM), for memory the process is about to give back anyway.
    Moving them out of its reach at exit skips that work; registered as the command starts, it
    runs after the exit handlers the run itself registers (last registered, first run). Every
    output file is written, flushed and closed before the command returns."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)  # registered once, however often `main` runs in one process
    atexit.register(gc.freeze)


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (tests), or already closed
        pass


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _load(path: Path) -> Any:
    from engine.core.document import WorkflowLoadError
    from engine.core.workflow import Workflow

    try:
        return Workflow.load(path)
    except WorkflowLoadError as exc:
        lines = [str(p) for p in exc.problems]
    except (RecursionError, MemoryError) as exc:  # bounded by the reader; a last guard all the same
        lines = [f"{path}: the workflow is too large or too deeply nested to load ({type(exc).__name__})"]
    except Exception as exc:  # a file from anyone must never end in a traceback; this is a bug to report
        lines = [f"{path}: cannot load the workflow: internal error {type(exc).__name__}: {exc}"]
    _err(f"{path}: {len(lines)} problem(s):")
    for line in lines[:MAX_PROBLEMS_SHOWN]:
        _err(f"  {_one_line(line)}")
    if len(lines) > MAX_PROBLEMS_SHOWN:
        _err(f"  ... and {len(lines) - MAX_PROBLEMS_SHOWN:,} more")
    return None


MAX_PROBLEMS_SHOWN = 200


def _one_line(text: str, limit: int = 1000) -> str:
    """One problem, one line: line breaks and control characters of a value quoted in a message are
    shown escaped, and a huge message is cut."""
    cut = len(text) > limit
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[:limit])
    return text + "…" if cut else text


def _data_dir(wf: Any, variables: dict[str, str]) -> dict[str, str]:
    """`data_dir` in the documented lookup order (data/README.md), as a variable override."""
    from engine.datasets import data_dir_override

    return data_dir_override(wf.doc.variables, wf.base_dir, variables, log=_err)


def _parse_sets(sets: list[str]) -> dict[str, str] | None:
    out = {}
    for item in sets:
        if "=" not in item:
            _err(f"--set expects NAME=VALUE, got {item!r}")
            return None
        name, value = item.split("=", 1)
        out[name.strip()] = value
    return out


def _cmd_run(args: argparse.Namespace) -> int:
    import datetime

    wf = _load(args.workflow)
    if wf is None:
        return EXIT_INVALID
    asked = _run_arguments(args, wf)
    if asked is None:
        return EXIT_INVALID
    variables, until = asked
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = args.out or Path("runs") / _folder_name(wf.doc.name) / stamp
    problem = _unwritable(out_dir)
    if problem:  # said now, not after a run whose results would have nowhere to go
        _err(f"--out {out_dir}: {problem}")
        return EXIT_INVALID
    return _run_and_write(args, wf, variables, until, out_dir)


def _run_arguments(args: argparse.Namespace, wf: Any) -> tuple[dict[str, str], int | None] | None:
    """The variables (--set, data_dir) and the --until node a run asks for; None after saying what is wrong."""
    variables = _parse_sets(args.sets)
    if variables is None:
        return None
    unknown = [v for v in variables if v not in wf.doc.variables]
    if unknown:
        _err(
            f"--set: the workflow has no variable {', '.join(map(repr, unknown))} "
            f"(it has: {', '.join(wf.doc.variables) or 'none'})"
        )
        return None
    until = None
    if args.until is not None:
        from engine.core.metanodes import id_of_path

        try:
            until = id_of_path(args.until)
        except ValueError:
            until = None
        if until not in {n.id for n in wf.doc.nodes}:
            _err(f"--until: there is no node {args.until}")
            return None
    return {**variables, **_data_dir(wf, variables)}, until


def _run_and_write(
    args: argparse.Namespace, wf: Any, variables: dict[str, str], until: int | None, out_dir: Path
) -> int:
    """Run with a progress display and Ctrl-C as cancel, then write what ran (even when interrupted)."""
    import signal
    import threading

    from engine.cli.interrupts import cancel_on_signals, exit_code
    from engine.cli.progress import RunDisplay
    from engine.core.outputs import write_outputs

    display = RunDisplay(wf, quiet=args.quiet)
    cancel = threading.Event()
    with display, cancel_on_signals(cancel) as signals:
        try:
            result = wf.run(
                seed=args.seed,
                variables=variables,
                until=until,
                cache_dir=args.cache,
                listener=display.on_event,
                workers=args.workers,
                cancel_event=cancel,
                executor=args.executor,
            )
        except ValueError as exc:  # e.g. a --set value that does not fit the variable's type
            _err(f"error: {exc}")
            return EXIT_INVALID
        except KeyboardInterrupt:
            _err("interrupted")
            return exit_code(signal.SIGINT)
    views = getattr(args, "views", "png")
    written = _write_or_fall_back(
        lambda folder: write_outputs(result, folder, views=views, in_two_processes=True),
        out_dir,
        "knitflow-run-",
    )
    if written is None:
        return EXIT_NODE_FAILED
    run, folder = written
    display.summary(result, folder)
    for warning in result.warnings:
        _err(f"warning: {warning}")
    if result.cancelled:
        _err(f"interrupted: the finished nodes' outputs are in {folder}")
        return exit_code(signals[0] if signals else signal.SIGINT)
    if folder != out_dir:
        return EXIT_NODE_FAILED  # the results are safe, but not where they were asked for
    return EXIT_OK if run["status"] == "ok" else EXIT_NODE_FAILED


def _folder_name(name: str) -> str:
    """A workflow name as one safe folder name (a name is free text: '../x', '/', 80 KB...)."""
    import re

    return re.sub(r"[^\w.-]+", "_", name).strip("._")[:80] or "workflow"


def _unwritable(folder: Path) -> str | None:
    """Why `folder` cannot take output files (created if missing, probed with a file), or None."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        what = "cannot be created" if not folder.is_dir() else "cannot be written"
        return f"the folder {what} ({getattr(exc, 'strerror', None) or exc})"
    return None


def _write_or_fall_back(write: Any, folder: Path, prefix: str) -> tuple[Any, Path] | None:
    """`write(folder)`; when that fails (a full disk, a folder made read-only during the run) the
    results go to a new temporary folder instead, and the message says where: never lost."""
    import tempfile

    try:
        return write(folder), folder
    except OSError as exc:
        first = exc
    try:
        fallback = Path(tempfile.mkdtemp(prefix=prefix))
        done = write(fallback)
    except OSError as exc:
        _err(
            f"could not write the results to {folder} ({first.strerror or first}) nor to a temporary folder ({exc.strerror or exc})"
        )
        return None
    _err(f"could not write the results to {folder} ({first.strerror or first}); they are in {fallback}")
    return done, fallback


def _cmd_validate(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for path in args.workflows:
        wf = _load(path)
        if wf is None:
            code = EXIT_INVALID
            continue
        status = wf.validate(_data_dir(wf, {}) or None)
        bad = [s for s in status.values() if s.error]
        for s in status.values():
            specs = ", ".join(_spec_text(x) for x in s.specs)
            line = f"  #{s.id:<4} {s.name:38s} {s.state:10s} {specs}"
            print(line if not s.error else f"{line}\n        error: {s.error}")
        if bad:
            _err(f"{path}: {len(bad)} node(s) cannot be configured:")
            for s in bad:
                _err(f"  {_one_line(_configure_problem(wf, path, s))}")
            code = EXIT_INVALID
        else:
            print(f"{path}: ok ({len(status)} nodes)")
    return code


def _configure_problem(wf: Any, path: Path, status: Any) -> str:
    """A configure error as a load problem reads: file:line: node #id: setting 'x': message, the
    line being the setting's (or its flow-variable binding's) when the file writes it, else the node's."""
    from engine.core.document import Problem
    from engine.core.yamlio import line_of

    index = next((i for i, n in enumerate(wf.doc.nodes) if n.id == status.id), None)
    line = None
    if index is not None:
        here: tuple[Any, ...] = ("nodes", index)
        line = line_of(wf.lines, here)
        if status.setting:
            parts = tuple(int(p) if p.isdigit() else p for p in str(status.setting).split("."))
            for where in ("settings", "use_variables", "expose_variables"):
                if (*here, where, parts[0]) in wf.lines:
                    line = line_of(wf.lines, (*here, where, *parts))
                    break
    return str(Problem(str(path), line, str(status.error), status.id, status.setting))


def _spec_text(spec: Any) -> str:
    from engine.api import ModelSpec, TableSpec

    if isinstance(spec, TableSpec):
        return f"[{len(spec)} cols]"
    if isinstance(spec, ModelSpec):
        target = f" -> {spec.target.name}" if spec.target is not None else ""
        return f"model {spec.kind} [{len(spec.learning_columns)} cols{target}]"
    return repr(spec)


def _cmd_nodes(args: argparse.Namespace) -> int:
    import json

    from engine.cli.describe import describe_node, node_schema
    from engine.core.registry import registry

    types = registry.all()
    for failure in registry.failed_plugins():
        _err(f"warning: {failure}")
    if args.type:
        cls = types.get(args.type)
        if cls is None:
            close = registry.closest(args.type)
            hint = f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
            _err(f"unknown node type {args.type!r}{hint} (`knitflow nodes` lists them all)")
            return EXIT_INVALID
        print(json.dumps(node_schema(cls), indent=2) if args.json else describe_node(cls))
        return EXIT_OK
    if args.json:
        print(json.dumps({name: node_schema(cls) for name, cls in types.items()}, indent=2))
        return EXIT_OK
    by_cat: dict[str, list[Any]] = {}
    for cls in types.values():
        by_cat.setdefault(str(cls.category), []).append(cls)
    for cat in sorted(by_cat):
        print(f"{cat}:")
        for cls in by_cat[cat]:
            print(f"  {cls.type_name:42s} {cls.display_name}")
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    import json

    from engine.core.document import WorkflowDoc

    print(json.dumps(WorkflowDoc.model_json_schema(), indent=2))
    return EXIT_OK


def _cmd_data(args: argparse.Namespace) -> int:
    from engine.datasets import fetch, status

    if args.data_command != "fetch":
        _err("usage: knitflow data fetch [--qm9] [--from DIR] [--to DIR]")
        return EXIT_INVALID
    if args.source is None and not args.qm9:
        for line in status(args.dest):
            print(line)
        return EXIT_OK
    try:
        files = fetch(dest=args.dest, source=args.source, qm9=args.qm9)
    except (FileNotFoundError, OSError, ImportError, ValueError) as exc:
        _err(f"data fetch: {exc}")
        return EXIT_INVALID
    print(f"{len(files)} file(s) ready in {files[0].parent if files else '-'}")
    return EXIT_OK


def _cmd_examples(args: argparse.Namespace) -> int:
    from engine.datasets import write_examples

    target = args.directory.expanduser().resolve()
    try:
        write_examples(target, force=args.force)
    except (FileExistsError, FileNotFoundError, ValueError) as exc:
        _err(f"examples: {exc}")
        return EXIT_INVALID
    print(f"next: knitflow run {target / '10_03_conversion_regression.yaml'}")
    print(
        f"13_01 needs QM9: knitflow data fetch --qm9 --to {target / 'data'}   (pip install 'knitflow[qm9]')"
    )
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from engine.editor.serve import serve
    except ImportError as exc:
        _err(f"the editor needs its extra: pip install 'knitflow[editor]' ({exc})")
        return EXIT_INVALID
    return (
        serve(
            args.directory,
            host=args.host,
            port=args.port,
            open_browser=not args.no_browser,
            token=args.token,
            no_token=args.no_token,
            executor=args.executor,
        )
        or 0
    )


def _as_written(path: Path, flat: Any) -> Any:
    """The document with its metanodes and components as boxes (the loaded one is flattened)."""
    from engine.core.document import parse_document
    from engine.core.yamlio import decode_document

    doc, _, problems = parse_document(decode_document(path.read_bytes()), str(path))
    return doc if doc is not None and not problems else flat


def _cmd_render(args: argparse.Namespace) -> int:
    from engine.core.render import render_svg
    from engine.core.yamlio import atomic_write

    wf = _load(args.workflow)
    if wf is None:
        return EXIT_INVALID
    output: Path = args.output
    problem = "it is a folder" if output.is_dir() else _unwritable(output.parent)
    if problem:
        _err(f"-o {output}: {problem}")
        return EXIT_INVALID
    svg = render_svg(wf.doc if args.expand else _as_written(args.workflow, wf.doc))
    written = _write_or_fall_back(
        lambda folder: atomic_write(folder / output.name, svg), output.parent, "knitflow-render-"
    )
    if written is None:
        return EXIT_NODE_FAILED
    if written[1] != output.parent:
        return EXIT_NODE_FAILED
    print(f"wrote {output}")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from engine.knime import import_cli, supported_nodes_markdown

    if args.list_nodes:
        print(supported_nodes_markdown(), end="")
        return EXIT_OK
    if args.source is None:
        _err("import-knime: give a .knwf archive or a workflow folder (or --list-nodes)")
        return EXIT_INVALID
    return import_cli(args.source, args.output, data_dir=args.data_dir, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
