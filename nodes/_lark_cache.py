"""LALR parsers for the expression languages whose grammar analysis is kept on disk: building a
grammar's tables takes ~60 ms each, loading them ~4 ms, and a cold `knitflow run` pays that for
every language its nodes use. The file sits in the user's cache folder (not a shared /tmp, as it is
a pickle), is named by a digest of the grammar, its options and the lark version, and appears
atomically, so parallel runs never read half a file. Without a writable cache folder the grammar is
simply built."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any


def lalr_parser(grammar: str, **options: Any) -> Any:
    import lark

    path = _cache_file(grammar, options, lark.__version__)
    if path is None or path.exists():
        return lark.Lark(grammar, parser="lalr", cache=str(path) if path else False, **options)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    parser = lark.Lark(grammar, parser="lalr", cache=str(fresh), **options)
    try:
        os.replace(fresh, path)
    except OSError:
        fresh.unlink(missing_ok=True)
    return parser


def _cache_file(grammar: str, options: dict[str, Any], version: str) -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "knitflow" / "grammars"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    key = repr((grammar, sorted(options.items()), version)).encode()
    return folder / f"lark-{hashlib.sha256(key).hexdigest()[:24]}.pickle"
