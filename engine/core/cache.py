"""Result caches keyed by what determines a node's output (`engine.core.keys`). In memory for the
Python API and the editor; on disk for `knitflow run --cache DIR`.

A cache is only an optimisation, so it never makes a run fail and never lies:
- every disk entry carries the key it was written for and an HMAC of its content under a secret
  of the user's own (a corrupted entry, or one planted by someone who cannot read that secret,
  does not verify and is recomputed, with a warning);
- tables are stored as Arrow IPC streams (data, not code); other objects (models, views) are
  pickled, but only ever unpickled after the HMAC verified;
- a folder that cannot be read or written, a broken index, a full disk: one warning, and the run
  goes on without that part of the cache.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import pickle
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api import Table
from engine.core.variables import VarEntry, jsonable
from engine.core.yamlio import atomic_write

MAGIC = b"KNITFLOW-CACHE 2\n"


@dataclass
class CachedResult:
    outputs: list[Any]
    pushed: list[VarEntry]
    # files the node read (traced or declared) or wrote -> their fingerprints after it ran: the
    # result is stale once one of them changes
    touched: dict[str, str] = field(default_factory=dict)
    # a loop's body nodes: the outputs a run shows (None at the ports it does not), last pass
    body: dict[int, list[Any]] = field(default_factory=dict)


class MemoryCache:
    def __init__(self) -> None:
        self._results: dict[str, CachedResult] = {}
        self._parts: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.warnings: list[str] = []  # problems met (each once); the run reports them

    def warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def get(self, key: str) -> CachedResult | None:
        with self._lock:
            return self._results.get(key)

    def put(self, key: str, result: CachedResult) -> None:
        with self._lock:
            self._results[key] = result

    def discard(self, *keys: str) -> int:
        """Forget results so that the nodes they belong to are computed again (the editor's reset);
        returns how many were held."""
        with self._lock:
            return sum(self._results.pop(k, None) is not None for k in keys)

    def last_parts(self, scope: str) -> dict[str, Any] | None:
        with self._lock:
            return self._parts.get(scope)

    def set_last_parts(self, scope: str, parts: dict[str, Any]) -> None:
        with self._lock:
            self._parts[scope] = parts

    def flush(self) -> None:
        pass


class DiskCache(MemoryCache):
    """Entries under DIR/<key>.kfc (see the module docstring); the key parts each node last ran
    with in DIR/index.json, so a later run can say why a node runs again."""

    def __init__(self, directory: str | Path, secret: bytes | None = None) -> None:
        super().__init__()
        self.dir = Path(directory)
        self._secret = secret
        self.writable = True
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.writable = False
            self.warn(
                f"cache folder {self.dir} cannot be created ({exc.strerror or exc}); running without it"
            )
            return
        self._parts = self._read_index()

    # ------------------------------------------------------------------------------- index

    def _read_index(self) -> dict[str, dict[str, Any]]:
        index = self.dir / "index.json"
        if not index.exists() and not index.is_symlink():
            return {}
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.warn(f"cache index {index} is unreadable ({type(exc).__name__}); starting a new one")
            return {}
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            self.warn(f"cache index {index} is not a mapping of key parts; starting a new one")
            return {}
        return data

    def flush(self) -> None:
        if not self.writable:
            return
        with self._lock:
            text = json.dumps(self._parts, sort_keys=True, indent=1, default=repr)
        self._write(self.dir / "index.json", text.encode())

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write(path, data)
        except OSError as exc:
            self.writable = False
            self.warn(
                f"cannot write to cache folder {self.dir} ({exc.strerror or exc}); results are not kept"
            )

    # ------------------------------------------------------------------------------ entries

    def _path(self, key: str) -> Path:
        return self.dir / f"{key}.kfc"

    def get(self, key: str) -> CachedResult | None:
        hit = super().get(key)
        if hit is not None or "/" in key:
            return hit
        path = self._path(key)
        if not path.exists():
            return None
        try:
            result = self._decode(key, path.read_bytes())
        except (OSError, ValueError, KeyError, TypeError, EOFError, pickle.UnpicklingError) as exc:
            self.warn(f"cache entry {path.name} discarded ({exc}); its node is computed again")
            return None
        super().put(key, result)
        return result

    def put(self, key: str, result: CachedResult) -> None:
        super().put(key, result)
        if not self.writable:
            return
        try:
            data = self._encode(key, result)
        except Exception:
            return  # objects that cannot be stored (a live Spark frame) stay in memory only
        self._write(self._path(key), data)

    def discard(self, *keys: str) -> int:
        held = 0
        for key in keys:
            in_memory = super().discard(key)
            path = self._path(key)
            on_disk = "/" not in key and path.is_file()
            if on_disk:
                try:
                    path.unlink()
                except OSError:
                    pass
            held += bool(in_memory or on_disk)
        return held

    # ------------------------------------------------------------------------------ format

    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = user_secret()
        return self._secret

    def _encode(self, key: str, result: CachedResult) -> bytes:
        blobs: list[bytes] = []
        outputs = []
        flat = [*result.outputs, *(obj for objs in result.body.values() for obj in objs)]
        for obj in flat:
            kind, blob = _encode_object(obj)
            outputs.append({"kind": kind, "size": len(blob)})
            blobs.append(blob)
        pushed = [[e.name, jsonable(e.value), e.type, list(e.scope)] for e in result.pushed]
        exact = all(jsonable(e.value) == e.value for e in result.pushed)
        if not exact:
            blob = pickle.dumps(result.pushed, protocol=pickle.HIGHEST_PROTOCOL)
            blobs.append(blob)
        header = {
            "key": key,
            "outputs": outputs,
            "pushed": pushed,
            "pushed_pickle": not exact,
            "touched": result.touched,
            "body": [[n, len(objs)] for n, objs in result.body.items()],
        }
        head = json.dumps(header, sort_keys=True).encode()
        body = b"".join(blobs)
        mac = hmac.new(self.secret(), head + b"\n" + body, hashlib.sha256).hexdigest().encode()
        return MAGIC + mac + b"\n" + head + b"\n" + body

    def _decode(self, key: str, data: bytes) -> CachedResult:
        if not data.startswith(MAGIC):
            raise ValueError("not a knitflow cache entry")
        mac, _, rest = data[len(MAGIC) :].partition(b"\n")
        head, _, body = rest.partition(b"\n")
        expected = hmac.new(self.secret(), head + b"\n" + body, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(mac, expected):
            raise ValueError("checksum does not match its content")
        header = json.loads(head)
        if header["key"] != key:
            raise ValueError(f"written for key {header['key']}, not {key}")
        outputs = []
        offset = 0
        for item in header["outputs"]:
            blob = body[offset : offset + item["size"]]
            offset += item["size"]
            outputs.append(_decode_object(item["kind"], blob))
        if header["pushed_pickle"]:
            pushed = pickle.loads(body[offset:])
        else:
            pushed = [VarEntry(n, v, t, tuple(s)) for n, v, t, s in header["pushed"]]
        loop_body: dict[int, list[Any]] = {}
        count = len(outputs) - sum(size for _, size in header["body"])
        flat, outputs = outputs[count:], outputs[:count]
        for n, size in header["body"]:
            loop_body[int(n)], flat = flat[:size], flat[size:]
        return CachedResult(outputs, pushed, dict(header["touched"]), loop_body)


def _encode_object(obj: Any) -> tuple[str, bytes]:
    if obj is None:
        return "none", b""
    if isinstance(obj, Table) and not obj.sparse_columns:  # a sparse table pickles as its sparse matrix
        try:
            return "table", _table_to_arrow(obj)
        except Exception:
            pass  # a column Arrow cannot hold (e.g. bit vectors): pickled below, under the HMAC
    return "pickle", pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _decode_object(kind: str, blob: bytes) -> Any:
    if kind == "none":
        return None
    if kind == "table":
        return _table_from_arrow(blob)
    if kind == "pickle":
        return pickle.loads(blob)
    raise ValueError(f"unknown object kind {kind!r}")


def _table_to_arrow(table: Table) -> bytes:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    df = table.df
    arrow = pa.Table.from_pandas(df, preserve_index=True)
    arrow = arrow.replace_schema_metadata(
        {**(arrow.schema.metadata or {}), b"knitflow.types": json.dumps(table.types).encode()}
    )
    sink = io.BytesIO()
    with ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return sink.getvalue()


def _table_from_arrow(blob: bytes) -> Table:
    import pyarrow.ipc as ipc

    arrow = ipc.open_stream(blob).read_all()
    types = json.loads(arrow.schema.metadata[b"knitflow.types"])
    return Table(arrow.to_pandas(), types)


def user_secret() -> bytes:
    """The user's own secret for cache HMACs: ~/.config/knitflow/cache-secret (or
    $KNITFLOW_CONFIG_DIR/cache-secret), created owner-only on first use."""
    folder = Path(os.environ.get("KNITFLOW_CONFIG_DIR") or Path.home() / ".config" / "knitflow")
    path = folder / "cache-secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except OSError:
        pass
    secret = secrets.token_bytes(32)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret)
    except OSError:
        pass  # an unwritable home: this process's secret still protects this run
    return secret
