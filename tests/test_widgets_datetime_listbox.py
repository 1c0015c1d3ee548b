"""KNIME's List Box, Date&Time, String, Integer and Credentials Widgets and Configuration nodes
(outside a component, and kept as nodes inside one): what each pushes and outputs as KNIME's
node models do, and imports from the keys KNIME 4.x/5.x save."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from test_knime_import import entry, findings, import_fragment

from engine.api import ConfigureError, NodeError
from engine.core.registry import registry
from engine.core.testing import configure_node, run_node
from engine.knime.importer import ImportReport

LIST_BOX_WIDGET = "org.knime.js.base.node.widget.input.listbox.ListBoxWidgetNodeFactory"
LIST_BOX_CONFIGURATION = "org.knime.js.base.node.configuration.input.listbox.ListBoxDialogNodeFactory"
DATE_WIDGET = "org.knime.js.base.node.widget.input.date.DateWidgetNodeFactory"
DATE_CONFIGURATION = "org.knime.js.base.node.configuration.input.date.DateDialogNodeFactory"
STRING_WIDGET = "org.knime.js.base.node.widget.input.string.StringWidgetNodeFactory"
STRING_CONFIGURATION = "org.knime.js.base.node.configuration.input.string.StringDialogNodeFactory"
INTEGER_CONFIGURATION = "org.knime.js.base.node.configuration.input.integer.IntegerDialogNodeFactory"
CREDENTIALS_WIDGET = "org.knime.js.base.node.widget.input.credentials.CredentialsWidgetNodeFactory"
CREDENTIALS_CONFIGURATION = (
    "org.knime.js.base.node.configuration.input.credentials.CredentialsDialogNodeFactory"
)


def widget_keys(label: str) -> dict[str, Any]:
    """LabeledFlowVariableWidgetConfig's keys after `defaultValue`."""
    return {"hideInWizard": False, "customCSS": "", "label": label, "description": "", "required": True}


def configuration_keys(label: str, parameter: str) -> dict[str, Any]:
    """LabeledFlowVariableDialogNodeConfig's keys after `defaultValue`."""
    return {
        "parameterName": parameter,
        "hideInDialog": False,
        "label": label,
        "description": "Enter Description",
        "required": True,
    }


def list_box_keys(separator: str | None = "\\n", **changed: Any) -> dict[str, Any]:
    """ListBoxNodeConfig.saveSettings, in its order."""
    keys = {
        "regex": "",
        "error_message": "",
        "separator": separator,
        "separate_each_character": False,
        "seperator_regex": "\\n",
        "omit_empty": True,
        "number_visible_options": 5,
    }
    return {**keys, **changed}


def date_value(text: str | None, **extra: Any) -> str:
    """DateNodeValue's `defaultValue` config as raw XML (its key `date&time` needs escaping)."""
    inner = entry("date&amp;time", text) + "".join(entry(k, v) for k, v in extra.items())
    return f'<config key="defaultValue">{inner}</config>'


# ---------------------------------------------------------------------------------------- List Box


def values(run: Any) -> list[str]:
    return run.outputs[0].df.iloc[:, 0].tolist()


def test_list_box_splits_at_each_separator_character_and_pushes_the_whole_text() -> None:
    text = "a,b\n\nc;d,"
    run = run_node(
        "list_box_widget", {"flowVariableName": "items", "defaultValue": text, "separator": ",\\n"}
    )
    assert run.variables == {"items": text} and run.warnings == []
    table = run.outputs[0]
    assert table.columns == ["items"] and list(table.df.index) == ["Row0", "Row1", "Row2"]
    assert values(run) == ["a", "b", "c;d"]  # empty values omitted (the trailing one too)
    kept = run_node(
        "list_box_widget",
        {"flowVariableName": "v", "defaultValue": text, "separator": ",\\n", "omit_empty": False},
    )
    assert values(kept) == ["a", "b", "", "c;d", ""]  # String.split(regex, -1) keeps trailing empties
    tabs = run_node(
        "list_box_widget", {"flowVariableName": "v", "defaultValue": "x\ty|z", "separator": "\\t|"}
    )
    assert values(tabs) == ["x", "y", "z"]
    # regex characters are literal separators; a lone trailing backslash is one too
    odd = run_node(
        "list_box_widget", {"flowVariableName": "v", "defaultValue": "a.b[c^d\\e", "separator": ".[^\\"}
    )
    assert values(odd) == ["a", "b", "c", "d", "e"]


def test_list_box_single_value_each_character_and_separator_errors() -> None:
    whole = run_node("list_box_widget", {"flowVariableName": "v", "defaultValue": "a\nb", "separator": ""})
    assert values(whole) == ["a\nb"] and whole.warnings == []
    chars = {
        "flowVariableName": "v",
        "defaultValue": "abc",
        "separate_each_character": True,
        "separator": "\\x",
    }
    assert values(run_node("list_box_widget", chars)) == ["a", "b", "c"]  # the separator is not looked at
    empty = {"flowVariableName": "v", "defaultValue": "", "separate_each_character": True}
    assert values(run_node("list_box_widget", empty)) == []
    assert values(run_node("list_box_widget", {**empty, "omit_empty": False})) == [""]
    # a node saved without a separator: one value, and KNIME's warning
    guessed = run_node(
        "list_box_widget", {"flowVariableName": "v", "defaultValue": "a\nb", "separator": None}
    )
    assert values(guessed) == ["a\nb"] and guessed.warnings == ["Auto guessing separator."]
    bad = {"flowVariableName": "v", "defaultValue": "a", "separator": ",\\r"}
    message = r"^A back slash must not be followed by a char other than n or t; ignore the separator\.$"
    with pytest.raises(ConfigureError, match=message):
        configure_node("list_box_widget", bad)


def test_list_box_regex_fails_the_configuration_node_only() -> None:
    settings = {
        "flowVariableName": "ids",
        "defaultValue": "A1\nB2\nc3",
        "regex": "[A-Z]\\d",
        "error_message": "'?' is no id ($ kept)",
    }
    with pytest.raises(ConfigureError) as failure:
        configure_node("list_box_widget", settings)
    assert str(failure.value) == "Value 3 is not valid:\n'c3' is no id ($ kept)"
    with pytest.raises(NodeError, match="^Value 3 is not valid:\n'c3' is no id"):
        run_node("list_box_widget", {**settings, "enforceRegex": True})
    widget = run_node("list_box_widget", {**settings, "enforceRegex": False})
    assert values(widget) == ["A1", "B2", "c3"]


def test_list_box_imports(tmp_path: Path) -> None:
    model = {
        "flowVariableName": "regions",
        "defaultValue": {"string": "north\nsouth\n\neast"},
        **widget_keys("Regions"),
        **list_box_keys(),
    }
    node, report, _ = import_fragment(tmp_path, LIST_BOX_WIDGET, model)
    assert node.type == "list_box_widget" and findings(report) == []
    assert node.settings == {
        "flowVariableName": "regions",
        "defaultValue": "north\nsouth\n\neast",
        "separator": "\\n",
        "separate_each_character": False,
        "omit_empty": True,
        "regex": "",
        "error_message": "",
        "enforceRegex": False,
    }
    run = run_node("list_box_widget", node.settings)
    assert values(run) == ["north", "south", "east"] and run.variables == {"regions": "north\nsouth\n\neast"}

    strict = {
        "flowVariableName": "codes",
        "defaultValue": {"string": "a1 b2"},
        **configuration_keys("Codes", "codes"),
        **list_box_keys(" ", regex="[a-z]\\d", error_message="bad: ?"),
    }
    node, report, _ = import_fragment(tmp_path, LIST_BOX_CONFIGURATION, strict)
    assert node.type == "list_box_widget" and findings(report) == []
    assert node.settings["enforceRegex"] is True and node.settings["separator"] == " "
    assert values(run_node("list_box_widget", node.settings)) == ["a1", "b2"]
    # a null separator (isnull="true") is kept as null
    node, _, _ = import_fragment(tmp_path, LIST_BOX_WIDGET, {**model, **list_box_keys(None)})
    assert node.settings["separator"] is None


def test_list_box_configuration_takes_its_components_dialog_value(tmp_path: Path) -> None:
    """Inside a component the node stays a node and quickform_values puts the component's stored
    value (`currentValue`) into `defaultValue`, which the mapping reads as for a free node."""
    from engine.knime.archive import KnimeNode, KnimeWorkflow
    from engine.knime.configuration import quickform_values

    model = {
        "flowVariableName": "regions",
        "defaultValue": {"string": "north"},
        **configuration_keys("Regions", "regions"),
        **list_box_keys(","),
    }
    inner_node = KnimeNode(7, "L (#7)/settings.xml", LIST_BOX_CONFIGURATION, "L", None, None, model, {}, {})
    component = KnimeNode(
        3, "", "", "C", None, None, {"regions-7": {"currentValue": {"string": "east,west"}}}, {}, {}
    )
    inner = KnimeWorkflow("inner", Path("."), [inner_node], [], [])
    given = quickform_values(inner, component, ImportReport()).nodes[0].model
    node, report, _ = import_fragment(tmp_path, LIST_BOX_CONFIGURATION, given)
    assert findings(report) == []
    run = run_node("list_box_widget", node.settings)
    assert values(run) == ["east", "west"] and run.variables == {"regions": "east,west"}


# --------------------------------------------------------------------------------------- Date&Time

BERLIN = "2024-03-05T14:30+01:00[Europe/Berlin]"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("LOCAL_DATE", "2024-03-05"),
        ("LOCAL_TIME", "14:30:00"),  # ISO_TIME: seconds always, unlike LocalTime.toString
        ("LOCAL_DATE_TIME", "2024-03-05T14:30:00"),
        ("ZONED_DATE_TIME", "2024-03-05T14:30:00+01:00[Europe/Berlin]"),
    ],
)
def test_date_time_pushes_the_part_its_type_names_in_iso_format(kind: str, expected: str) -> None:
    settings = {"flowVariableName": "when", "defaultValue": BERLIN, "date_time_type": kind}
    assert run_node("date_time_widget", settings).variables == {"when": expected}


def test_date_time_fractions_offsets_and_unparsable_values() -> None:
    def pushed(value: str, kind: str) -> Any:
        return run_node(
            "date_time_widget", {"flowVariableName": "t", "defaultValue": value, "date_time_type": kind}
        ).variables["t"]

    assert pushed("2024-03-05T14:30:05.250Z", "ZONED_DATE_TIME") == "2024-03-05T14:30:05.25Z"
    assert pushed("2024-03-05T14:30:05.000123-05:30", "LOCAL_TIME") == "14:30:05.000123"
    assert pushed("2024-11-30T23:59:59+05:45[Asia/Kathmandu]", "LOCAL_DATE") == "2024-11-30"
    with pytest.raises(ConfigureError, match=r"^Can't parse date: 2024-03-05T14:30$"):
        configure_node("date_time_widget", {"flowVariableName": "t", "defaultValue": "2024-03-05T14:30"})


def test_date_time_bounds_in_knimes_words() -> None:
    base = {"flowVariableName": "d", "defaultValue": BERLIN, "use_min": True, "use_max": True}
    local = {**base, "min": "2024-03-06T00:00+01:00[Europe/Berlin]", "max": "2024-12-31T00:00Z"}
    with pytest.raises(ConfigureError) as failure:
        configure_node("date_time_widget", local)
    assert str(failure.value) == "The set date&time '2024-03-05T14:30' must not be before '2024-03-06T00:00'."
    # a LOCAL_TIME compares the times only: 14:30 is after 12:00 on any day
    times = {**base, "date_time_type": "LOCAL_TIME", "min": "2020-01-01T08:00Z", "max": "2030-01-01T12:00Z"}
    with pytest.raises(NodeError, match=r"^The set date&time '14:30' must not be after '12:00'\.$"):
        run_node("date_time_widget", times)
    # ZONED compares instants: 14:30+01:00 is 13:30Z, before 13:45Z
    zoned = {
        **base,
        "date_time_type": "ZONED_DATE_TIME",
        "min": "2024-03-05T13:45Z",
        "max": "2024-03-05T14:00Z",
    }
    message = (
        "The set date&time '2024-03-05T14:30+01:00[Europe/Berlin]' must not be before '2024-03-05T13:45Z'."
    )
    with pytest.raises(NodeError) as failure_zoned:
        run_node("date_time_widget", zoned)
    assert str(failure_zoned.value) == message
    assert (
        run_node("date_time_widget", {**zoned, "min": "2024-03-05T13:15Z"}).variables["d"].startswith("2024")
    )
    # a bound as a bare date is accepted for LOCAL_DATE only (DateNodeConfig.parseZonedDateTime)
    dates = {**base, "date_time_type": "LOCAL_DATE", "min": "2024-03-05", "max": "2024-03-05"}
    assert run_node("date_time_widget", dates).variables == {"d": "2024-03-05"}
    with pytest.raises(ConfigureError, match=r"^'2024-03-05' could not be parsed as LOCAL_DATE_TIME\.$"):
        configure_node("date_time_widget", {**dates, "date_time_type": "LOCAL_DATE_TIME"})
    with pytest.raises(
        ConfigureError, match=r"^'2024-03-05T10:00' could not be parsed as ZONED_DATE_TIME\.$"
    ):
        configure_node("date_time_widget", {**zoned, "min": "2024-03-05T10:00"})


def test_date_time_execution_time_is_the_clock_and_not_cacheable() -> None:
    settings = {"flowVariableName": "now", "use_default_exec_time": True, "date_time_type": "LOCAL_DATE_TIME"}
    before = dt.datetime.now().replace(microsecond=0)
    run = run_node("date_time_widget", settings)
    after = dt.datetime.now()
    text = run.variables["now"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?", text)  # the widget: to the millisecond
    assert before <= dt.datetime.fromisoformat(text) <= after
    node = registry.get("date_time_widget")()
    assert node.cacheable(node.Settings.model_validate(settings)) is False
    assert node.cacheable(node.Settings.model_validate({"defaultValue": BERLIN})) is True
    assert (
        node.cacheable(node.Settings.model_validate({"defaultValue": BERLIN, "use_max_exec_time": True}))
        is False
    )
    zoned = run_node("date_time_widget", {**settings, "date_time_type": "ZONED_DATE_TIME"}).variables["now"]
    assert re.fullmatch(r".+T.+(Z|[+-]\d\d:\d\d)(\[[\w/+-]+\])?", zoned)
    # a value after "now" as the maximum: configuring only warns in KNIME, the run fails
    future = {
        "flowVariableName": "d",
        "defaultValue": "2999-01-01T00:00Z",
        "use_max": True,
        "use_max_exec_time": True,
    }
    configure_node("date_time_widget", future)
    with pytest.raises(NodeError, match=r"^The set date&time '2999-01-01T00:00' must not be after '"):
        run_node("date_time_widget", future)


def test_date_time_imports(tmp_path: Path) -> None:
    date_keys = {
        "show_now": True,
        "granularity": "SHOW_MINUTES",
        "use_min": False,
        "use_max": True,
        "use_min_exec_time": False,
        "use_max_exec_time": False,
        "use_default_exec_time": False,
        "min": "2024-01-01T10:00+01:00[Europe/Berlin]",
        "max": "2024-12-31T10:00+01:00[Europe/Berlin]",
        "date_time_type": "LOCAL_DATE",
    }
    model = {
        "flowVariableName": "report_day",
        "defaultValue": date_value(BERLIN),
        **widget_keys("Day"),
        **date_keys,
    }
    node, report, _ = import_fragment(tmp_path, DATE_WIDGET, model)
    assert node.type == "date_time_widget" and findings(report) == []
    assert node.settings["defaultValue"] == BERLIN and node.settings["nowInMillis"] is True
    assert run_node("date_time_widget", node.settings).variables == {"report_day": "2024-03-05"}
    configuration = {
        "flowVariableName": "stamp",
        "defaultValue": date_value(BERLIN),
        **configuration_keys("Stamp", "stamp"),
        **date_keys,
        "date_time_type": "ZONED_DATE_TIME",
    }
    node, report, _ = import_fragment(tmp_path, DATE_CONFIGURATION, configuration)
    assert node.type == "date_time_widget" and findings(report) == []
    assert node.settings["nowInMillis"] is False
    assert run_node("date_time_widget", node.settings).variables == {
        "stamp": "2024-03-05T14:30:00+01:00[Europe/Berlin]"
    }


# ------------------------------------------------------------------------------ String and Integer


def test_string_widget_pushes_its_value_and_checks_the_single_line_regex() -> None:
    settings = {"flowVariableName": "code", "defaultValue": "AB-12", "regex": "[A-Z]+-\\d+"}
    assert run_node("string_widget", settings).variables == {"code": "AB-12"}
    wrong = {**settings, "defaultValue": "ab", "error_message": "'?' is not a code"}
    with pytest.raises(ConfigureError, match=r"^'ab' is not a code$"):
        configure_node("string_widget", wrong)
    assert run_node("string_widget", {**wrong, "editorType": "Multi-line"}).variables == {"code": "ab"}


def test_string_widget_and_configuration_import(tmp_path: Path) -> None:
    string_keys = {
        "regex": "",
        "error_message": "",
        "editorType": "Single-line",
        "multilineEditorWidth": 60,
        "multilineEditorHeight": 5,
    }
    model = {
        "flowVariableName": "title",
        "defaultValue": {"string": "Q3 report"},
        **widget_keys("T"),
        **string_keys,
    }
    node, report, _ = import_fragment(tmp_path, STRING_WIDGET, model)
    assert node.type == "string_widget" and findings(report) == []
    assert run_node("string_widget", node.settings).variables == {"title": "Q3 report"}
    config = {"flowVariableName": "who", "defaultValue": {"string": None}, **configuration_keys("W", "who")}
    node, report, _ = import_fragment(tmp_path, STRING_CONFIGURATION, {**config, **string_keys})
    assert node.type == "string_widget" and findings(report) == []
    assert run_node("string_widget", node.settings).variables == {"who": ""}  # a null string is pushed as ""


def test_integer_configuration_bounds_and_import(tmp_path: Path) -> None:
    model = {
        "flowVariableName": "top_n",
        "defaultValue": {"integer": 25},
        **configuration_keys("Top N", "top_n"),
        "useMin": True,
        "useMax": True,
        "min": 1,
        "max": 20,
    }
    node, report, _ = import_fragment(tmp_path, INTEGER_CONFIGURATION, model)
    assert node.type == "integer_configuration" and findings(report) == []
    with pytest.raises(
        ConfigureError, match=r"^The set integer 25 is bigger than the allowed maximum of 20$"
    ):
        configure_node("integer_configuration", node.settings)
    run = run_node("integer_configuration", {**node.settings, "defaultValue": 7})
    assert run.variables == {"top_n": 7}


def test_credentials_nodes_fail_clearly(tmp_path: Path) -> None:
    model = {
        "flowVariableName": "db_login",
        "defaultValue": {"username": "me", "passwordEncrypted": "xyz", "isSavePassword": False},
        **widget_keys("Login"),
        "promptUsername": True,
        "useServerLoginCredentials": False,
        "noDisplay": False,
    }
    for factory in (CREDENTIALS_WIDGET, CREDENTIALS_CONFIGURATION):
        node, report, _ = import_fragment(tmp_path, factory, model)
        assert node.type == "credentials_widget"
        assert findings(report) == [
            "the node pushes the credentials flow variable 'db_login'; knitflow has no credentials, so it fails"
        ]
        assert node.settings == {"flowVariableName": "db_login"}  # nothing of the login is kept
        with pytest.raises(ConfigureError, match="knitflow does not support credentials flow variables"):
            configure_node("credentials_widget", node.settings)


# ------------------------------------------------------------------------------------------ importing


@pytest.mark.parametrize(
    ("factory", "model"),
    [
        (LIST_BOX_WIDGET, {"flowVariableName": "l", "defaultValue": {"string": "a"}, **list_box_keys()}),
        (
            LIST_BOX_CONFIGURATION,
            {"flowVariableName": "l", "defaultValue": {"string": "a"}, **list_box_keys()},
        ),
        (DATE_WIDGET, {"flowVariableName": "d", "defaultValue": date_value(BERLIN)}),
        (DATE_CONFIGURATION, {"flowVariableName": "d", "defaultValue": date_value(BERLIN)}),
        (STRING_WIDGET, {"flowVariableName": "s", "defaultValue": {"string": "x"}}),
        (STRING_CONFIGURATION, {"flowVariableName": "s", "defaultValue": {"string": "x"}}),
        (INTEGER_CONFIGURATION, {"flowVariableName": "i", "defaultValue": {"integer": 1}}),
    ],
)
def test_unknown_keys_are_findings(tmp_path: Path, factory: str, model: dict[str, Any]) -> None:
    default = model["defaultValue"]
    extra = date_value(BERLIN, extra=1) if isinstance(default, str) else {**default, "extra": 1}
    nested = {**model, "newOption": "x", "defaultValue": extra}
    _, report, _ = import_fragment(tmp_path, factory, nested)
    lost = findings(report)
    assert any("newOption" in m for m in lost) and any("defaultValue.extra" in m for m in lost)
    assert len(lost) == 2


def test_every_factory_maps_to_its_node(tmp_path: Path) -> None:
    expected = {
        LIST_BOX_WIDGET: "list_box_widget",
        LIST_BOX_CONFIGURATION: "list_box_widget",
        DATE_WIDGET: "date_time_widget",
        DATE_CONFIGURATION: "date_time_widget",
        STRING_WIDGET: "string_widget",
        STRING_CONFIGURATION: "string_widget",
        INTEGER_CONFIGURATION: "integer_configuration",
        CREDENTIALS_WIDGET: "credentials_widget",
        CREDENTIALS_CONFIGURATION: "credentials_widget",
    }
    for factory, node_type in expected.items():
        node, _, _ = import_fragment(tmp_path, factory, {"flowVariableName": "x"})
        assert node.type == node_type, factory
