"""The tutorial's datasets: what they are and how to get them into `data/` (they are never committed)."""

from __future__ import annotations

import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from engine.core.yamlio import atomic_write


@dataclass(frozen=True)
class Dataset:
    file: str
    used_by: str
    description: str


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "ZB_WZ_dE_rawdescriptor.csv", "10_01, 10_02, 10_03", "82 × 21 zinc-blende/wurtzite energy differences"
    ),
    Dataset("maxphase_property.csv", "11_01", "107 × 107 MAX-phase properties"),
    Dataset("maxphase_property.source", "11_01", "citation of the MAX-phase data"),
    Dataset("simple_existence.csv", "12_01", "10 × 20 toy 0/1 existence matrix"),
    Dataset("group131415_div1.csv", "12_02", "46 × 39 compound-existence matrix"),
    Dataset("LICENSE.tutorial", "all", "licence of the tutorial material (Apache 2.0)"),
)

QM9_FILE = "qm9.csv"


def project_data_dir() -> Path:
    """`data/` beside the workflows: the repository's own when run from a checkout."""
    env = os.environ.get("KNITFLOW_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2]
    return here / "data"


def default_sources() -> list[Path]:
    candidates = []
    env = os.environ.get("KNITFLOW_DATA_SOURCE")
    if env:
        candidates.append(Path(env))
    root = Path(__file__).resolve().parents[2]
    candidates += [root.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    return [c for c in candidates if c.is_dir()]


def fetch(
    dest: Path | None = None,
    source: Path | None = None,
    url: str | None = None,
    qm9: bool = False,
    log: callable = print,  # type: ignore[valid-type]
) -> list[Path]:
    """Copy (or download) every dataset into `dest`; returns the files written."""
    dest = dest or project_data_dir()
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    sources = [source] if source else default_sources()
    for ds in DATASETS:
        target = dest / ds.file
        found = next((s / ds.file for s in sources if (s / ds.file).exists()), None)
        if found is not None:
            if not target.exists() or target.read_bytes() != found.read_bytes():
                tmp = target.with_suffix(target.suffix + ".part")
                shutil.copyfile(found, tmp)
                os.replace(tmp, target)
            written.append(target)
            log(f"  {ds.file:32s} <- {found}")
        elif url:
            with urllib.request.urlopen(f"{url.rstrip('/')}/{ds.file}", timeout=60) as resp:  # noqa: S310
                atomic_write(target, resp.read())
            written.append(target)
            log(f"  {ds.file:32s} <- {url}")
        else:
            raise FileNotFoundError(
                f"{ds.file} not found in {', '.join(map(str, sources)) or 'any source folder'}; "
                "pass --from DIR (a folder holding the tutorial's data) or --url BASE_URL"
            )
    if qm9:
        from engine.datasets.qm9 import write_qm9_csv

        target = dest / QM9_FILE
        write_qm9_csv(target)
        written.append(target)
        log(f"  {QM9_FILE:32s} <- qm9pack (GAP, HOMO, LUMO converted to eV)")
    return written


def missing_file_hint(path: str | Path) -> str:
    name = Path(path).name
    if name == QM9_FILE:
        return "run `pip install knitflow[qm9]` and `knitflow data fetch --qm9` to create it"
    if any(ds.file == name for ds in DATASETS):
        return "run `knitflow data fetch` (or `knitflow data fetch --from DIR`) to copy the tutorial data into data/"
    return "check the path"
