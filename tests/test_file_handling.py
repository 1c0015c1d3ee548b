"""List Files/Folders (KNIME's walk, filters and byte order), the legacy List Files, Path to String,
String to Path and Create File/Folder Variables, with their KNIME mappings."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError, Table
from engine.core.testing import run_node

LIST_FACTORY = "org.knime.filehandling.utility.nodes.listpaths.ListFilesAndFoldersNodeFactory"
LIST_FACTORY_42 = "org.knime.base.node.io.filehandling.util.listpaths.ListFilesAndFoldersNodeFactory"
LEGACY_LIST_FACTORY = "org.knime.base.node.io.listfiles.ListFilesNodeFactory"
PATH_TO_STRING_FACTORY = "org.knime.filehandling.utility.nodes.pathtostring.PathToStringNodeFactory"
STRING_TO_PATH_FACTORY = "org.knime.filehandling.utility.nodes.stringtopath.StringToPathNodeFactory"
STRING_TO_PATH_FACTORY_42 = "org.knime.base.node.io.filehandling.util.stringtopath.StringToPathNodeFactory"
CREATE_FACTORY = "org.knime.filehandling.utility.nodes.createpaths.CreatePathVariablesNodeFactory"
CREATE_FACTORY_42 = "org.knime.base.node.io.filehandling.util.createpaths.CreatePathsNodeFactory"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for name in ("a.csv", "B.CSV", "b-c.txt", ".hidden.csv", "sub/c.csv", "sub/deep/d.csv", "sub-x/e.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    (root / ".hid").mkdir()
    (root / ".hid" / "f.csv").write_text("x", encoding="utf-8")
    return root


def listed(root: Path, **settings: object) -> list[str]:
    out = run_node("list_files_folders", {"folder": str(root), **settings})[1]
    assert out.columns[0] == "Path" and out.types["Path"] == "Path"
    assert out.row_ids == [f"Row{i}" for i in range(len(out))]
    return [os.path.relpath(p, root) for p in out.df["Path"]]


def test_list_files_default_is_the_folder_s_files_in_byte_order(tree: Path) -> None:
    # Path.compareTo compares bytes: upper case before lower case
    assert listed(tree) == ["B.CSV", "a.csv", "b-c.txt"]
    assert listed(tree, include_hidden_files=True) == [".hidden.csv", "B.CSV", "a.csv", "b-c.txt"]


def test_list_files_and_folders_with_subfolders(tree: Path) -> None:
    # '-' (0x2d) sorts before '/' (0x2f): sub-x's entries come before sub/'s; .hid is neither listed nor entered
    assert listed(tree, filter_mode="FILES_AND_FOLDERS", include_subfolders=True) == [
        "B.CSV",
        "a.csv",
        "b-c.txt",
        "sub",
        "sub-x",
        "sub-x/e.txt",
        "sub/c.csv",
        "sub/deep",
        "sub/deep/d.csv",
    ]
    assert listed(tree, filter_mode="FOLDERS") == ["sub", "sub-x"]
    out = run_node(
        "list_files_folders",
        {
            "folder": str(tree),
            "filter_mode": "FOLDERS",
            "include_root_folder": True,
            "add_folder_identifier_column": True,
        },
    )[1]
    assert out.columns == ["Path", "Directory"] and out.types["Directory"] == "Boolean"
    assert out.df["Path"].tolist() == [str(tree), str(tree / "sub"), str(tree / "sub-x")]
    assert out.df["Directory"].tolist() == [True, True, True]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"filter_files_extension": True, "files_extension_expression": "csv"},
            ["B.CSV", "a.csv", "sub/c.csv", "sub/deep/d.csv"],
        ),
        (
            {
                "filter_files_extension": True,
                "files_extension_expression": ".csv; txt",
                "files_extension_case_sensitive": True,
            },
            ["a.csv", "b-c.txt", "sub-x/e.txt", "sub/c.csv", "sub/deep/d.csv"],
        ),
        (
            {"filter_files_name": True, "files_name_expression": "?.csv"},
            ["B.CSV", "a.csv", "sub/c.csv", "sub/deep/d.csv"],
        ),
        (
            {
                "filter_files_name": True,
                "files_name_expression": "[ab].*",
                "files_name_filter_type": "REGEX",
                "files_name_case_sensitive": True,
            },
            ["a.csv", "b-c.txt"],
        ),
        # the folder filter matches each file's folder relative to the root ("" for the root itself)
        (
            {"filter_folders_name": True, "folders_name_expression": "sub*"},
            ["sub-x/e.txt", "sub/c.csv", "sub/deep/d.csv"],
        ),
        (
            {
                "filter_folders_name": True,
                "folders_name_expression": "sub/.*",
                "folders_name_filter_type": "REGEX",
            },
            ["sub/deep/d.csv"],
        ),
    ],
)
def test_list_files_filters(tree: Path, settings: dict, expected: list[str]) -> None:
    assert listed(tree, include_subfolders=True, **settings) == expected


def test_list_files_links_and_errors(tmp_path: Path) -> None:
    folder = tmp_path / "links"
    (folder / "real").mkdir(parents=True)
    (folder / "real" / "x.txt").write_text("x", encoding="utf-8")
    (folder / "file.txt").write_text("x", encoding="utf-8")
    (folder / "to_file.txt").symlink_to(folder / "file.txt")
    (folder / "to_dir").symlink_to(folder / "real")
    both = {"filter_mode": "FILES_AND_FOLDERS", "include_subfolders": True}
    assert listed(folder, **both) == [
        "file.txt",
        "real",
        "real/x.txt",
        "to_dir",
        "to_dir/x.txt",
        "to_file.txt",
    ]
    # not followed: a link to a file is a special file, a link to a folder is skipped
    unfollowed = {**both, "follow_links": False}
    assert listed(folder, **unfollowed) == ["file.txt", "real", "real/x.txt", "to_file.txt"]
    assert listed(folder, **unfollowed, include_special_files=False) == ["file.txt", "real", "real/x.txt"]
    with pytest.raises(NodeError, match="does not exist"):
        run_node("list_files_folders", {"folder": str(tmp_path / "nope")})
    with pytest.raises(NodeError, match="is not a folder"):
        run_node("list_files_folders", {"folder": str(folder / "file.txt")})
    with pytest.raises(ConfigureError, match="specify a folder"):
        run_node("list_files_folders", {})


def test_list_files_imports_the_saved_settings(tmp_path: Path, tree: Path) -> None:
    model = {
        "file_chooser_Internals": {"SettingsModelID": "SMID_ReaderFileChooser", "EnabledStatus": True},
        "file_chooser": {
            "file_system_chooser__Internals": {
                "has_fs_port": False,
                "overwritten_by_variable": False,
                "convenience_fs_category": "LOCAL",
                "relative_to": "knime.workflow.data",
                "mountpoint": "knime-temp-space",
                "spaceId": "",
                "spaceName": "",
                "connected_fs": True,
            },
            "path": {
                "location_present": True,
                "file_system_type": "LOCAL",
                "path": "C:\\Users\\a\\BD_EXCEL_CSV\\",
            },
            "filter_mode_Internals": {"SettingsModelID": "SMID_FilterMode", "EnabledStatus": True},
            "filter_mode": {
                "filter_mode": "FILES_AND_FOLDERS",
                "include_subfolders": False,
                "filter_options": {
                    "filter_files_extension": False,
                    "files_extension_expression": "",
                    "files_extension_case_sensitive": False,
                    "filter_files_name": False,
                    "files_name_expression": "*",
                    "files_name_case_sensitive": False,
                    "files_name_filter_type": "WILDCARD",
                    "include_hidden_files": False,
                    "include_special_files": True,
                    "filter_folders_name": False,
                    "folders_name_expression": "*",
                    "folders_name_case_sensitive": False,
                    "folders_name_filter_type": "WILDCARD",
                    "include_hidden_folders": False,
                    "follow_links": True,
                },
            },
        },
        "add_folder_identifier_column": False,
        "include_root_folder": False,
    }
    node, report, _ = import_fragment(tmp_path, LIST_FACTORY, model)
    assert node.type == "list_files_folders" and findings(report) == []
    assert node.settings["folder"] == "${data_dir}" and node.settings["filter_mode"] == "FILES_AND_FOLDERS"
    run = run_node("list_files_folders", {**node.settings, "folder": str(tree)})[1]
    assert [os.path.relpath(p, tree) for p in run.df["Path"]] == ["B.CSV", "a.csv", "b-c.txt", "sub", "sub-x"]
    model["file_chooser"]["file_system_chooser__Internals"]["has_fs_port"] = True
    model["file_chooser"]["filter_mode"]["filter_options"]["size_filter"] = True
    node, report, _ = import_fragment(tmp_path, LIST_FACTORY_42, model)
    assert node.type == "list_files_folders"
    assert any("connection port" in f for f in findings(report))
    assert any("size_filter" in f for f in findings(report))


def test_legacy_list_files(tmp_path: Path, tree: Path) -> None:
    (tree / "a b.csv").write_text("x", encoding="utf-8")
    settings = {
        "FILESETTINGS": str(tree),
        "FILTER_SETTINGS": "Extensions",
        "EXTENSIONS": "csv",
        "RECURSIVE_SETTINGS": True,
    }
    out = run_node("list_files_legacy", settings)[1]
    assert out.columns == ["Location", "URL"] and out.types == {"Location": "String", "URL": "String"}
    names = [os.path.relpath(p, tree) for p in out.df["Location"]]
    assert names == [".hid/f.csv", ".hidden.csv", "B.CSV", "a b.csv", "a.csv", "sub/c.csv", "sub/deep/d.csv"]
    assert out.df["URL"].tolist()[3] == "file:" + str(tree).replace(" ", "%20") + "/a%20b.csv"
    wild = run_node(
        "list_files_legacy",
        {**settings, "FILTER_SETTINGS": "Wildcards", "EXTENSIONS": "?.csv", "CASESENSITVE": True},
    )[1]
    assert [Path(p).name for p in wild.df["Location"]] == ["f.csv", "a.csv", "c.csv", "d.csv"]
    model = {
        "EXTENSIONS": "csv",
        "FILESETTINGS": "/Users/m/Consumer_Complaints/data",
        "RECURSIVE_SETTINGS": False,
        "FILTER_SETTINGS": "Extensions",
        "CASESENSITVE": False,
    }
    node, report, _ = import_fragment(tmp_path, LEGACY_LIST_FACTORY, model)
    assert node.type == "list_files_legacy" and findings(report) == []
    assert node.settings["FILESETTINGS"] == "${data_dir}" and node.settings["FILTER_SETTINGS"] == "Extensions"


PATHS = Table.from_frame(
    pd.DataFrame({"Path": ["/data/a.csv", None], "Location": ["x", "y"]}), {"Path": "Path"}
)


def test_path_to_string() -> None:
    run = run_node("path_to_string", {"selected_column_name": "Path"}, PATHS)
    out = run[1]
    assert out.columns == ["Path", "Location", "Location (#1)"] and out.types["Location (#1)"] == "String"
    assert out.df["Location (#1)"].tolist() == ["/data/a.csv", None]
    assert run.warnings == [
        "The name of the column to create is already taken, using 'Location (#1)' instead."
    ]
    replaced = run_node("path_to_string", {"generated_column_mode": "REPLACE_SELECTED"}, PATHS)
    assert replaced[1].types["Path"] == "String" and replaced.warnings == [
        "Auto-guessed column to convert 'Path'"
    ]
    with pytest.raises(ConfigureError, match="has the wrong type"):
        run_node("path_to_string", {"selected_column_name": "Location"}, PATHS)
    with pytest.raises(ConfigureError, match="not part of the input"):
        run_node("path_to_string", {"selected_column_name": "nope"}, PATHS)


def test_path_to_string_imports(tmp_path: Path) -> None:
    model = {
        "selected_column_name_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "selected_column_name": "Path",
        "generated_column_mode_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "generated_column_mode": "APPEND_NEW",
        "appended_column_name_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "appended_column_name": "Location",
        "create_knime_url_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "create_knime_url": True,
    }
    node, report, _ = import_fragment(tmp_path, PATH_TO_STRING_FACTORY, model)
    assert node.type == "path_to_string" and findings(report) == []
    assert node.settings["appended_column_name"] == "Location" and node.settings["create_knime_url"] is True


def test_string_to_path(tmp_path: Path) -> None:
    (tmp_path / "there.txt").write_text("x", encoding="utf-8")
    df = pd.DataFrame({"s": ["there.txt", "gone.txt"], "n": [1, 2]})
    out = run_node("string_to_path", {"selected_column_name": "s", "relative_to": str(tmp_path)}, df)[1]
    assert out.columns == ["s", "n", "Path"] and out.types["Path"] == "Path"
    assert out.df["Path"].tolist() == [str(tmp_path / "there.txt"), str(tmp_path / "gone.txt")]
    local = run_node("string_to_path", {"generated_column_mode": "REPLACE_SELECTED"}, df)
    assert local[1].df["s"].tolist() == ["there.txt", "gone.txt"] and local[1].types["s"] == "Path"
    with pytest.raises(NodeError, match="The file/folder 'gone.txt' does not exist"):
        run_node("string_to_path", {"relative_to": str(tmp_path), "fail_on_missing_file_folder": True}, df)
    missing = pd.DataFrame({"s": ["/a", None]})
    with pytest.raises(NodeError, match="missing cell"):
        run_node("string_to_path", {}, missing)
    assert run_node("string_to_path", {"fail_on_missing_values": False}, missing)[1].df["Path"].tolist() == [
        "/a",
        None,
    ]
    with pytest.raises(NodeError, match="empty string"):
        run_node("string_to_path", {}, pd.DataFrame({"s": [" "]}))
    with pytest.raises(ConfigureError, match="No applicable column"):
        run_node("string_to_path", {}, pd.DataFrame({"n": [1]}))


def string_to_path_model(category: str, specifier: str | None) -> dict:
    location = {"location_present": True, "file_system_type": category}
    if specifier:
        location["file_system_specifier"] = specifier
    return {
        "file_system_Internals": {"SettingsModelID": "SMID_file_system", "EnabledStatus": True},
        "file_system": {
            "file_system_chooser__Internals": {
                "has_fs_port": False,
                "overwritten_by_variable": False,
                "convenience_fs_category": category,
                "relative_to": specifier or "knime.workflow",
                "mountpoint": "knime-temp-space",
                "spaceId": "",
                "spaceName": "",
                "custom_url_timeout": 10000,
                "connected_fs": True,
            },
            "location_spec": location,
        },
        "selected_column_name": "Cluster Membership",
        "fail_on_missing_file_folder": False,
        "fail_on_missing_values": True,
        "generated_column_mode": "APPEND_NEW",
        "appended_column_name": "Path",
    }


def test_string_to_path_imports(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, STRING_TO_PATH_FACTORY, string_to_path_model("LOCAL", None))
    assert node.type == "string_to_path" and findings(report) == []
    assert (
        node.settings["selected_column_name"] == "Cluster Membership" and "relative_to" not in node.settings
    )
    model = string_to_path_model("RELATIVE", "knime.workflow.data")
    node, report, _ = import_fragment(tmp_path, STRING_TO_PATH_FACTORY_42, model)
    assert findings(report) == [] and node.settings["relative_to"] == "${data_dir}"
    _, report, _ = import_fragment(
        tmp_path, STRING_TO_PATH_FACTORY, string_to_path_model("RELATIVE", "knime.space")
    )
    assert any("knime.space" in f for f in findings(report))


def test_create_file_folder_variables(tmp_path: Path) -> None:
    settings = {
        "base_folder": str(tmp_path),
        "variables": [
            {"name": "base_folder"},
            {"name": "file", "value": "some-file", "extension": "txt"},
            {"name": "nested", "value": "out/x", "extension": ".csv"},
        ],
    }
    run = run_node("create_file_folder_variables", settings)
    assert run.variables == {
        "base_folder": str(tmp_path),
        "file": str(tmp_path / "some-file.txt"),
        "nested": str(tmp_path / "out" / "x.csv"),
    }
    with pytest.raises(ConfigureError, match="assign names"):
        run_node("create_file_folder_variables", {"variables": [{"name": ""}]})


def test_create_file_folder_variables_imports(tmp_path: Path) -> None:
    model = {
        "base_folder": {
            "path": {"location_present": True, "file_system_type": "LOCAL", "path": "/tmp"},
            "file_system_chooser__Internals": {
                "has_fs_port": False,
                "overwritten_by_variable": False,
                "convenience_fs_category": "LOCAL",
                "relative_to": "knime.workflow",
                "mountpoint": "LOCAL",
                "spaceId": "",
                "spaceName": "",
                "custom_url_timeout": 1000,
                "connected_fs": True,
            },
        },
        "file_folder_variables": {
            "variable_names": ["base_folder", "path_to_some_file"],
            "path_values": ["", "some-file"],
            "file_extensions": ["", ".txt"],
        },
    }
    node, report, _ = import_fragment(tmp_path, CREATE_FACTORY, model)
    assert node.type == "create_file_folder_variables" and findings(report) == []
    assert node.settings["base_folder"] == "${data_dir}"
    run = run_node("create_file_folder_variables", {**node.settings, "base_folder": "/tmp"})
    assert run.variables == {"base_folder": "/tmp", "path_to_some_file": "/tmp/some-file.txt"}
    legacy = {
        "base_folder": model["base_folder"],
        "variable_names": ["out"],
        "variable_values": ["result.csv"],
    }
    node, report, _ = import_fragment(tmp_path, CREATE_FACTORY_42, legacy)
    assert findings(report) == [] and node.settings["variables"] == [
        {"name": "out", "value": "result.csv", "extension": ""}
    ]
