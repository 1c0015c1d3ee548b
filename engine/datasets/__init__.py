"""The tutorial's workflows and data tables: where they are, where a workflow finds its data, how a
user gets a copy (`knitflow examples`) and the one file that cannot ship (QM9, `knitflow data fetch --qm9`).

The data tables are committed in the repository's `data/` and carried by the wheel as
`engine/datasets/data/` (the workflows as `engine/datasets/workflows/`, see pyproject.toml's
package-dir). A checkout (editable install included) uses the repository's own folders.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_DIR_VARIABLE",
    "QM9_FILE",
    "TUTORIAL_FILES",
    "WORKFLOWS",
    "DataDirChoice",
    "choose_data_dir",
    "default_fetch_dir",
    "examples_data_dir",
    "examples_workflows_dir",
    "fetch",
    "missing_file_hint",
    "project_data_dir",
    "write_examples",
]

Log = Callable[[str], Any]

DATA_DIR_VARIABLE = "data_dir"
QM9_FILE = "qm9.csv"
_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parents[1]


@dataclass(frozen=True)
class Dataset:
    file: str
    used_by: str
    description: str


# Every file of data/ that ships (data/README.md has the full table); a test keeps this list and
# the folder equal.
TUTORIAL_FILES: tuple[Dataset, ...] = (
    Dataset(
        "ZB_WZ_dE_rawdescriptor.csv", "10_01, 10_02, 10_03", "82 × 21 zinc-blende/wurtzite energy differences"
    ),
    Dataset("maxphase_property.csv", "11_01", "107 × 107 MAX-phase properties"),
    Dataset("maxphase_property.source", "11_01", "citation of the MAX-phase data"),
    Dataset("simple_existence.csv", "12_01", "10 × 20 toy 0/1 existence matrix"),
    Dataset("group131415_div1.csv", "12_02", "46 × 39 compound-existence matrix"),
    Dataset("x15_sin.csv", "series 01, 02_01 … 02_11", "50 × 7 regression toy data"),
    Dataset("x15_sin_new.csv", "series 02_05", "new rows for x15_sin.csv"),
    Dataset("TC_ReCo_detail_descriptor.csv", "series 02_20, 02_21", "rare-earth/cobalt Curie temperatures"),
    Dataset("Fe2_descriptor.csv", "series 03_01, 03_02, 05_01", "Fe structure descriptors"),
    Dataset("mono_structure_str.csv", "series 04_01, 04_02", "elements and their crystal structures"),
    Dataset("Fe2_descriptor_newdata.csv", "-", "new rows for Fe2_descriptor.csv"),
    Dataset("Carbon8_descriptor.csv", "-", "carbon structure descriptors"),
    Dataset("Carbon8_descriptor_selected.csv", "-", "selected carbon structure descriptors"),
    Dataset("carbon8_nn_atom.csv", "-", "carbon nearest-neighbour atoms"),
    Dataset("Epitaxial-thin-filmgrowth.csv", "-", "thin-film growth conditions"),
    Dataset("ZB_WZ_dE_3var.csv", "-", "three descriptors of the ZB/WZ data"),
    Dataset("group131415_div2.csv", "-", "compound-existence matrix by composition"),
    Dataset("group131415_elm1elm2.csv", "-", "compounds and their elements"),
)
_DATA_DOCS = ("README.md",)

WORKFLOWS: tuple[str, ...] = (
    "10_01_ZB_WZ.yaml",
    "10_02_ZB_WZ_regression.yaml",
    "10_03_conversion_regression.yaml",
    "11_01_randomforest_maxphase.yaml",
    "12_01_SVD_toymodel.yaml",
    "12_02_SVD_material.yaml",
    "13_01_SMILES_RDkit.yaml",
)


# ------------------------------------------------------------------------------------ locations


def _installed(folder: str) -> Path | None:
    """`engine/datasets/<folder>` of an installed wheel, else the repository's `<folder>`."""
    for candidate in (_PACKAGE_DIR / folder, _REPO_ROOT / folder):
        if candidate.is_dir():
            return candidate
    return None


def examples_data_dir() -> Path | None:
    """The data tables that came with knitflow (a checkout's `data/` or the package's copy)."""
    return _installed("data")


def examples_workflows_dir() -> Path | None:
    """The tutorial workflows that came with knitflow."""
    return _installed("workflows")


def _checkout_data_dir() -> Path | None:
    """The repository's `data/` when knitflow runs from a source checkout (editable install)."""
    if (_REPO_ROOT / "pyproject.toml").is_file() and (_REPO_ROOT / "data").is_dir():
        return _REPO_ROOT / "data"
    return None


def project_data_dir() -> Path:
    """The data folder a user works with: `$KNITFLOW_DATA`, else the examples data."""
    env = os.environ.get("KNITFLOW_DATA")
    if env:
        return Path(env)
    return examples_data_dir() or Path("data").resolve()


def default_fetch_dir() -> Path:
    """Where `knitflow data fetch` writes without `--to`: `$KNITFLOW_DATA`, a checkout's `data/`,
    else `./data`; never the installed package."""
    env = os.environ.get("KNITFLOW_DATA")
    if env:
        return Path(env)
    return _checkout_data_dir() or Path("data").resolve()


def _inside_installed_packages(path: Path) -> bool:
    """True for a folder inside site-packages (or inside knitflow's own `engine` package)."""
    import site

    roots = [Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")]
    roots += [Path(site.getusersitepackages()), _PACKAGE_DIR.parent]
    resolved = path.resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


# ------------------------------------------------------------------------- the data lookup order


@dataclass(frozen=True)
class DataDirChoice:
    path: Path
    reason: str  # "set", "KNITFLOW_DATA", "workflow", "examples"


def choose_data_dir(
    declared: str | None,
    base_dir: Path,
    explicit: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> DataDirChoice | None:
    """The folder a workflow's `data_dir` stands for, in the documented order (data/README.md):
    the value the user set, `$KNITFLOW_DATA`, the workflow's own folder (its declared default,
    `../data`) when it exists, the examples data that came with knitflow. None: the workflow
    declares no `data_dir` and the user set none."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return DataDirChoice(_relative_to(base_dir, explicit), "set")
    if declared is None:
        return None
    if environ.get("KNITFLOW_DATA"):
        return DataDirChoice(Path(environ["KNITFLOW_DATA"]).resolve(), "KNITFLOW_DATA")
    own = _relative_to(base_dir, str(declared))
    if own.is_dir():
        return DataDirChoice(own, "workflow")
    shipped = examples_data_dir()
    if shipped is not None:
        return DataDirChoice(shipped, "examples")
    return DataDirChoice(own, "workflow")


def _relative_to(base_dir: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base_dir / path).resolve()


def data_dir_override(
    variables: Mapping[str, Any], base_dir: Path, sets: Mapping[str, Any], log: Log | None = None
) -> dict[str, str]:
    """The `data_dir` value to pass to a run (empty when the workflow's own default applies)."""
    explicit = sets.get(DATA_DIR_VARIABLE)
    declared = variables.get(DATA_DIR_VARIABLE)
    if declared is not None and not isinstance(declared, str):
        return {}  # not a folder: the run reports the workflow's own variable as it is
    choice = choose_data_dir(
        None if declared is None else str(declared), base_dir, None if explicit is None else str(explicit)
    )
    if choice is None or choice.reason in ("set", "workflow"):
        return {}
    if log is not None:
        why = "$KNITFLOW_DATA" if choice.reason == "KNITFLOW_DATA" else "the examples data of knitflow"
        log(f"data_dir = {choice.path} ({why}; --set data_dir=DIR to change)")
    return {DATA_DIR_VARIABLE: str(choice.path)}


# ------------------------------------------------------------------------------ knitflow examples


def write_examples(target: Path, *, force: bool = False, log: Log = print) -> list[Path]:
    """Write the seven tutorial workflows into `target` (the series' parts into `target/series`) and
    their data into `target/data`; each workflow's `data_dir` is rewritten to point there. Files that
    exist with other content are kept unless `force`."""
    workflows, data = examples_workflows_dir(), examples_data_dir()
    if workflows is None or data is None:
        raise FileNotFoundError("this knitflow installation carries no examples (engine/datasets/workflows)")
    files: list[tuple[Path, bytes]] = []
    for path in [*(workflows / name for name in WORKFLOWS), *sorted((workflows / "series").glob("*.yaml"))]:
        depth = len(path.relative_to(workflows).parts) - 1  # 0: workflows/, 1: workflows/series/
        old = f"\n  {DATA_DIR_VARIABLE}: {'../' * (depth + 1)}data\n"
        new = f"\n  {DATA_DIR_VARIABLE}: {'../' * depth}data\n"
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise ValueError(f"{path.name}: expected one `{old.strip()}` variable")
        files.append((target / path.relative_to(workflows), text.replace(old, new).encode("utf-8")))
    n_flows = len(files)
    for name in [d.file for d in TUTORIAL_FILES] + list(_DATA_DOCS):
        files.append((target / "data" / name, (data / name).read_bytes()))
    clashes = [p for p, content in files if p.exists() and p.read_bytes() != content]
    if clashes and not force:
        raise FileExistsError(
            f"{len(clashes)} file(s) in {target} differ from the examples (e.g. {clashes[0].name}); "
            "pass --force to overwrite them"
        )
    written = []
    for path, content in files:
        if path.exists() and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(path, content)
        written.append(path)
    log(
        f"{n_flows} workflows in {target} (series/: the series' parts), {len(files) - n_flows} data files in "
        f"{target / 'data'}"
    )
    return written


def _write_bytes(path: Path, content: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------- knitflow data fetch


def fetch(
    dest: Path | None = None,
    source: Path | None = None,
    qm9: bool = False,
    log: Log = print,
) -> list[Path]:
    """`--from DIR`: copy the tutorial files found in DIR; `--qm9`: build qm9.csv from qm9pack.
    Each works on its own. Returns the files written or checked."""
    dest = (dest or default_fetch_dir()).resolve()
    if _inside_installed_packages(dest):
        raise PermissionError(
            f"{dest} is inside the installed knitflow package; pass --to DIR (or set KNITFLOW_DATA)"
        )
    written: list[Path] = []
    if source is not None:
        written += _copy_from(source, dest, log)
    if qm9:
        from engine.datasets.qm9 import write_qm9_csv

        target = dest / QM9_FILE
        write_qm9_csv(target)
        written.append(target)
        log(f"  {QM9_FILE:32s} <- qm9pack (GAP, HOMO, LUMO converted to eV)")
    return written


def _copy_from(source: Path, dest: Path, log: Log) -> list[Path]:
    if not source.is_dir():
        raise FileNotFoundError(f"--from {source}: no such folder")
    found = [ds.file for ds in TUTORIAL_FILES if (source / ds.file).is_file()]
    if (source / QM9_FILE).is_file():
        found.append(QM9_FILE)
    if not found:
        raise FileNotFoundError(
            f"--from {source}: none of the tutorial's files is there (e.g. {TUTORIAL_FILES[0].file})"
        )
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in found:
        src, target = source / name, dest / name
        if src.resolve() != target.resolve() and (
            not target.exists() or target.read_bytes() != src.read_bytes()
        ):
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(src, tmp)
            os.replace(tmp, target)
        written.append(target)
        log(f"  {name:32s} <- {src}")
    return written


def status(dest: Path | None = None) -> list[str]:
    """What `knitflow data fetch` without options says: where the data is and what is missing."""
    shipped = examples_data_dir()
    dest = (dest or default_fetch_dir()).resolve()
    lines = [
        f"the tutorial's data tables came with knitflow: {shipped}"
        if shipped
        else "this installation carries no tutorial data",
    ]
    if os.environ.get("KNITFLOW_DATA"):
        lines.append(f"KNITFLOW_DATA = {os.environ['KNITFLOW_DATA']} (workflows read their data there)")
    found = next((d / QM9_FILE for d in (dest, shipped) if d is not None and (d / QM9_FILE).is_file()), None)
    lines.append(f"{QM9_FILE} (13_01): " + (f"present, {found}" if found else "missing"))
    lines.append(
        f"QM9 is built, not shipped: `knitflow data fetch --qm9` writes {dest / QM9_FILE} "
        "(needs `pip install 'knitflow[qm9]'`)"
    )
    lines.append("your own copy of the data: `knitflow data fetch --from DIR`")
    return lines


def missing_file_hint(path: str | Path) -> str:
    name = Path(path).name
    if name == QM9_FILE:
        return "run `pip install 'knitflow[qm9]'` and `knitflow data fetch --qm9` to create it"
    if any(ds.file == name for ds in TUTORIAL_FILES):
        return (
            "the file ships with knitflow (data/); `knitflow examples DIR` writes a copy with the workflows"
        )
    return "check the path"
