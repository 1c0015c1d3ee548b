"""Fails when a function or class in engine/ or nodes/ ranks worse than C in cyclomatic complexity
(radon: D from 21) without a comment directly above it (above its decorators) that starts with
`# complexity:` and says why it must stay so (e.g. a line-by-line port of Java numerics)."""

from __future__ import annotations

import sys
from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("engine", "nodes")
WORST_ALLOWED = "C"


def _blocks(tree: list) -> list:
    """Functions, classes, methods and closures, each once."""
    seen: dict[tuple[int, str], object] = {}
    for block in tree:
        seen.setdefault((block.lineno, block.name), block)
        for inner in _blocks([*getattr(block, "methods", []), *getattr(block, "closures", [])]):
            seen.setdefault((inner.lineno, inner.name), inner)
    return list(seen.values())


def _explained(lines: list[str], lineno: int) -> bool:
    """Whether the lines above the block's first line (skipping its decorators) hold the reason."""
    i = lineno - 2  # 0-based index of the line above the `def`/`class`
    while i >= 0 and lines[i].lstrip().startswith("@"):
        i -= 1
    return i >= 0 and lines[i].lstrip().startswith("# complexity:")


def main() -> int:
    unexplained = []
    kept = 0
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            lines = source.splitlines()
            for block in _blocks(cc_visit(source)):
                if cc_rank(block.complexity) <= WORST_ALLOWED:
                    continue
                if _explained(lines, block.lineno):
                    kept += 1
                    continue
                where = f"{path.relative_to(ROOT)}:{block.lineno}"
                unexplained.append(
                    f"{where} {block.name} ranks {cc_rank(block.complexity)} ({block.complexity})"
                )
    for line in unexplained:
        print(line)
    if unexplained:
        print(
            f"{len(unexplained)} block(s) rank worse than {WORST_ALLOWED}: split them, or say why one must "
            "stay in a `# complexity:` comment directly above it"
        )
        return 1
    print(f"complexity: nothing worse than {WORST_ALLOWED} ({kept} kept with a reason)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
