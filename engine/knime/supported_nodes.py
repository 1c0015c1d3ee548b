"""The README's list of the KNIME nodes the importer maps, generated from the node types' mappings
so that it cannot drift from them: `python -m engine.knime --update-readme` rewrites it, `--check`
tells whether it is out of date."""

from __future__ import annotations

from pathlib import Path

README_START, README_END = "<!-- knime-nodes:start -->", "<!-- knime-nodes:end -->"


def supported_nodes_markdown() -> str:
    """The README's list of importable KNIME nodes, generated from the node types' mappings."""
    from engine.core.registry import registry

    mappings = [(m, cls) for cls in registry.all().values() for m in cls.knime]
    simple = [m.simple_name for m, _ in mappings]
    # a class name two factories share (an older node of another package) is shown in full
    rows = sorted(
        ((m.simple_name if simple.count(m.simple_name) == 1 else m.factory, m, cls) for m, cls in mappings),
        key=lambda item: (item[1].knime_name.lower(), item[0]),
    )
    lines = ["| KNIME node | KNIME factory | knitflow type |", "|---|---|---|"]
    for key, mapping, cls in rows:
        lines.append(f"| {mapping.knime_name} | `{key}` | `{cls.type_name}` |")
    return "\n".join(lines) + "\n"


def update_readme(readme: str | Path, *, check_only: bool = False) -> bool:
    """Rewrite the generated node list between the README's markers; True when it was (or, with
    `check_only`, would be) changed."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: markers {README_START} ... {README_END} not found")
    new = text[: start + len(README_START)] + "\n" + supported_nodes_markdown() + text[end:]
    if new == text:
        return False
    if not check_only:
        path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m engine.knime --update-readme [--check] [README]` regenerates the node list."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m engine.knime", description=main.__doc__)
    parser.add_argument(
        "readme", nargs="?", type=Path, default=Path(__file__).resolve().parents[2] / "README.md"
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="rewrite the README's supported-node list"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report whether the list is out of date (exit 1)"
    )
    args = parser.parse_args(argv)
    if not (args.update_readme or args.check):
        print(supported_nodes_markdown(), end="")
        return 0
    changed = update_readme(args.readme, check_only=args.check)
    if args.check:
        print(f"{args.readme}: supported-node list {'out of date' if changed else 'up to date'}")
        return 1 if changed else 0
    print(f"{args.readme}: supported-node list {'updated' if changed else 'already up to date'}")
    return 0
