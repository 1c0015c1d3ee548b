"""Live progress of `knitflow run` (nodes and loop iterations) and its closing summary table."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from engine.core.outputs import output_summaries

_LIGHT = {"executed": "[green]●[/]", "configured": "[yellow]●[/]", "idle": "[red]●[/]"}


class RunDisplay:
    def __init__(self, workflow: Any, *, quiet: bool = False) -> None:
        self.wf = workflow
        self.console = Console(stderr=True)
        self.quiet = quiet
        self.names = {n.id: n.name or n.type for n in workflow.doc.nodes}
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=quiet,
        )
        self._nodes_task: TaskID | None = None
        self._loop_tasks: dict[int, TaskID] = {}
        self._done: set[int] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> RunDisplay:
        self._progress.__enter__()
        # task descriptions are markup: names from the workflow are shown as text
        self._nodes_task = self._progress.add_task(escape(self.wf.doc.name), total=len(self.names))
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.__exit__(*exc)

    def on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            kind = event.get("event")
            node: int = event.get("node", -1)
            if kind == "state" and event["state"] == "executed" and node not in self._done:
                self._done.add(node)
                if self._nodes_task is not None:
                    self._progress.update(self._nodes_task, completed=len(self._done))
            elif kind == "state" and event.get("error") and not self.quiet:
                first_line = event["error"].splitlines()[0] if event["error"] else ""
                self._progress.console.print(
                    f"[red]✗ #{node} {escape(self.names.get(node, ''))}: {_shown(first_line)}[/]"
                )
            elif kind == "iteration":
                task = self._loop_tasks.get(node)
                label = f"  loop #{node} {escape(self.names.get(node, ''))}"
                if task is None:
                    task = self._progress.add_task(label, total=event.get("total"))
                    self._loop_tasks[node] = task
                self._progress.update(task, completed=event["iteration"] + 1, total=event.get("total"))

    def summary(self, result: Any, out_dir: Path, console: Console | None = None) -> None:
        """The closing table (node, state, seconds, output shapes), then what a KNIME user reads off
        the nodes: each scorer's headline numbers, every warning, every error."""
        from engine.cli.describe import scorer_headlines
        from engine.core.registry import registry

        table = RichTable(
            title=escape(f"{result.workflow}: {'ok' if result.ok else 'FAILED'} in {result.seconds:.2f} s")
        )
        for col in ("node", "name", "state", "seconds", "outputs"):
            table.add_column(col, justify="right" if col in ("node", "seconds") else "left")
        for node_id in sorted(result.status):
            st = result.status[node_id]
            shapes = [
                f"{s['rows']}×{s['columns']}" if s["kind"] == "table" else s["kind"]
                for s in output_summaries(st)
                if s["kind"] != "empty"
            ]
            state = _LIGHT.get(st.state, "") + " " + st.state + (" (cached)" if st.cached else "")
            if st.error:
                state = "[red]✗ failed[/]"
            elif st.warnings:
                state += " [yellow]⚠[/]"
            table.add_row(
                f"#{node_id}", escape(st.name), state, f"{st.seconds:.3f}", escape(", ".join(shapes))
            )
        console = console or Console()
        console.print(table)
        compiled = getattr(result, "compiled", None)
        loops = dict(getattr(compiled, "scope", {}))  # node -> the loops it runs in
        # only the run's own types: listing every registered one would import every node family
        types = {st.type: cls for st in result.status.values() if (cls := registry.get(st.type)) is not None}
        for node_id, name, numbers in scorer_headlines(result, self.wf.doc, types, loops):
            console.print(f"[bold]#{node_id} {escape(name)}[/]: {escape(numbers)}", soft_wrap=True)
        for node_id in sorted(result.status):
            st = result.status[node_id]
            for message, count in _counted(st.warnings):
                times = f" ({count}×)" if count > 1 else ""
                console.print(
                    f"[yellow]⚠ #{node_id} {escape(st.name)}: {_shown(message)}{times}[/]", soft_wrap=True
                )
        for st in result.failed():
            console.print(f"[red]✗ #{st.id} {escape(st.name)}: {_shown(st.error)}[/]", soft_wrap=True)
        console.print(f"outputs and run.json in {escape(str(out_dir))}", soft_wrap=True)


def _counted(messages: list[str]) -> list[tuple[str, int]]:
    """Warnings in first-seen order, repeats (one per loop pass) counted."""
    counts: dict[str, int] = {}
    for m in messages:
        counts[m] = counts.get(m, 0) + 1
    return list(counts.items())


def _shown(message: str, limit: int = 2000) -> str:
    """A message as the terminal shows it: escaped, and cut (a value of megabytes quoted in an error
    would take rich minutes to wrap); run.json keeps it whole."""
    if len(message) > limit:
        message = message[:limit] + f"… ({len(message) - limit:,} more characters in run.json)"
    return escape(message)
