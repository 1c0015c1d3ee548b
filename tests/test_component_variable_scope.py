"""A component's own flow-variable scope (KNIME's Component Input / Output variable filters):
variables made inside stay inside unless `variables_out` names them, and `variables_in` chooses
what enters; metanodes stay transparent."""

from __future__ import annotations

import pytest

from engine.core.metanodes import id_of_path
from engine.core.workflow import Workflow

WORKFLOW = """format: knitflow/1
name: scope
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: a, type: Integer}, {name: b, type: Integer}]
      rows: [['7', '1']]
  - id: 2
    type: table_row_to_variable
  - id: 3
    type: KIND
    settings: {secret: 3}
    workflow:
      configuration: [{name: secret, type: integer, default: 0}]
      SCOPE
      inputs: [{name: data}, {name: variables, type: variables}]
      outputs: [{name: made, type: variables}]
      nodes:
        - id: 1
          type: math_formula
          settings: {expression: '$${Isecret}$$ + $${Ia}$$', new_column_name: made, convert_to_int: true}
        - id: 2
          type: table_row_to_variable
          settings: {column_selection: {included_names: [made], enforce_option: EnforceInclusion}}
      connections: ['in:1 -> 1:1', 'in:2 -> 1:0', '1:1 -> 2:1', '2:1 -> out:1']
  - id: 4
    type: math_formula
    settings: {expression: 'EXPRESSION', new_column_name: seen, convert_to_int: true}
connections:
  - 1:1 -> 2:1
  - 1:1 -> 3:1
  - 2:1 -> 3:2
  - 1:1 -> 4:1
  - 3:1 -> 4:0
"""


def _run(kind: str = "component", scope: str = "", expression: str = "$a$ + $${Imade}$$") -> object:
    text = WORKFLOW.replace("KIND", kind).replace("SCOPE", scope).replace("EXPRESSION", expression)
    if kind == "metanode":
        text = (
            text.replace("    settings: {secret: 3}\n", "")
            .replace("      configuration: [{name: secret, type: integer, default: 0}]\n", "")
            .replace("$${Isecret}$$", "3")
        )
    return Workflow.from_text(text).run()


def _seen(result: object) -> int:
    assert result.ok, [(s.id, s.error) for s in result.failed()]  # type: ignore[attr-defined]
    return int(result.output(4)["seen"].iloc[0])  # type: ignore[attr-defined]


def test_a_variable_made_inside_leaves_only_when_declared() -> None:
    assert _seen(_run(scope="variables_out: [made]")) == 7 + 3 + 7
    closed = _run()  # the default: nothing made inside leaves
    failed = {s.id: s.error for s in closed.failed()}  # type: ignore[attr-defined]
    assert 4 in failed and "made" in failed[4]


def test_the_configuration_never_leaks_and_outer_variables_still_pass_through() -> None:
    result = _run(scope="variables_out: [made]", expression="$a$ + $${Isecret}$$")
    failed = {s.id: s.error for s in result.failed()}  # type: ignore[attr-defined]
    assert 4 in failed and "secret" in failed[4]
    # `b` came in from outside and goes on through the component's output
    assert _seen(_run(scope="variables_out: [made]", expression="$${Ib}$$ + $${Imade}$$")) == 1 + 10


def test_variables_in_chooses_what_enters() -> None:
    assert _seen(_run(scope="variables_in: [a]\n      variables_out: [made]")) == 17
    result = _run(scope="variables_in: [b]\n      variables_out: [made]")
    failed = {s.id: s.error for s in result.failed()}  # type: ignore[attr-defined]
    inner = id_of_path("3:1")
    assert inner in failed and "'a' is not defined (known: b, secret)" in failed[inner]


@pytest.mark.parametrize("scope", ["", "variables_out: null"])
def test_metanodes_and_open_components_let_everything_out(scope: str) -> None:
    kind = "component" if scope else "metanode"
    assert _seen(_run(kind=kind, scope=scope)) == 17


FLAT = """format: knitflow/1
name: flat
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: a, type: Integer}]
      rows: [['7']]
  - id: 2
    type: math_formula
    settings: {expression: '$a$ * 2', new_column_name: made, convert_to_int: true}
  - id: 3
    type: table_row_to_variable
  - id: 4
    type: math_formula
    settings: {expression: '$a$ + $${Imade}$$', new_column_name: seen, convert_to_int: true}
connections: ['1:1 -> 2:1', '2:1 -> 3:1', '1:1 -> 4:1', '3:1 -> 4:0']
"""


def test_create_component_keeps_what_ran_running() -> None:
    """The editor's Create component lets every variable out (`variables_out: null`), so the nodes
    after it see what they saw before; a user narrows it in the file."""
    from engine.core.document import parse_document
    from engine.core.document_saving import canonical_dict
    from engine.core.editing import Editor
    from engine.core.yamlio import dump_canonical

    doc, _, problems = parse_document(FLAT, "flat.yaml")
    assert doc is not None and not problems
    editor = Editor(doc)
    made = editor.execute({"op": "collapse", "nodes": [2, 3], "kind": "component"})["node"]
    assert editor.doc.node(made).workflow.variables_out is None  # type: ignore[union-attr]
    saved = dump_canonical(canonical_dict(editor.doc))
    assert "variables_out: null" in saved
    assert _seen(Workflow.from_text(saved).run()) == 7 + 14
