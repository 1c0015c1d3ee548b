"""Drawing helpers shared by the view nodes: a pyplot-free matplotlib figure, its picture bytes (PNG
or SVG, as the run asks), and the process-wide lock every drawing holds (matplotlib is not
thread-safe; a run draws views in threads)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from engine.api import picture_format
from nodes._common import MATPLOTLIB_LOCK


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


def picture(fig: Any) -> bytes:
    """The figure in the format the view is drawn for (`picture_format`), with no date or
    version stamp in it, so that the same run writes the same bytes."""
    buf = io.BytesIO()
    with MATPLOTLIB_LOCK:
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
