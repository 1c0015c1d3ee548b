"""Tiny node types the engine tests use; they stand in for real nodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    Category,
    ConfigureError,
    Iteration,
    LoopEndNode,
    LoopStartNode,
    Node,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)

VARS = VARIABLES


class RangeSettings(NodeSettings):
    n: int = 3
    column: str = "x"


class ToyRange(Node):
    type_name = "toy_range"
    category = Category.SOURCE
    outputs = (Port(TABLE, "Numbers"),)
    Settings = RangeSettings
    calls = 0

    def configure(self, in_specs: list[Any], settings: RangeSettings, ctx: Any) -> list[Any]:
        return [TableSpec.of([(settings.column, "Integer")])]

    def execute(self, inputs: list[Any], settings: RangeSettings, ctx: Any) -> list[Any]:
        type(self).calls += 1
        return [Table.from_frame(pd.DataFrame({settings.column: range(settings.n)}))]


class AddSettings(NodeSettings):
    column: str = "x"
    amount: float = 1.0


class ToyAdd(Node):
    type_name = "toy_add"
    category = Category.MANIPULATOR
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)
    Settings = AddSettings
    calls = 0

    def configure(self, in_specs: list[Any], settings: AddSettings, ctx: Any) -> list[Any]:
        spec = in_specs[0]
        if spec is not UNKNOWN and settings.column not in spec:
            raise ConfigureError(f"column {settings.column!r} not in input", setting="column")
        return [spec]

    def execute(self, inputs: list[Any], settings: AddSettings, ctx: Any) -> list[Any]:
        type(self).calls += 1
        df = inputs[0].df.copy()
        df[settings.column] = df[settings.column] + settings.amount
        return [inputs[0].with_frame(df)]


class ToyFail(Node):
    type_name = "toy_fail"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        raise NodeError("toy failure")


class ToySleepSettings(NodeSettings):
    seconds: float = 0.2


class ToySleep(Node):
    """Records when it ran so tests can see two branches overlap."""

    type_name = "toy_sleep"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)
    Settings = ToySleepSettings
    spans: list[tuple[float, float]] = []

    def execute(self, inputs: list[Any], settings: ToySleepSettings, ctx: Any) -> list[Any]:
        import time

        t0 = time.perf_counter()
        time.sleep(settings.seconds)
        type(self).spans.append((t0, time.perf_counter()))
        return [inputs[0]]


class PushSettings(NodeSettings):
    name: str = "v"
    value: float = 1.0


class ToyPush(Node):
    type_name = "toy_push"
    inputs = (Port(TABLE, "In", optional=True),)
    outputs = (Port(VARS, "Variables"),)
    Settings = PushSettings

    def execute(self, inputs: list[Any], settings: PushSettings, ctx: Any) -> list[Any]:
        ctx.push_variable(settings.name, settings.value)
        return [None]


class ToyVarsToTable(Node):
    """A one-row table of the visible variables whose names start with a letter given."""

    type_name = "toy_vars"
    inputs = (Port(VARS, "Variables", optional=True),)
    outputs = (Port(TABLE, "Variables"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        return [Table.from_frame(pd.DataFrame([dict(ctx.variables)]))]


class RandomSettings(NodeSettings):
    seed: int | None = None


class ToyRandom(Node):
    type_name = "toy_random"
    outputs = (Port(TABLE, "Random"),)
    Settings = RandomSettings

    def is_deterministic(self, settings: RandomSettings) -> bool:
        return settings.seed is not None

    def execute(self, inputs: list[Any], settings: RandomSettings, ctx: Any) -> list[Any]:
        rng = ctx.rng(settings.seed)
        return [Table.from_frame(pd.DataFrame({"r": rng.random(3)}))]


class CountLoopSettings(NodeSettings):
    count: int = 3


class ToyCountLoop(LoopStartNode):
    type_name = "toy_count_loop"
    inputs = (Port(TABLE, "In", optional=True),)
    outputs = (Port(TABLE, "Same table"),)
    Settings = CountLoopSettings

    def iterations(self, inputs: list[Any], settings: CountLoopSettings, ctx: Any) -> Iterator[Iteration]:
        for i in range(settings.count):
            yield Iteration([inputs[0]], {"currentIteration": i, "maxIterations": settings.count})

    def plan(self, inputs: list[Any], settings: CountLoopSettings, ctx: Any) -> list[Iteration]:
        return list(self.iterations(inputs, settings, ctx))


class ToyPid(Node):
    """Adds the worker's process id, so tests can see passes run in other processes."""

    type_name = "toy_pid"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        import os

        df = inputs[0].df.copy()
        df["pid"] = os.getpid()
        df["r"] = ctx.rng().random(len(df))
        return [inputs[0].with_frame(df)]


class ToyLoopEnd(LoopEndNode):
    """Stacks each pass's table and adds the pass number."""

    type_name = "toy_loop_end"
    inputs = (Port(TABLE, "Collected"),)
    outputs = (Port(TABLE, "All passes"),)

    def collect(self, state: Any, inputs: list[Any], settings: Any, ctx: Any) -> Any:
        df = inputs[0].df.copy()
        df["pass"] = ctx.variable("currentIteration")
        state.append(df)

    def finish(self, state: Any, settings: Any, ctx: Any) -> list[Any]:
        df = pd.concat(state, ignore_index=True) if state else pd.DataFrame({"pass": []})
        return [Table.from_frame(df, new_row_ids=True)]


class Kept:
    """What ToyStore keeps in its loop store; tests hold weak references to see it let go."""

    made: list[Any] = []

    def __init__(self) -> None:
        import weakref

        self.passes = 0
        Kept.made.append(weakref.ref(self))


class ToyStore(Node):
    """Counts the passes its loop store has seen (-1: no store, outside loops)."""

    type_name = "toy_store"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        store = ctx.loop_store()
        if store is None:
            seen = -1
        else:
            if "kept" not in store:
                store["kept"] = Kept()
            kept = store["kept"]
            kept.passes += 1
            seen = kept.passes
        df = inputs[0].df.copy()
        df["seen"] = seen
        return [inputs[0].with_frame(df)]


class ToyWaiter(Node):
    """Waits like a node whose work runs in its own processes (`ctx.while_waiting()`), after an
    optional pause, and says whether the module `toy_preloaded` was imported by then."""

    type_name = "toy_waiter"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)
    Settings = ToySleepSettings

    def execute(self, inputs: list[Any], settings: ToySleepSettings, ctx: Any) -> list[Any]:
        import sys
        import time

        time.sleep(settings.seconds)
        ctx.while_waiting()
        return [Table(pd.DataFrame({"imported": ["toy_preloaded" in sys.modules]}))]


class ToyPreloading(Node):
    """Names a slow module it needs (`preload`), as the scikit-learn learners do."""

    type_name = "toy_preloading"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)
    preload = ("toy_missing_module", "toy_preloaded")

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        return [inputs[0]]
