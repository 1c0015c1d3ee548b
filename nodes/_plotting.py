"""Drawing helpers shared by the view nodes: a pyplot-free matplotlib figure, its picture bytes (PNG
or SVG, as the run asks), and the process-wide lock every drawing holds (matplotlib is not
thread-safe; a run draws views in threads)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from engine.api import picture_format
from engine.api.knime import KnimeSettings
from nodes._common import MATPLOTLIB_LOCK

# d3 v3's d3.scale.category10 and category20 ranges (KNIME's JavaScript views colour by them)
D3_CATEGORY10: tuple[str, ...] = tuple(
    "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf".split()
)
D3_CATEGORY20: tuple[str, ...] = tuple(
    (
        "#1f77b4 #aec7e8 #ff7f0e #ffbb78 #2ca02c #98df8a #d62728 #ff9896 #9467bd #c5b0d5 "
        "#8c564b #c49c94 #e377c2 #f7b6d2 #7f7f7f #c7c7c7 #bcbd22 #dbdb8d #17becf #9edae5"
    ).split()
)


def figure(title: str, size: tuple[float, float] = (8, 6), dpi: int = 100) -> tuple[Any, Any]:
    """A figure with one axes, not registered with pyplot (safe when views render in parallel)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if title:
        ax.set_title(title)
    return fig, ax


def image_figure(title: str, width: float, height: float, subtitle: str | None = None) -> tuple[Any, Any]:
    """A figure of `width` x `height` pixels (KNIME's image size options), its subtitle at the
    bottom."""
    fig, ax = figure(title, (width / 100, height / 100), 100)
    if subtitle:
        fig.suptitle(subtitle, fontsize="small", y=0.02)
    return fig, ax


def ignore_view_options(
    knime: KnimeSettings,
    keys: list[str],
    what: str = "view options without effect on the outputs",
    why: str = "a view option",
) -> None:
    """Keys that only shape the interactive view: noted, their flow-variable bindings dropped."""
    if keys:
        knime.note(f"{what}: {', '.join(keys)}")
        for key in keys:
            knime.ignore_binding(key, why)


def picture(fig: Any, *, tight: bool = True) -> bytes:
    """The figure in the format the view is drawn for (`picture_format`), with no date or
    version stamp in it, so that the same run writes the same bytes. `tight=False` keeps the
    axes where they were put (a drawing in pixel coordinates)."""
    buf = io.BytesIO()
    with MATPLOTLIB_LOCK:
        if tight:
            fig.tight_layout()
        if picture_format() == "svg":
            import matplotlib

            with matplotlib.rc_context({"svg.hashsalt": "knitflow"}):
                fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        else:
            fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def locked(draw: Callable[[], bytes]) -> Callable[[], bytes]:
    """The whole drawing under the process-wide matplotlib lock."""

    def render() -> bytes:
        with MATPLOTLIB_LOCK:
            return draw()

    return render


def dynamic_js_view_options(
    knime: KnimeSettings, drawn: tuple[str, ...], view_only: tuple[str, ...] | None = None
) -> None:
    """The image size of KNIME's dynamic JavaScript views (their `svg` option) as `width` and
    `height`; the keys neither `drawn` nor `svg` only shape the interactive view (controls,
    selection, warnings shown in the view): noted, their bindings dropped. With `view_only`
    given, a key in neither list is a finding instead (a key of a node version not known)."""
    svg = knime.get("svg")
    if isinstance(svg, dict):
        for key in ("width", "height"):
            if isinstance(svg.get(key), int):
                knime.take(key, f"svg.{key}")
    rest = sorted(k for k in knime.tree if k not in drawn and k != "svg" and not k.endswith("_Internals"))
    unknown = [] if view_only is None else [k for k in rest if k not in view_only]
    for key in unknown:
        knime.lost(f"setting {key} = {knime.tree[key]!r} has no counterpart in knitflow")
    ignore_view_options(
        knime, [k for k in rest if k not in unknown], "view options without effect on the image"
    )
