"""KNIME's configure step: specs and flow variables propagate through the whole workflow before
anything runs, so `knitflow validate` reports wrong columns, model ports and variable bindings
with the node and setting to fix.

Variables flow as they will at run time, with placeholder values: workflow variables, what nodes
push in their `configure`, settings they expose, and each loop's variables inside its body. A
stack is *open* after a node whose variables are known only once it ran (a script): a binding
to a name it lacks is then not an error yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from engine.api import INACTIVE, UNKNOWN, ConfigureError, LoopEndNode, LoopStartNode, placeholder_value
from engine.core.outcomes import skipped_as_inactive
from engine.core.settings import exposed_variables, interpolate, set_path
from engine.core.status import CONFIGURED, IDLE, NodeStatus
from engine.core.variables import VarEntry, VarStack

if TYPE_CHECKING:
    from engine.core.scheduler import Execution

# pydantic error types that say a value has the wrong type (not merely a value out of range)
_TYPE_ERRORS = ("_type", "_parsing", "int_from_float", "bool_parsing")


class ConfigurePass:
    """One configure pass over a compiled workflow."""

    def __init__(self, ex: Execution) -> None:
        self.ex = ex
        self.specs: dict[int, list[Any]] = {}
        self.variables: dict[int, VarStack] = {}  # what each node hands on

    def run(self) -> dict[int, NodeStatus]:
        for n in self.ex.wf.order:
            self._configure(n)
        return self.ex.status

    def _configure(self, n: int) -> None:
        ex, st = self.ex, self.ex.status[n]
        variables = self._input_variables(n)
        self.variables[n] = variables.push((), open=True)  # until it configures, anything may come
        in_specs, missing = self._inputs(n)
        # KNIME: a node after one that cannot be configured cannot be either (red, not yellow), and
        # says why: the first unconfigured predecessor's own error, or the reason it was given
        blocked = [p for p in ex.wf.graph.predecessors(n) if ex.status[p].state == IDLE]
        if missing or blocked:
            st.state, st.specs = IDLE, []
            if missing:  # KNIME loads a half-wired node and shows it red: an error of this node alone
                st.error, st.setting = ex.unconnected(n), None
            else:
                up = ex.status[blocked[0]]
                cause = (up.error or "").split("\n", 1)[0]
                st.reason = (
                    f"not configured: #{blocked[0]} {ex.wf.entries[blocked[0]].name or ex.wf.types[blocked[0]].display_name} "
                    f"cannot be configured ({cause})"
                    if cause
                    else up.reason or f"not configured: #{blocked[0]} is not configured"
                )
            return
        if skipped_as_inactive(ex.wf.nodes[n], in_specs):  # KNIME configures no inactive node
            st.specs = [INACTIVE] * len(ex.wf.nodes[n].outputs)
            st.state, st.error, st.setting = CONFIGURED, None, None
            self.specs[n], self.variables[n] = st.specs, variables
            return
        try:
            check_bindings(ex, n, variables)
            settings = ex.settings_of(n, variables, strict=False)
            ctx = ex.context(n, variables, ())
            st.specs = ex.configure_node(n, in_specs, settings, ctx)
            st.state, st.error, st.setting = CONFIGURED, None, None
            self.specs[n] = st.specs
            self.variables[n] = self._handed_on(n, variables, ctx.pushed, settings, in_specs)
        except Exception as exc:  # one node that cannot configure must not stop the others
            st.state, st.specs = IDLE, []
            st.error, st.setting = ex.message_of(exc), getattr(exc, "setting", None)

    def _inputs(self, n: int) -> tuple[list[Any], bool]:
        """The input specs of `n` from its predecessors' out specs; True when a required input is
        not connected."""
        node = self.ex.wf.nodes[n]
        in_specs: list[Any] = []
        missing = False
        for p, src in enumerate(self.ex.wf.inputs_of(n), start=1):
            if src is None:
                in_specs.append(UNKNOWN)
                missing = missing or not node.inputs[p - 1].optional
                continue
            up = self.specs.get(src[0])
            in_specs.append(up[src[1] - 1] if up is not None and src[1] - 1 < len(up) else UNKNOWN)
        return in_specs, missing

    def _variables_of(self, n: int) -> VarStack:
        return self.variables.get(n, VarStack(open=True))

    def _input_variables(self, n: int) -> VarStack:
        """As at run time: data ports in reverse order, then the variable port (KNIME's priority)."""
        wf = self.ex.wf
        sources = [src[0] for src in reversed(wf.inputs_of(n)) if src is not None] + wf.var_in.get(n, [])
        stacks = [wf.through_walls(s, n, self._variables_of(s), self._variables_of) for s in sources]
        merged = VarStack.merge([self.ex.root_vars, *stacks]) if stacks else self.ex.root_vars
        return wf.with_scope_variables(n, merged)

    def _handed_on(
        self, n: int, variables: VarStack, pushed: list[VarEntry], settings: Any, in_specs: list[Any]
    ) -> VarStack:
        wf, node = self.ex.wf, self.ex.wf.nodes[n]
        scope = wf.scope[n]
        out = variables.push([*pushed, *exposed_variables(wf.entries[n], settings, scope)])
        declared_here = node.configure_variables(in_specs, settings)
        if declared_here is None:
            out = out.push((), open=True)
        else:
            out = out.push(VarEntry(k, placeholder_value(t), t, scope) for k, t in declared_here.items())
        if isinstance(node, LoopStartNode):
            declared = node.loop_variables(in_specs, settings)
            inner = (*scope, n)
            if declared is None:
                out = out.push((), open=True)
            else:
                out = out.push(VarEntry(k, placeholder_value(t), t, inner) for k, t in declared.items())
        if isinstance(node, LoopEndNode) and n in wf.loop_start_of:
            start = wf.loop_start_of[n]
            if not getattr(settings, "propagate_loop_variables", False):
                out = VarStack((e for e in out.entries() if start not in e.scope), open=out.open)
        return out


def check_bindings(ex: Execution, n: int, variables: VarStack) -> None:
    """Every setting bound to a flow variable names one that exists here and whose type fits the
    setting; `${name}` references name existing variables."""
    entry, cls = ex.wf.entries[n], ex.wf.types[n]
    for path, var in entry.use_variables.items():
        if var not in variables:
            if variables.open:
                continue
            known = ", ".join(sorted(variables)) or "none"
            raise ConfigureError(
                f"bound to flow variable {var!r}, which does not exist here (known: {known})", setting=path
            )
    raw = interpolate(entry.settings, variables, lenient=variables.open)  # names an unknown ${name}
    bound = {path: var for path, var in entry.use_variables.items() if var in variables}
    for path, var in bound.items():
        set_path(raw, path, variables[var])
    if not bound:
        return
    try:
        cls.Settings.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(map(str, err["loc"]))
            bound_var = bound.get(loc)
            if bound_var is not None and any(k in err["type"] for k in _TYPE_ERRORS):
                entry_of = variables.entry(bound_var)
                vtype = entry_of.type if entry_of is not None else "?"
                raise ConfigureError(
                    f"flow variable {bound_var!r} ({vtype}) does not fit this setting: {err['msg']}",
                    setting=loc,
                ) from None
