"""The search strategies of KNIME's Parameter Optimization loop: brute force, hill climbing,
random search and Bayesian/TPE with early stopping, with their shared settings.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from engine.api import (
    NodeSettings,
)
from nodes._variables import (
    Parameter,
)

# ----------------------------------------------------------------------- Parameter Optimization


@dataclass(frozen=True)
class Objective:
    """What the Parameter Optimization Loop End sends back to its start after each pass."""

    value: float
    maximize: bool

    @property
    def loss(self) -> float:
        """Smaller is better; a missing (NaN) objective is the worst possible."""
        if math.isnan(self.value):
            return math.inf
        return -self.value if self.maximize else self.value


_METHOD_ALIASES = {
    "bruteforce": "BruteForce",
    "hillclimbing": "HillClimbing",
    "randomsearch": "RandomSearch",
    "bayesian": "Bayesian",
    "bayesianoptimization": "Bayesian",
    "bayesianoptimizationtpe": "Bayesian",
    "tpe": "Bayesian",
}


class SearchSettings(NodeSettings):
    """The search strategy of KNIME's Parameter Optimization Loop Start."""

    method: Literal["BruteForce", "HillClimbing", "RandomSearch", "Bayesian"] = Field(
        "BruteForce",
        description="BruteForce: every combination of the parameter grids (first parameter outermost). "
        "HillClimbing: from a random grid point, move to the best direct neighbour while it improves. "
        "RandomSearch: num_trials random combinations (drawn with replacement, duplicates evaluated once). "
        "Bayesian: TPE (Bergstra et al.): warmup_rounds random combinations, then the best of "
        "num_candidates_per_round candidates by the ratio of good/bad Parzen densities.",
    )
    use_seed: bool = Field(
        False, description="Use `seed` for the random strategies (else the run seed, if any)."
    )
    seed: int = Field(0, description="Seed of the random strategies when use_seed is set.")
    num_trials: int = Field(
        100,
        ge=1,
        description="RandomSearch/Bayesian: number of combinations to draw; HillClimbing: evaluation budget.",
    )
    use_early_stopping: bool = Field(
        True,
        description="RandomSearch/Bayesian: stop when the best objective has not improved by more than `tolerance` "
        "(relative) within the last size_moving_window passes.",
    )
    size_moving_window: int = Field(
        5, ge=1, description="Early stopping: number of passes without improvement."
    )
    tolerance: float = Field(
        0.01, ge=0, description="Early stopping: minimum relative improvement of the best objective."
    )
    enable_step_size: bool = Field(
        False,
        description="RandomSearch/Bayesian: draw only values on the start/step grid (else any value in [start, stop]; "
        "integer parameters are always whole numbers).",
    )
    gamma: float = Field(
        0.25, gt=0, lt=1, description="Bayesian: fraction of evaluated combinations taken as 'good'."
    )
    warmup_rounds: int = Field(
        20, ge=1, description="Bayesian: random combinations evaluated before the model is used."
    )
    num_candidates_per_round: int = Field(
        25,
        ge=1,
        description="Bayesian: candidates drawn from the good density per round; the best is evaluated.",
    )

    @field_validator("method", mode="before")
    @classmethod
    def _method_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _METHOD_ALIASES.get("".join(ch for ch in value.lower() if ch.isalnum()), value)
        return value


Combo = dict[str, float | int]


def _key(combo: Combo) -> tuple[float | int, ...]:
    return tuple(combo.values())


def _brute_force(params: list[Parameter]) -> Iterator[Combo]:
    for values in itertools.product(*(p.grid() for p in params)):
        yield dict(zip((p.name for p in params), values, strict=True))


def _random_combo(params: list[Parameter], rng: np.random.Generator, on_grid: bool) -> Combo:
    return {p.name: p.sample(rng, on_grid) for p in params}


def _random_search(params: list[Parameter], s: SearchSettings, rng: np.random.Generator) -> Iterator[Combo]:
    seen: set[tuple[float | int, ...]] = set()
    for _ in range(s.num_trials):
        combo = _random_combo(params, rng, s.enable_step_size)
        if _key(combo) in seen:
            continue  # drawn again: counts as a trial, evaluated once
        seen.add(_key(combo))
        yield combo


class _Search:
    """A strategy as a generator of combinations that is sent each combination's loss."""

    def __init__(self, params: list[Parameter], s: SearchSettings, rng: np.random.Generator) -> None:
        self.params = params
        self.s = s
        self.rng = rng

    def run(self) -> Any:
        if self.s.method == "BruteForce":
            return _brute_force(self.params)
        if self.s.method == "RandomSearch":
            return _random_search(self.params, self.s, self.rng)
        if self.s.method == "HillClimbing":
            return self._hill_climbing()
        return self._tpe()

    # -------------------------------------------------------------------------- hill climbing

    def _hill_climbing(self) -> Any:
        grids = [p.grid() for p in self.params]
        current = tuple(int(self.rng.integers(len(g))) for g in grids)
        losses: dict[tuple[int, ...], float] = {}
        budget = self.s.num_trials

        def combo(idx: tuple[int, ...]) -> Combo:
            return {p.name: g[i] for p, g, i in zip(self.params, grids, idx, strict=True)}

        losses[current] = yield combo(current)
        budget -= 1
        while budget > 0:
            neighbours = []
            for j, g in enumerate(grids):
                for d in (-1, 1):
                    k = current[j] + d
                    if 0 <= k < len(g):
                        neighbours.append(current[:j] + (k,) + current[j + 1 :])
            best: tuple[int, ...] | None = None
            for nb in neighbours:
                if nb not in losses:
                    if budget <= 0:
                        break
                    losses[nb] = yield combo(nb)
                    budget -= 1
                if best is None or losses[nb] < losses[best]:
                    best = nb
            if best is None or not losses[best] < losses[current]:
                return
            current = best

    # ---------------------------------------------------------------------------------- TPE

    def _tpe(self) -> Any:
        s = self.s
        seen: set[tuple[float | int, ...]] = set()
        history: list[tuple[Combo, float]] = []
        for t in range(s.num_trials):
            combo = None
            if t >= s.warmup_rounds:
                combo = self._propose(history, seen)
            if combo is None:
                combo = _random_combo(self.params, self.rng, s.enable_step_size)
            if _key(combo) in seen:
                continue
            seen.add(_key(combo))
            loss = yield combo
            history.append((combo, loss))

    def _propose(
        self, history: list[tuple[Combo, float]], seen: set[tuple[float | int, ...]]
    ) -> Combo | None:
        """Draw candidates from the 'good' Parzen density l(x) and take the one maximising
        l(x)/g(x), parameters treated independently (Bergstra et al. 2011)."""
        valid = sorted((h for h in history if math.isfinite(h[1])), key=lambda h: h[1])
        n_good = max(1, math.ceil(self.s.gamma * len(valid)))
        if len(valid) < 2 or len(valid) - n_good < 1:
            return None
        good, bad = valid[:n_good], valid[n_good:]
        n = self.s.num_candidates_per_round
        scores = np.zeros(n)
        columns: dict[str, list[float | int]] = {}
        for p in self.params:
            lo_obs = np.array([float(c[p.name]) for c, _ in good])
            hi_obs = np.array([float(c[p.name]) for c, _ in bad])
            if p.start == p.stop:
                columns[p.name] = [p.value(p.start)] * n
                continue
            bw_l = _bandwidths(lo_obs, p.start, p.stop)
            bw_g = _bandwidths(hi_obs, p.start, p.stop)
            raw = _sample_parzen(lo_obs, bw_l, p.start, p.stop, n, self.rng)
            snapped = [_snap(p, x, self.s.enable_step_size) for x in raw]
            xs = np.array([float(v) for v in snapped])
            scores += np.log(_parzen_density(xs, lo_obs, bw_l, p.start, p.stop)) - np.log(
                _parzen_density(xs, hi_obs, bw_g, p.start, p.stop)
            )
            columns[p.name] = snapped
        for i in np.argsort(-scores, kind="stable"):
            combo = {p.name: columns[p.name][i] for p in self.params}
            if _key(combo) not in seen:
                return combo
        return None


def _bandwidths(obs: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per-observation widths as in hyperopt's adaptive Parzen estimator: the larger gap to the
    neighbouring observations (the interval ends count as neighbours), clipped to
    [width / min(100, n + 1), width]."""
    width = hi - lo
    if len(obs) == 0:
        return np.zeros(0)
    order = np.argsort(obs, kind="stable")
    xs = np.concatenate([[lo], obs[order], [hi]])
    gaps = np.maximum(xs[1:-1] - xs[:-2], xs[2:] - xs[1:-1])
    sigma = np.empty(len(obs))
    sigma[order] = np.clip(gaps, width / min(100, len(obs) + 1), width)
    return sigma


def _sample_parzen(
    obs: np.ndarray, bw: np.ndarray, lo: float, hi: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Draws from the mixture of a uniform prior on [lo, hi] and a Gaussian per observation."""
    k = len(obs)
    which = rng.integers(k + 1, size=n)
    out = np.empty(n)
    for i, w in enumerate(which):
        if w == k:
            out[i] = rng.uniform(lo, hi)
        else:
            out[i] = rng.normal(obs[w], bw[w])
    return np.clip(out, lo, hi)


def _parzen_density(x: np.ndarray, obs: np.ndarray, bw: np.ndarray, lo: float, hi: float) -> np.ndarray:
    k = len(obs)
    dens = np.full(len(x), 1.0 / (hi - lo))
    if k:
        z = (x[:, None] - obs[None, :]) / bw[None, :]
        dens = dens + (np.exp(-0.5 * z * z) / (bw[None, :] * math.sqrt(2 * math.pi))).sum(axis=1)
    return dens / (k + 1)


def _snap(p: Parameter, x: float, on_grid: bool) -> float | int:
    if on_grid and p.step > 0:
        k = round((x - p.start) / p.step)
        k = min(max(k, 0), math.floor((p.stop - p.start) / p.step + 1e-9))
        return p.value(p.start + k * p.step)
    if p.integer:
        return int(min(max(round(x), math.ceil(p.start)), math.floor(p.stop)))
    return float(x)


def _should_stop(losses: list[float], window: int, tolerance: float) -> bool:
    """Early stopping: the best loss of the last `window` passes improved on the best before them
    by no more than `tolerance` (relative)."""
    if len(losses) <= window:
        return False
    before = min(losses[:-window])
    if not math.isfinite(before):
        return False
    best = min(losses)
    return before - best <= tolerance * max(abs(before), 1e-12)


def _needs_step(settings: SearchSettings) -> bool:
    return settings.method in ("BruteForce", "HillClimbing") or settings.enable_step_size
