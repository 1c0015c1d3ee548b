"""The plain peers of the tutorial workflows 10_01, 10_02 and 10_03: the same work as a pandas /
scikit-learn / matplotlib script would do it, drawing the same pictures as PNG files, for
`bench_cold_start.py` to time against `knitflow run` as whole processes (imports included).

Run: python benchmarks/plain_10.py 10_01|10_02|10_03 [--data DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ["IP_A", "EA_A", "EN_A", "IP_B", "EA_B", "EN_B", "rs_A", "rp_A", "rs_B", "rp_B"]
ALPHAS = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]


def _split(df: pd.DataFrame, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(df), dtype=bool)
    mask[rng.permutation(len(df))[: round(0.7 * len(df))]] = True
    return df[mask], df[~mask]


def _scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    return {
        "R^2": r2_score(y, p),
        "mean absolute error": mean_absolute_error(y, p),
        "root mean squared error": float(np.sqrt(mean_squared_error(y, p))),
    }


def _png(out: Path, name: str, draw: object) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
    draw(ax)  # type: ignore[operator]
    fig.tight_layout()  # as knitflow's views: titles and labels inside the picture
    fig.savefig(out / name)
    plt.close(fig)


def _line_by_row(ax: object, table: pd.DataFrame) -> None:
    """What the tutorial's Line Plot shows: R^2 per row, RowIDs on the x axis, a legend."""
    rows = [f"Row{i}" for i in range(len(table))]
    ax.plot(rows, table["R^2"], label="R^2", linewidth=2)  # type: ignore[attr-defined]
    ax.set_title("Line Plot")  # type: ignore[attr-defined]
    ax.set_xlabel("RowID")  # type: ignore[attr-defined]
    ax.tick_params(axis="x", labelrotation=45)  # type: ignore[attr-defined]
    ax.legend()  # type: ignore[attr-defined]


def _scatter(ax: object, x: object, y: object, xlabel: str, ylabel: str, log_x: bool = False) -> None:
    """What the tutorial's Scatter Plots show: titled, labelled, the alpha axis logarithmic."""
    ax.scatter(x, y, s=25)  # type: ignore[attr-defined]
    ax.set_title("Scatter Plot")  # type: ignore[attr-defined]
    ax.set_xlabel(xlabel)  # type: ignore[attr-defined]
    ax.set_ylabel(ylabel)  # type: ignore[attr-defined]
    if log_x:
        ax.set_xscale("log")  # type: ignore[attr-defined]


def tutorial_10_01(data: Path, out: Path) -> None:
    """Rule Engine label, partition, z-score, logistic regression, scorer (confusion matrix)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix

    df = pd.read_csv(data / "ZB_WZ_dE_rawdescriptor.csv")
    df["dE"] = np.where(df["dE"] > 0, "ZB", "WZ")
    train, test = _split(df)
    mean, std = train[FEATURES].mean(), train[FEATURES].std()
    model = LogisticRegression(max_iter=1000).fit((train[FEATURES] - mean) / std, train["dE"])
    predicted = model.predict((test[FEATURES] - mean) / std)
    matrix = confusion_matrix(test["dE"], predicted)
    scores = {
        "accuracy": accuracy_score(test["dE"], predicted),
        "kappa": cohen_kappa_score(test["dE"], predicted),
    }
    pd.DataFrame(matrix).to_csv(out / "confusion.csv")
    pd.Series(scores).to_csv(out / "scores.csv")


def _lasso_sweep(df: pd.DataFrame, features: list[str], out: Path) -> pd.DataFrame:
    from sklearn.linear_model import Lasso

    z = df.copy()
    z[features] = (z[features] - z[features].mean()) / z[features].std()
    train, test = _split(z)
    rows = []
    for alpha in ALPHAS:
        model = Lasso(alpha=alpha, max_iter=1000).fit(train[features], train["dE"])
        rows.append({"alpha": alpha, **_scores(test["dE"].to_numpy(), model.predict(test[features]))})
    table = pd.DataFrame(rows)
    table.to_csv(out / "sweep.csv", index=False)
    _png(out, "line.png", lambda ax: _line_by_row(ax, table))
    _png(
        out, "scatter.png", lambda ax: _scatter(ax, table["alpha"], table["R^2"], "alpha", "R^2", log_x=True)
    )
    return table


def tutorial_10_02(data: Path, out: Path) -> None:
    """z-score, partition, a Lasso per alpha of a table, scores per alpha, line and scatter plots."""
    df = pd.read_csv(data / "ZB_WZ_dE_rawdescriptor.csv")
    _lasso_sweep(df, FEATURES, out)


def tutorial_10_03(data: Path, out: Path) -> None:
    """Three derived descriptors, the alpha sweep, the best alpha refitted, its scatter plot."""
    from sklearn.linear_model import Lasso

    df = pd.read_csv(data / "ZB_WZ_dE_rawdescriptor.csv")
    df["desp1"] = (df["IP_B"] - df["EA_B"]).abs() / df["rp_A"] ** 2
    df["desp2"] = (df["rs_A"] - df["rp_B"]).abs() / np.exp(df["rs_A"])
    df["desp3"] = (df["rp_B"] - df["rs_B"]).abs() / np.exp(df["rd_A"])
    features = ["desp1", "desp2", "desp3"]
    table = _lasso_sweep(df, features, out)
    best = float(table.sort_values("R^2", ascending=False)["alpha"].iloc[0])
    z = df.copy()
    z[features] = (z[features] - z[features].mean()) / z[features].std()
    train, test = _split(z)
    model = Lasso(alpha=best, max_iter=1000).fit(train[features], train["dE"])
    predicted = model.predict(test[features])
    pd.Series(_scores(test["dE"].to_numpy(), predicted)).to_csv(out / "best.csv")
    _png(out, "prediction.png", lambda ax: _scatter(ax, test["dE"], predicted, "dE", "Prediction (dE)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workflow", choices=["10_01", "10_02", "10_03"])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--out", type=Path, default=Path("plain-out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    {"10_01": tutorial_10_01, "10_02": tutorial_10_02, "10_03": tutorial_10_03}[args.workflow](
        args.data, args.out
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
