"""Model Writer and Model Reader: any knitflow model saved to a file and loaded back.

KNIME's Model Writer serialises a port object into a zip file that only KNIME can read back;
knitflow's writer does the same for its own models: a zip holding `header.json` (the format, the
model's kind, its port type and summary), `spec.pickle` (what the model promises at configure
time) and `model.pickle` (the model). It is written atomically, so a failed write never leaves
half a file. The reader checks the header, gives the spec to the nodes after it at configure time
and the model at run time. Like any pickle, a model file can run code when it is read: read only
files you trust. KNIME's own model files cannot be read (the reader says so).
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from engine.api import (
    MODEL,
    UNKNOWN,
    Category,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    port_spec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, file_name, get
from nodes._file_output import (
    FileOutputSettings,
    ModelFileWriter,
    chooser_policy_from_knime,
    legacy_overwrite_from_knime,
)

FORMAT = "knitflow-model"
FORMAT_VERSION = 1
HEADER, SPEC, PAYLOAD = "header.json", "spec.pickle", "model.pickle"
_CHOOSER = "filechooser"
_CHOOSER_READ = ("filter_mode", "file_system_chooser__Internals")  # checked in `_chooser_file`


def model_port_type(model: Model) -> str:
    """The port type a model travels on: `model.<kind>` when such a port type exists, else `model`."""
    candidate = f"{MODEL.id}.{model.kind}"
    return candidate if candidate in PortType.all() else MODEL.id


def model_file_bytes(model: Model) -> bytes:
    """The model file's content; a model that cannot be pickled (a Spark model lives in its session)
    fails naming its kind."""
    try:
        payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        spec = pickle.dumps(model.spec, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise NodeError(f"a {model.kind} model cannot be saved to a file: {exc}") from None
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "kind": model.kind,
        "port_type": model_port_type(model),
        "summary": model.summary,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(HEADER, json.dumps(header, indent=1))
        archive.writestr(SPEC, spec)
        archive.writestr(PAYLOAD, payload)
    return buffer.getvalue()


def _open(path: Path) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    """The model file and its header; anything else fails naming the file."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise NodeError(f'Failed to extract object from "{path}": {exc}', setting="file") from None
    try:
        header = json.loads(archive.read(HEADER))
    except (KeyError, ValueError):
        header = {}
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        archive.close()
        raise NodeError(
            f'"{path}" is not a knitflow model file (KNIME\'s own model files cannot be read)', setting="file"
        )
    if header.get("version") != FORMAT_VERSION:
        archive.close()
        raise NodeError(f'"{path}" is a model file of version {header.get("version")}, not {FORMAT_VERSION}')
    return archive, header


def read_model_file(path: Path, part: str = PAYLOAD) -> tuple[dict[str, Any], Any]:
    """(header, the unpickled model or spec) of a model file."""
    archive, header = _open(path)
    with archive:
        try:
            return header, pickle.loads(archive.read(part))
        except Exception as exc:  # a class that no longer exists, a truncated pickle
            raise NodeError(f'Failed to extract object from "{path}": {exc}', setting="file") from None


# -------------------------------------------------------------------------------------- writer


class ModelWriterSettings(FileOutputSettings):
    """KNIME's ModelWriterNodeConfig (`filechooser`); the legacy writer's `filename` and
    `overwriteOK` are read into it."""

    file: str = Field(
        "", description="The model file (.model or .zip); relative paths are resolved against the workflow."
    )


def _writer_from_knime(knime: KnimeSettings) -> None:
    """ModelWriterNodeFactory (file handling, 4.2 on): `filechooser`; the legacy writers
    (PortObjectWriter, PredictorWriter): `filename`, `overwriteOK` (true when absent, before 2.1)."""
    if _CHOOSER not in knime.tree:
        _legacy_file(knime, "filename")
        legacy_overwrite_from_knime(knime)
        knime.unread()
        return
    _chooser_file(knime)
    chooser_policy_from_knime(knime, _CHOOSER)
    knime.unread(*_CHOOSER_READ, under=_CHOOSER)
    knime.unread()


def _legacy_file(knime: KnimeSettings, key: str, *, reader: bool = False) -> None:
    path = knime.tree.get(key)
    if not isinstance(path, str) or not path:
        knime.unreadable("no file in the settings")
        return
    _put_file(knime, path, key, reader)


def _chooser_file(knime: KnimeSettings, *, reader: bool = False) -> None:
    path = get(knime.tree, f"{_CHOOSER}.path.path")
    if not isinstance(path, str) or not path:
        knime.unreadable("no file in the settings")
        return
    _put_file(knime, path, f"{_CHOOSER}.path", reader)
    if get(knime.tree, f"{_CHOOSER}.file_system_chooser__Internals.has_fs_port"):
        knime.lost("a file system connection port is not supported; a local file is used")
    if get(knime.tree, f"{_CHOOSER}.filter_mode.filter_mode", "FILE") != "FILE":
        knime.lost("reading a folder of models is not supported; the path is read as one file")


def _put_file(knime: KnimeSettings, path: str, key: str, reader: bool) -> None:
    """A writer's file goes beside the workflow; a reader's lives in `${data_dir}` unless a flow
    variable sets the path."""
    name = file_name(path) or ""
    value = f"${{data_dir}}/{name}" if reader and key not in knime.variables else name
    knime.put("file", value, key)
    knime.note(f"model file {path!r} imported as {value!r}")


class ModelWriter(ModelFileWriter):
    """KNIME's Model Writer."""

    type_name = "model_writer"
    display_name = "Model Writer"
    description = (
        "Saves the model at its input to a file (a zip holding the model, its spec and a header naming its kind "
        "and port type), replacing an existing file atomically when allowed; the Model Reader loads it back."
    )
    keywords = ("model", "write", "save", "export", "persist", "pickle")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.model.writer.ModelWriterNodeFactory",
            "Model Writer",
            _writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.predictor.PredictorWriterNodeFactory",
            "Model Writer (legacy)",
            _writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.portobject.PortObjectWriterNodeFactory",
            "Model Writer (port object)",
            _writer_from_knime,
        ),
    )
    inputs = (Port(MODEL, "Model", "The model to save."),)
    Settings = ModelWriterSettings
    no_file = "No file name provided! Please enter a valid file name."
    not_a_file = 'File name "{path}" is not valid. Please enter a valid file name.'

    def content(self, model: Model, settings: ModelWriterSettings) -> bytes:
        return model_file_bytes(model)


# -------------------------------------------------------------------------------------- reader


class ModelReaderSettings(NodeSettings):
    """KNIME's ModelReaderNodeConfig (`filechooser`); the legacy reader's `filename` is read into
    `file`. `port_type` is knitflow's: the port the model leaves on."""

    file: str = Field("", description="The model file written by a Model Writer.")
    port_type: str = Field(
        MODEL.id,
        description="The output's port type: `model` feeds nodes that take any model; a specific one (e.g. "
        "`model.naive_bayes`) feeds that family's predictor. The file's model must fit it.",
    )


def _reader_from_knime(knime: KnimeSettings) -> None:
    """ModelReaderNodeFactory (`filechooser`); PortObjectReader / PredictorReader (`filename`)."""
    if _CHOOSER in knime.tree:
        _chooser_file(knime, reader=True)
        knime.unread(*_CHOOSER_READ, under=_CHOOSER)
    else:
        _legacy_file(knime, "filename", reader=True)
    knime.note("the model file must have been written by knitflow's Model Writer")
    knime.unread()


def _declared_port(settings: Mapping[str, Any] | None) -> PortType:
    wanted = (settings or {}).get("port_type")
    if not isinstance(wanted, str) or wanted == MODEL.id or not wanted.startswith(MODEL.id + "."):
        return MODEL
    return PortType.all().get(wanted) or PortType(wanted, wanted, MODEL.color, MODEL.shape)


class ModelReader(Node):
    """KNIME's Model Reader."""

    type_name = "model_reader"
    display_name = "Model Reader"
    category = Category.SOURCE
    description = (
        "Loads a model saved by the Model Writer. The output is a generic model port unless `port_type` names "
        "the model's own (e.g. model.naive_bayes, to feed its predictor); the file's model must fit it."
    )
    keywords = ("model", "read", "load", "import", "persist", "pickle")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.model.reader.ModelReaderNodeFactory",
            "Model Reader",
            _reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.predictor.PredictorReaderNodeFactory",
            "Model Reader (legacy)",
            _reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.portobject.PortObjectReaderNodeFactory",
            "Model Reader (port object)",
            _reader_from_knime,
        ),
    )
    outputs = (Port(MODEL, "Model", "The model read from the file."),)
    Settings = ModelReaderSettings
    path_settings = ("file",)

    @classmethod
    def ports_for(
        cls, settings: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        port = _declared_port(settings)
        if port is MODEL:
            return cls.inputs, cls.outputs
        return cls.inputs, (Port(port, "Model", f"The {port.id} model read from the file."),)

    def _check_fits(
        self, header: dict[str, Any], settings: ModelReaderSettings, cls: type[NodeError]
    ) -> None:
        declared = _declared_port(settings.model_dump())
        stored = str(header.get("port_type") or MODEL.id)
        if not declared.accepts(PortType(stored, stored)):
            raise cls(
                f"the file holds a {header.get('kind')} model (port {stored}), which does not fit port_type "
                f"{declared.id}",
                setting="port_type",
            )

    def configure(self, in_specs: list[Any], settings: ModelReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("No file set.", setting="file")
        path = Path(settings.file)
        if not path.is_file():
            return [UNKNOWN]  # e.g. written by a Model Writer earlier in the run
        try:
            header, spec = read_model_file(path, SPEC)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None
        self._check_fits(header, settings, ConfigureError)
        if isinstance(spec, ModelSpec):
            return [spec]
        try:  # an older model family hands its predictor the model itself at configure time
            return [port_spec(read_model_file(path)[1])]
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None

    def execute(self, inputs: list[Any], settings: ModelReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise NodeError("No file set.", setting="file")
        path = Path(settings.file)
        if not path.is_file():
            raise NodeError(f'Failed to extract object from "{path}": no such file', setting="file")
        header, model = read_model_file(path)
        if not isinstance(model, Model):
            raise NodeError(f'"{path}" does not hold a model', setting="file")
        self._check_fits(header, settings, NodeError)
        return [model]
