"""KNIME's file-handling utility nodes: List Files/Folders (and the legacy List Files), Path to String,
String to Path and Create File/Folder Variables.

KNIME's Path cells (FSLocationCell) hold an FSLocation: a file system category and the path text. The
cell prints the path text alone (`FSLocationCell.toString`), and knitflow's Path columns hold just
that text, typed `Path`. knitflow reads only the local file system: every Path it makes is a local
path, so Path to String's KNIME URLs (made for the Relative-to and Mountpoint file systems) never
apply.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import wildcard_regex
from nodes._rows import is_missing
from nodes._string_functions import JavaError, java_regex

PATH_TYPE = "Path"  # KNIME's Path cell (FSLocationCell); the cell holds the path text


# --------------------------------------------------------------------------------- KNIME's chooser


def _location_kind(knime: KnimeSettings, key: str) -> str | None:
    """A file chooser's `path` location (FSLocation: file_system_type, file_system_specifier, path)
    or String to Path's `location_spec`: the category knitflow can read, else a finding."""
    category = knime.get(f"{key}.file_system_type", "LOCAL")
    chooser = key.rsplit(".", 1)[0] + ".file_system_chooser__Internals"
    if category == "CONNECTED" or knime.get(f"{chooser}.has_fs_port"):
        knime.lost("a file system connection port is not supported; the local file system is used")
        return None
    if category not in ("LOCAL", "RELATIVE", "MOUNTPOINT", "CUSTOM_URL"):
        knime.lost(f"file system {category!r} is not supported; the local file system is used")
        return None
    return str(category)


def _chooser_folder(knime: KnimeSettings, key: str, name: str) -> None:
    """The folder a KNIME file chooser names (`key.path`): data lives in the workflow's
    `${data_dir}`, as the CSV Reader's import has it; a flow variable bound to the path sets it."""
    _location_kind(knime, f"{key}.path")
    path = knime.get(f"{key}.path.path") or ""
    if f"{key}.path" in knime.variables:
        knime.put(name, "", f"{key}.path")
        return
    knime.put(name, "${data_dir}" if path else "", f"{key}.path")
    if path:
        knime.note(f"folder {path!r} imported as '${{data_dir}}'")


# --------------------------------------------------------------------------- List Files/Folders


class ListFilesFoldersSettings(NodeSettings):
    """KNIME's ListFilesAndFoldersNodeConfiguration over its reader file chooser (`file_chooser`):
    filter mode, include_subfolders and the FilterOptionsSettings keys."""

    folder: str = Field(
        "",
        description="The folder to list (relative paths are read from the workflow's folder; "
        "`${data_dir}` is the workflow's data folder).",
        json_schema_extra=widget("file"),
    )
    filter_mode: Literal["FILES_IN_FOLDERS", "FOLDERS", "FILES_AND_FOLDERS"] = Field(
        "FILES_IN_FOLDERS", description="List the files, the folders, or both."
    )
    include_subfolders: bool = Field(False, description="Also list what the subfolders hold, at any depth.")
    filter_files_extension: bool = Field(False, description="Keep only files with one of the extensions.")
    files_extension_expression: str = Field(
        "", description="Extensions separated by ';' (a leading '.' is added when missing)."
    )
    files_extension_case_sensitive: bool = Field(
        False, description="Extensions match upper/lower case exactly."
    )
    filter_files_name: bool = Field(False, description="Keep only files whose name matches the expression.")
    files_name_expression: str = Field("*", description="The file name pattern (the whole name must match).")
    files_name_case_sensitive: bool = Field(False, description="File names match upper/lower case exactly.")
    files_name_filter_type: Literal["WILDCARD", "REGEX"] = Field(
        "WILDCARD", description="The file name pattern is a wildcard (* and ?) or a Java regex."
    )
    include_hidden_files: bool = Field(False, description="List hidden files (names starting with '.').")
    include_special_files: bool = Field(
        True, description="List files that are neither regular files nor folders (links not followed, pipes)."
    )
    filter_folders_name: bool = Field(
        False,
        description="Keep only folders whose path relative to the listed folder matches; files count only "
        "inside such folders (the listed folder's own relative path is empty).",
    )
    folders_name_expression: str = Field("*", description="The folder path pattern.")
    folders_name_case_sensitive: bool = Field(
        False, description="Folder paths match upper/lower case exactly."
    )
    folders_name_filter_type: Literal["WILDCARD", "REGEX"] = Field(
        "WILDCARD", description="The folder path pattern is a wildcard (* and ?) or a Java regex."
    )
    include_hidden_folders: bool = Field(False, description="List and enter hidden folders.")
    follow_links: bool = Field(True, description="Follow symbolic links to files and folders.")
    include_root_folder: bool = Field(False, description="The listed folder itself is the first row.")
    add_folder_identifier_column: bool = Field(
        False, description="Append the Boolean column 'Directory' (true for folders)."
    )


_FILTER_KEYS = (
    "filter_files_extension",
    "files_extension_expression",
    "files_extension_case_sensitive",
    "filter_files_name",
    "files_name_expression",
    "files_name_case_sensitive",
    "files_name_filter_type",
    "include_hidden_files",
    "include_special_files",
    "filter_folders_name",
    "folders_name_expression",
    "folders_name_case_sensitive",
    "folders_name_filter_type",
    "include_hidden_folders",
    "follow_links",
)


def _list_files_from_knime(knime: KnimeSettings) -> None:
    """`file_chooser` (SettingsModelReaderFileChooser: path, filter_mode, filter_options),
    include_root_folder and add_folder_identifier_column."""
    fc = "file_chooser"
    _chooser_folder(knime, fc, "folder")
    mode = knime.get(f"{fc}.filter_mode.filter_mode", "FILES_IN_FOLDERS")
    if mode in ("FILE", "FOLDER"):
        knime.lost(f"filter mode {mode} (one file or folder) is not offered by List Files/Folders")
    else:
        knime.take("filter_mode", f"{fc}.filter_mode.filter_mode")
    knime.take("include_subfolders", f"{fc}.filter_mode.include_subfolders")
    knime.take_all(_FILTER_KEYS, tree_path=f"{fc}.filter_mode.filter_options")
    knime.take_all(["include_root_folder", "add_folder_identifier_column"])
    knime.unread("filter_mode", "filter_options", under=f"{fc}.filter_mode")
    knime.unread(under=f"{fc}.filter_mode.filter_options")
    knime.unread(under=f"{fc}.path")
    knime.unread("path", "filter_mode", under=fc)
    knime.unread(fc)


@dataclass(frozen=True)
class _Entry:
    """A path met while walking, with the attributes Java's walkFileTree hands the visitor."""

    path: Path
    is_dir: bool
    is_regular: bool
    is_link: bool


def _entry(path: Path, follow: bool) -> _Entry:
    """BasicFileAttributes: of the link's target when following links (of the link when broken)."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        st = os.lstat(path)
    return _Entry(path, stat.S_ISDIR(st.st_mode), stat.S_ISREG(st.st_mode), stat.S_ISLNK(st.st_mode))


def _name_regex(filter_type: str, expression: str, case_sensitive: bool, setting: str) -> re.Pattern[str]:
    """FileAndFolderFilter.createRegex: a wildcard (WildcardToRegexUtil) or a Java regex; matches()."""
    try:
        source = wildcard_regex(expression) if filter_type == "WILDCARD" else java_regex(expression).pattern
        return re.compile(source, 0 if case_sensitive else re.IGNORECASE)
    except (JavaError, re.error) as exc:
        raise NodeError(f"invalid pattern {expression!r}: {exc}", setting=setting) from None


class _PathFilter:
    """KNIME's FileAndFolderFilter: hidden and special files, extensions, file and folder names."""

    def __init__(self, root: Path, s: ListFilesFoldersSettings) -> None:
        self.root, self.s = root, s
        self.extensions = [
            e if e.startswith(".") else "." + e
            for e in (part.strip() for part in s.files_extension_expression.split(";"))
        ]
        self.file_name = _name_regex(
            s.files_name_filter_type,
            s.files_name_expression,
            s.files_name_case_sensitive,
            "files_name_expression",
        )
        self.folder_name = _name_regex(
            s.folders_name_filter_type,
            s.folders_name_expression,
            s.folders_name_case_sensitive,
            "folders_name_expression",
        )

    def folder_name_ok(self, folder: Path) -> bool:
        """The folder's path relative to the listed folder (empty for the listed folder) matches."""
        if not self.s.filter_folders_name:
            return True
        relative = "" if folder == self.root else folder.relative_to(self.root).as_posix()
        return self.folder_name.fullmatch(relative) is not None

    def enters(self, folder: Path) -> bool:
        return self.s.include_hidden_folders or not folder.name.startswith(".")

    def accepts(self, entry: _Entry) -> bool:
        if entry.is_dir:
            return self.enters(entry.path) and self.folder_name_ok(entry.path)
        name = entry.path.name
        s = self.s
        if not s.include_hidden_files and name.startswith("."):
            return False
        if not s.include_special_files and not entry.is_regular:
            return False
        if s.filter_files_extension:
            cased = name if s.files_extension_case_sensitive else name.lower()
            exts = (
                self.extensions if s.files_extension_case_sensitive else [e.lower() for e in self.extensions]
            )
            if not any(cased.endswith(e) for e in exts):
                return False
        return not s.filter_files_name or self.file_name.fullmatch(name) is not None


class _Walker:
    """Files.walkFileTree driving KNIME's FilterVisitor: depth 1 without subfolders (folders there
    are visited as entries, not entered); a folder filtered out by name is still entered, a hidden
    one is not; a link to a folder is neither listed nor entered unless links are followed."""

    def __init__(self, root: Path, s: ListFilesFoldersSettings) -> None:
        self.root, self.s = root, s
        self.filter = _PathFilter(root, s)
        self.files = s.filter_mode in ("FILES_IN_FOLDERS", "FILES_AND_FOLDERS")
        self.folders = s.filter_mode in ("FOLDERS", "FILES_AND_FOLDERS")
        self.found: list[Path] = []

    def walk(self) -> list[Path]:
        self._children(self.root, 0)
        return sorted(self.found, key=lambda p: os.fsencode(str(p)))  # Path.compareTo: the path's bytes

    def _children(self, folder: Path, depth: int) -> None:
        max_depth = None if self.s.include_subfolders else 1
        for child in folder.iterdir():
            entry = _entry(child, self.s.follow_links)
            if entry.is_dir and (max_depth is None or depth + 1 < max_depth):
                self._enter(entry, depth + 1)
            else:
                self._visit_file(entry)

    def _enter(self, entry: _Entry, depth: int) -> None:
        """preVisitDirectory of a folder below the root."""
        if self.s.include_subfolders and self.folders and self.filter.accepts(entry):
            self.found.append(entry.path)
        if self.filter.enters(entry.path):
            self._children(entry.path, depth)

    def _visit_file(self, entry: _Entry) -> None:
        link_to_dir = entry.is_link and not self.s.follow_links and entry.path.is_dir()
        if not (entry.is_dir or link_to_dir) and self.filter.folder_name_ok(entry.path.parent):
            if self.files and self.filter.accepts(entry):
                self.found.append(entry.path)
        elif entry.is_dir and self.folders and self.filter.accepts(entry):
            self.found.append(entry.path)


def _listed_root(folder: str, setting: str) -> Path:
    """The folder to list, with KNIME's messages when it is missing or not a folder."""
    if not folder:
        raise NodeError("Please specify a folder", setting=setting)
    root = Path(folder)
    if not root.exists():
        raise NodeError(f"The specified folder {root} does not exist.", setting=setting)
    if not root.is_dir():
        raise NodeError(f"{root} is not a folder. Please specify a folder.", setting=setting)
    return root


def _path_table(columns: dict[str, list[Any]], types: dict[str, str]) -> Table:
    n = len(next(iter(columns.values())))
    data = {
        k: np.array(v, dtype=bool if types[k] == ColumnType.BOOLEAN else object) for k, v in columns.items()
    }
    return Table(pd.DataFrame(data, index=row_ids(n)), types)


class ListFilesFolders(Node):
    type_name = "list_files_folders"
    display_name = "List Files/Folders"
    category = Category.SOURCE
    description = (
        "Lists the files and/or folders in a folder (and its subfolders if asked) as a Path column 'Path', "
        "sorted by path, filtered by extension, name (wildcard or regex) and folder path, hidden and special "
        "files; optionally the folder itself first and a Boolean 'Directory' column."
    )
    keywords = ("list", "files", "folders", "directory", "path", "glob", "walk")
    knime = (
        KnimeMapping(
            "org.knime.filehandling.utility.nodes.listpaths.ListFilesAndFoldersNodeFactory",
            "List Files/Folders",
            _list_files_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.filehandling.util.listpaths.ListFilesAndFoldersNodeFactory",
            "List Files/Folders (4.2)",
            _list_files_from_knime,
        ),
    )
    outputs = (Port(TABLE, "File/folder list", "One Path per listed file or folder."),)
    Settings = ListFilesFoldersSettings
    path_settings = ("folder",)

    def reads(self, settings: Any) -> list[str]:
        return []  # a listing: what the folder holds is read each run, not fingerprinted

    def cacheable(self, settings: Any) -> bool:
        return False

    def configure(
        self, in_specs: list[Any], settings: ListFilesFoldersSettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.folder:
            raise ConfigureError("Please specify a folder", setting="folder")
        cols: list[tuple[str, str]] = [("Path", PATH_TYPE)]
        if settings.add_folder_identifier_column:
            cols.append(("Directory", ColumnType.BOOLEAN))
        return [TableSpec.of(cols)]

    def execute(self, inputs: list[Any], settings: ListFilesFoldersSettings, ctx: NodeContext) -> list[Any]:
        root = _listed_root(settings.folder, "folder")
        try:
            found = _Walker(root, settings).walk()
        except OSError as exc:
            raise NodeError(f"listing {root} failed: {exc}", setting="folder") from None
        if settings.include_root_folder:
            found.insert(0, root)
        columns: dict[str, list[Any]] = {"Path": [str(p) for p in found]}
        types = {"Path": PATH_TYPE}
        if settings.add_folder_identifier_column:
            columns["Directory"] = [p.is_dir() for p in found]
            types["Directory"] = ColumnType.BOOLEAN
        return [_path_table(columns, types)]


# ---------------------------------------------------------------------------- List Files (legacy)


class ListFilesLegacySettings(NodeSettings):
    """KNIME's ListFilesSettings (2.x): FILESETTINGS, RECURSIVE_SETTINGS, FILTER_SETTINGS,
    EXTENSIONS, CASESENSITVE (sic)."""

    FILESETTINGS: str = Field(
        "",
        description="The folder to list (several folders separated by ';').",
        json_schema_extra=widget("file"),
    )
    RECURSIVE_SETTINGS: bool = Field(False, description="Also list the files in subfolders.")
    FILTER_SETTINGS: Literal["None", "Extensions", "RegExp", "Wildcards"] = Field(
        "None", description="Keep all files, or those with one of the extensions, or whose name matches."
    )
    EXTENSIONS: str = Field("", description="Extensions (';'-separated) or the name pattern.")
    CASESENSITVE: bool = Field(False, description="Extensions and patterns match upper/lower case exactly.")


def _legacy_list_files_from_knime(knime: KnimeSettings) -> None:
    locations = [p for p in str(knime.get("FILESETTINGS") or "").split(";") if p.strip()]
    if len(locations) > 1:
        knime.lost(f"{len(locations)} folders listed in one node; knitflow lists the first as ${{data_dir}}")
    bound = "FILESETTINGS" in knime.variables
    knime.put("FILESETTINGS", "" if bound or not locations else "${data_dir}", "FILESETTINGS")
    if locations and not bound:
        knime.note(f"folder {locations[0]!r} imported as '${{data_dir}}'")
    knime.take_all(["RECURSIVE_SETTINGS", "FILTER_SETTINGS", "EXTENSIONS", "CASESENSITVE"])
    knime.note(
        "knitflow lists each folder's files sorted by name; KNIME's legacy List Files kept the order the "
        "file system listed them in"
    )
    knime.unread()


def _legacy_matcher(s: ListFilesLegacySettings) -> Any:
    """A test on file names for the chosen filter."""
    if s.FILTER_SETTINGS == "None":
        return lambda name: True
    if s.FILTER_SETTINGS == "Extensions":
        exts = [e.strip() for e in s.EXTENSIONS.split(";") if e.strip()]
        exts = [e if e.startswith(".") else "." + e for e in exts]
        if not s.CASESENSITVE:
            exts = [e.lower() for e in exts]
        return lambda name: any((name if s.CASESENSITVE else name.lower()).endswith(e) for e in exts)
    kind = "WILDCARD" if s.FILTER_SETTINGS == "Wildcards" else "REGEX"
    regex = _name_regex(kind, s.EXTENSIONS, s.CASESENSITVE, "EXTENSIONS")
    return lambda name: regex.fullmatch(name) is not None


def _java_file_url(path: Path) -> str:
    """File.toURI().toURL().toString(): `file:` and the absolute path, spaces and the like escaped."""
    text = quote(str(path), safe="/:@!$&'()*+,;=-._~")
    return "file:" + text + ("/" if path.is_dir() else "")


class ListFilesLegacy(Node):
    type_name = "list_files_legacy"
    display_name = "List Files"
    category = Category.SOURCE
    description = (
        "KNIME's old List Files: the files of a folder (and its subfolders if asked) as the String columns "
        "'Location' (the absolute path) and 'URL' (file:...), filtered by extension, regex or wildcard."
    )
    keywords = ("list", "files", "directory", "legacy", "url")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.listfiles.ListFilesNodeFactory",
            "List Files",
            _legacy_list_files_from_knime,
        ),
    )
    outputs = (Port(TABLE, "File list", "Location and URL of each file."),)
    Settings = ListFilesLegacySettings
    path_settings = ("FILESETTINGS",)

    def reads(self, settings: Any) -> list[str]:
        return []

    def cacheable(self, settings: Any) -> bool:
        return False

    def configure(
        self, in_specs: list[Any], settings: ListFilesLegacySettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.FILESETTINGS:
            raise ConfigureError("Please specify a folder", setting="FILESETTINGS")
        return [TableSpec.of([("Location", ColumnType.STRING), ("URL", ColumnType.STRING)])]

    def execute(self, inputs: list[Any], settings: ListFilesLegacySettings, ctx: NodeContext) -> list[Any]:
        root = _listed_root(settings.FILESETTINGS, "FILESETTINGS")
        matches = _legacy_matcher(settings)
        found: list[Path] = []

        def collect(folder: Path) -> None:
            for child in sorted(folder.iterdir(), key=lambda p: p.name):
                if child.is_dir():
                    if settings.RECURSIVE_SETTINGS:
                        collect(child)
                elif matches(child.name):
                    found.append(child.absolute())

        try:
            collect(root)
        except OSError as exc:
            raise NodeError(f"listing {root} failed: {exc}", setting="FILESETTINGS") from None
        columns = {"Location": [str(p) for p in found], "URL": [_java_file_url(p) for p in found]}
        return [_path_table(columns, {"Location": ColumnType.STRING, "URL": ColumnType.STRING})]


# ---------------------------------------------------------------------------------- Path to String


class _ConvertColumnSettings(NodeSettings):
    """The keys Path to String and String to Path share."""

    selected_column_name: str | None = Field(
        None,
        description="The column to convert (None: the first fitting column).",
        json_schema_extra=widget("column"),
    )
    generated_column_mode: Literal["APPEND_NEW", "REPLACE_SELECTED"] = Field(
        "APPEND_NEW", description="Append a new column, or replace the selected one."
    )


class PathToStringSettings(_ConvertColumnSettings):
    """KNIME's PathToStringNodeModel settings."""

    appended_column_name: str = Field("Location", description="Name of the appended String column.")
    create_knime_url: bool = Field(
        True,
        description="KNIME writes knime:// URLs for Relative-to and Mountpoint paths; knitflow's paths are all "
        "local, for which KNIME writes the path itself.",
    )


def _converted_column(
    spec: TableSpec, s: Any, accepted: tuple[str, ...], cls: type[NodeError]
) -> tuple[str, str, str | None]:
    """(input column, output column, warning): KNIME's auto-guess, checks and unique new name."""
    warning = None
    column = s.selected_column_name
    if column is None:
        column = next((c.name for c in spec.columns if c.type in accepted), None)
        if column is None:
            raise cls("No applicable column available", setting="selected_column_name")
        warning = f"Auto-guessed column to convert '{column}'"
    col = spec.get(column)
    if col is None:
        raise cls(f"The selected column '{column}' is not part of the input", setting="selected_column_name")
    if col.type not in accepted:
        raise cls(f"The selected column '{column}' has the wrong type", setting="selected_column_name")
    if s.generated_column_mode == "REPLACE_SELECTED":
        return column, column, warning
    name = s.appended_column_name
    if not name or not name.strip():
        raise cls("The name of the column to create cannot be empty", setting="appended_column_name")
    unique = unique_column_name(spec.names, name)
    if unique != name:
        warning = f"The name of the column to create is already taken, using '{unique}' instead."
    return column, unique, warning


def _with_converted(table: Table, target: str, values: list[Any], col_type: str) -> Table:
    df = table.df.copy(deep=False)
    df[target] = np.array(values, dtype=object)
    return table.with_frame(df, {target: col_type})


class PathToString(Node):
    type_name = "path_to_string"
    display_name = "Path to String"
    category = Category.MANIPULATOR
    description = (
        "Converts a Path column to a String column holding each path's text (appended as 'Location' or "
        "replacing the column); missing cells stay missing."
    )
    keywords = ("path", "string", "convert", "location", "file")
    knime = (
        KnimeMapping(
            "org.knime.filehandling.utility.nodes.pathtostring.PathToStringNodeFactory",
            "Path to String",
        ),
    )
    inputs = (Port(TABLE, "Table with a Path column"),)
    outputs = (Port(TABLE, "Table with the String column"),)
    Settings = PathToStringSettings

    def configure(self, in_specs: list[Any], settings: PathToStringSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        column, target, _ = _converted_column(spec, settings, (PATH_TYPE,), ConfigureError)
        if target == column:
            return [spec.replace(column, ColumnType.STRING)]
        return [spec.append((target, ColumnType.STRING))]

    def execute(self, inputs: list[Any], settings: PathToStringSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column, target, warning = _converted_column(table.spec, settings, (PATH_TYPE,), NodeError)
        if warning:
            ctx.warn(warning)
        values = [None if is_missing(v) else str(v) for v in table.df[column].to_numpy(dtype=object)]
        return [_with_converted(table, target, values, ColumnType.STRING)]


# ---------------------------------------------------------------------------------- String to Path


class StringToPathSettings(_ConvertColumnSettings):
    """KNIME's StringToPathNodeModel settings; `relative_to` stands for its Relative-to file systems."""

    appended_column_name: str = Field("Path", description="Name of the appended Path column.")
    fail_on_missing_file_folder: bool = Field(
        False, description="Fail when a path names nothing that exists."
    )
    fail_on_missing_values: bool = Field(True, description="Fail on a missing cell (else it stays missing).")
    relative_to: str | None = Field(
        None,
        description="Read relative path strings from this folder (KNIME's 'Relative to' file system; a "
        "workflow's data area imports as `${data_dir}`); None: the local file system, paths as they are.",
        json_schema_extra=widget("file"),
    )


_RELATIVE_FOLDERS = {"knime.workflow.data": "${data_dir}", "knime.workflow": "."}


def _string_to_path_from_knime(knime: KnimeSettings) -> None:
    """selected_column_name, generated_column_mode, appended_column_name, fail_on_missing_file_folder,
    fail_on_missing_values and `file_system` (SettingsModelFileSystem: location_spec)."""
    knime.take_all(
        ["selected_column_name", "generated_column_mode", "appended_column_name"]
        + ["fail_on_missing_file_folder", "fail_on_missing_values"]
    )
    spec = "file_system.location_spec"
    kind = _location_kind(knime, spec)
    specifier = knime.get(f"{spec}.file_system_specifier")
    if kind == "RELATIVE" and specifier in _RELATIVE_FOLDERS:
        knime.put("relative_to", _RELATIVE_FOLDERS[specifier], spec)
        knime.note(
            f"paths relative to {specifier} are read from {_RELATIVE_FOLDERS[specifier]!r} and hold the "
            "resolved local path"
        )
    elif kind in ("RELATIVE", "MOUNTPOINT", "CUSTOM_URL"):
        knime.lost(
            f"paths of the {kind} file system {specifier or ''} are not supported; read as local paths"
        )
    knime.unread("location_present", "file_system_type", "file_system_specifier", under=spec)
    knime.unread("location_spec", under="file_system")
    knime.unread("file_system")


class StringToPath(Node):
    type_name = "string_to_path"
    display_name = "String to Path"
    category = Category.MANIPULATOR
    description = (
        "Converts a String column to a Path column (appended as 'Path' or replacing the column); optionally "
        "fails when a path does not exist; missing cells fail the node or stay missing; empty strings fail."
    )
    keywords = ("path", "string", "convert", "file", "location")
    knime = (
        KnimeMapping(
            "org.knime.filehandling.utility.nodes.stringtopath.StringToPathNodeFactory",
            "String to Path",
            _string_to_path_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.filehandling.util.stringtopath.StringToPathNodeFactory",
            "String to Path (4.2)",
            _string_to_path_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table with a String column"),)
    outputs = (Port(TABLE, "Table with the Path column"),)
    Settings = StringToPathSettings
    path_settings = ("relative_to",)

    def configure(self, in_specs: list[Any], settings: StringToPathSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        column, target, _ = _converted_column(spec, settings, (ColumnType.STRING,), ConfigureError)
        if target == column:
            return [spec.replace(column, PATH_TYPE)]
        return [spec.append((target, PATH_TYPE))]

    def _path(self, value: Any, s: StringToPathSettings) -> str | None:
        if is_missing(value):
            if s.fail_on_missing_values:
                raise NodeError("Selected column contains missing cell(s).", setting="fail_on_missing_values")
            return None
        text = str(value)
        if not text.strip():
            raise NodeError("Selected column contains empty string(s).", setting="selected_column_name")
        path = str(Path(s.relative_to) / text) if s.relative_to else text
        if s.fail_on_missing_file_folder and not Path(path).exists():
            raise NodeError(f"The file/folder '{text}' does not exist", setting="fail_on_missing_file_folder")
        return path

    def execute(self, inputs: list[Any], settings: StringToPathSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column, target, warning = _converted_column(table.spec, settings, (ColumnType.STRING,), NodeError)
        if warning:
            ctx.warn(warning)
        values = [self._path(v, settings) for v in table.df[column].to_numpy(dtype=object)]
        return [_with_converted(table, target, values, PATH_TYPE)]


# ----------------------------------------------------------------------- Create File/Folder Variables


class PathVariable(NodeSettings):
    """One row of KNIME's FSLocationVariableTableModel: variable name, path value, file extension."""

    name: str = Field(description="The variable's name.")
    value: str = Field("", description="The path below the base folder ('' is the base folder itself).")
    extension: str = Field("", description="A file extension ('.' is added when missing).")


class CreatePathVariablesSettings(NodeSettings):
    """KNIME's CreatePathVariablesNodeConfig: `base_folder` and `file_folder_variables`."""

    base_folder: str = Field(
        ".",
        description="The folder the paths are relative to (default: the workflow's folder; an imported "
        "workflow's data area is `${data_dir}`).",
        json_schema_extra=widget("file"),
    )
    variables: list[PathVariable] = Field(
        default_factory=lambda: [PathVariable(name="base_folder")],
        description="The Path variables to create: base folder / value + extension.",
    )


def _create_paths_from_knime(knime: KnimeSettings) -> None:
    """Since 4.3 `file_folder_variables` (variable_names, path_values, file_extensions); the 4.2
    Create Paths node kept `variable_names` and `variable_values`."""
    _chooser_folder(knime, "base_folder", "base_folder")
    table = "file_folder_variables"
    if table in knime.tree:
        names = seq(knime.get(f"{table}.variable_names"))
        values = seq(knime.get(f"{table}.path_values"))
        extensions = seq(knime.get(f"{table}.file_extensions"))
        knime.unread("variable_names", "path_values", "file_extensions", under=table)
    else:
        names, values = seq(knime.get("variable_names")), seq(knime.get("variable_values"))
        extensions = [""] * len(values)
        knime.paths["variable_values"] = "variables"
    if not len(names) == len(values) == len(extensions):
        knime.unreadable("the number of variable names, values and extensions differ")
        return
    rows = [
        {"name": n, "value": v or "", "extension": e or ""}
        for n, v, e in zip(names, values, extensions, strict=True)
    ]
    knime.put("variables", rows, table if table in knime.tree else "variable_names")
    knime.unread(under="base_folder.path")
    knime.unread("path", under="base_folder")
    knime.unread("base_folder")


def _variable_path(base: str, variable: PathVariable) -> str:
    """FSPath.resolve(value + extension): the base itself for '', an absolute value as it is."""
    ext = variable.extension
    if ext and not ext.startswith("."):
        ext = "." + ext
    location = variable.value + ext
    return str(Path(base) / location) if location else str(Path(base))


class CreatePathVariables(Node):
    type_name = "create_file_folder_variables"
    display_name = "Create File/Folder Variables"
    category = Category.SOURCE
    description = (
        "Creates Path flow variables, each the base folder joined with a path and an optional file extension "
        "(by default 'base_folder', the base folder itself)."
    )
    keywords = ("path", "variable", "file", "folder", "flow variable", "location")
    knime = (
        KnimeMapping(
            "org.knime.filehandling.utility.nodes.createpaths.CreatePathVariablesNodeFactory",
            "Create File/Folder Variables",
            _create_paths_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.filehandling.util.createpaths.CreatePathsNodeFactory",
            "Create Paths (4.2)",
            _create_paths_from_knime,
        ),
    )
    inputs = (Port(VARIABLES, "Flow variables", "Optional flow-variable input.", optional=True),)
    outputs = (Port(VARIABLES, "Path variables", "One Path variable per entry."),)
    Settings = CreatePathVariablesSettings
    path_settings = ("base_folder",)

    def configure_variables(
        self, in_specs: list[Any], settings: CreatePathVariablesSettings
    ) -> dict[str, str]:
        return {v.name: PATH_TYPE for v in settings.variables}

    def _check(self, settings: CreatePathVariablesSettings, cls: type[NodeError]) -> None:
        if not settings.base_folder:
            raise cls("Please specify a folder", setting="base_folder")
        if not settings.variables:
            raise cls("Please specify at least one variable to be created", setting="variables")
        if any(not v.name for v in settings.variables):
            raise cls("Please assign names to each flow variable to be created", setting="variables")

    def configure(
        self, in_specs: list[Any], settings: CreatePathVariablesSettings, ctx: NodeContext
    ) -> list[Any]:
        self._check(settings, ConfigureError)
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: CreatePathVariablesSettings, ctx: NodeContext
    ) -> list[Any]:
        self._check(settings, NodeError)
        for variable in settings.variables:
            ctx.push_variable(variable.name, _variable_path(settings.base_folder, variable), PATH_TYPE)
        return [None]
