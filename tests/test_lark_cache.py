"""The expression languages' LALR tables are kept in the user's cache folder: the same parses from a
fresh build and from the file, one file per grammar, and no cache where the folder is not writable."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodes._lark_cache import lalr_parser

GRAMMAR = """
start: NUMBER ("+" NUMBER)*
%import common.NUMBER
%ignore " "
"""


def test_the_second_parser_comes_from_the_file_and_parses_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = lalr_parser(GRAMMAR, propagate_positions=True)
    (file,) = (tmp_path / "knitflow" / "grammars").iterdir()
    assert file.name.startswith("lark-") and file.suffix == ".pickle"
    loaded = lalr_parser(GRAMMAR, propagate_positions=True)
    assert loaded.parse("1 + 2 + 3") == built.parse("1 + 2 + 3")
    lalr_parser(GRAMMAR + "\n", propagate_positions=True)  # another grammar, another file
    assert len(list((tmp_path / "knitflow" / "grammars").iterdir())) == 2


def test_a_damaged_cache_file_is_rebuilt_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    lalr_parser(GRAMMAR)
    (file,) = (tmp_path / "knitflow" / "grammars").iterdir()
    file.write_bytes(b"not a cache\n")
    assert lalr_parser(GRAMMAR).parse("4 + 5").children[1] == "5"


def test_no_writable_cache_folder_builds_the_grammar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert lalr_parser(GRAMMAR).parse("7").children == ["7"]
