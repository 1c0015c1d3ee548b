"""KNIME's basis function rule learners (org.knime.base.node.mine.bfn), step for step: the DDA
training loop of BasisFunctionLearnerTable (commit, cover, shrink, epochs until nothing changes,
pruning of rules that cover nothing), the missing value replacements, the Gaussian PNN rules
(radial.RadialBasisFunctionLearnerRow / PredictorRow) and the trapezoid fuzzy rules
(fuzzy.FuzzyBasisFunctionLearnerRow / PredictorRow, fuzzy.membership.MembershipFunction) with the
fuzzy norms (fuzzy.norm) and shrink functions (fuzzy.shrink), and the predictor's composition of
rule activations (BasisFunctionPredictor2CellFactory). `nodes.basis_functions` holds the nodes."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.api import NodeContext, PortType

PNN = PortType.register(PortType("model.pnn", "PNN model (radial basis functions)", "#2e7dd1", "square"))
FUZZY_RULES = PortType.register(PortType("model.fuzzy_rules", "Fuzzy rule model", "#2e7dd1", "square"))
PNN_KIND = "pnn"
FUZZY_KIND = "fuzzy_rules"

DOUBLE_MAX = sys.float_info.max  # Java's Double.MAX_VALUE: the radius of a rule not yet shrunk
DOUBLE_MIN_VALUE = 5e-324  # Java's Double.MIN_VALUE: a shrink function's loss for a value on the border
RULE_PREFIX = "Rule_"

# BasisFunctionLearnerTable.MISSINGS, Norm.NORMS and Shrink.SHRINKS in KNIME's index order
MISSING_CHOICES = ("INCORP", "BEST_GUESS", "MEAN", "MIN", "MAX", "ZERO", "ONE")
NORM_CHOICES = ("MIN_MAX", "PRODUCT", "LUKASIEWICZ", "YAGER_2", "YAGER_05")
SHRINK_CHOICES = ("VOLUME_BORDER_BASED", "VOLUME_ANCHOR_BASED", "VOLUME_RULE_BASED")


def java_div(a: float, b: float) -> float:
    """Java's double division: x / 0 is +-Infinity (0 / 0 NaN), never an exception."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def sqrt_minus_log(theta: float) -> float:
    """Math.sqrt(-Math.log(theta)) as Java computes it (log 0 = -Infinity, sqrt(-0.0) = -0.0)."""
    log = -math.inf if theta == 0.0 else math.log(theta)
    return math.sqrt(-log)


# ----------------------------------------------------------------------------------- patterns


@dataclass
class Pattern:
    """BasisFunctionFilterRow: a training row's data cells (a missing cell is NaN and marked in
    `missing`; a NaN not marked is a DoubleCell holding NaN) and its class degrees."""

    key: int
    values: list[float]
    missing: list[bool]
    best: Any  # the class with the highest degree; None is KNIME's missing cell
    degrees: dict[Any, float]

    def match(self, label: Any) -> float:
        """getMatch: a rule of the missing class matches every row with the row's own degree."""
        if label is None:
            return self.degrees[self.best]
        if self.best is None:
            return 0.0
        return self.degrees.get(label, 0.0)


def euclidean(center: Sequence[float], p: Pattern) -> float:
    """Distance.compute(double[], DataRow): dimensions missing or NaN on either side are skipped
    (a missing cell's value is NaN)."""
    total = 0.0
    for x, y in zip(center, p.values):  # noqa: B905 - both have one value per data column
        if x != x or y != y:
            continue
        d = x - y
        total += d * d
    return math.sqrt(total)


@dataclass
class Bounds:
    """The factory's domain minimum and maximum per dimension; the fuzzy membership functions
    share them (KNIME's MutableDouble) and widen them to every value they are given."""

    mins: list[float]
    maxs: list[float]

    def repair(self, i: int, value: float) -> None:
        if math.isnan(self.mins[i]) or value < self.mins[i]:
            self.mins[i] = value
        if math.isnan(self.maxs[i]) or value > self.maxs[i]:
            self.maxs[i] = value


# --------------------------------------------------------------------------------------- rules


class Rule:
    """BasisFunctionLearnerRow with its predictor row's bookkeeping: the covered training rows
    (by row), correctly / wrongly covered counts and the within-cluster sum of squared distances."""

    def __init__(self, key: str, label: Any, anchor: Pattern) -> None:
        self.key = key
        self.label = label
        self.anchor = anchor
        self.covered: set[int] = set()
        self.correct = 0
        self.wrong = 0
        self.squares = 0.0

    # the kind-specific part
    def distance(self, p: Pattern) -> float:
        raise NotImplementedError

    def covers(self, p: Pattern) -> bool:
        raise NotImplementedError

    def better_than(self, best: Rule) -> bool:
        raise NotImplementedError

    def shrink(self, p: Pattern) -> bool:
        raise NotImplementedError

    def reset(self) -> None:
        """Called at the start of each epoch."""

    def cover(self, p: Pattern) -> None:
        """Called when the rule covers a row of its class."""

    def missing_value(self, col: int) -> float | None:
        raise NotImplementedError

    def spread(self) -> float:
        raise NotImplementedError

    def used_features(self) -> int:
        raise NotImplementedError

    # the shared part
    def add_covered(self, p: Pattern, label: Any) -> None:
        if p.key in self.covered:
            return
        self.covered.add(p.key)
        if self.label == label:
            self.correct += 1
        else:
            self.wrong += 1
        d = self.distance(p)
        self.squares += d * d

    def reset_intern(self) -> None:
        self.covered.clear()
        self.correct = self.wrong = 0
        self.squares = 0.0
        self.reset()

    def cover_intern(self, p: Pattern) -> None:
        self.add_covered(p, self.label)
        self.cover(p)

    def variance(self) -> float:
        return self.squares / (self.correct + self.wrong) if self.squares > 0 else 0.0


class RadialRule(Rule):
    """A PNN rule: a Gaussian around the anchor whose radius (standard deviation) starts infinite
    and shrinks so that conflicting rows stay below theta minus."""

    def __init__(self, key: str, label: Any, anchor: Pattern, theta_minus: float, theta_plus: float) -> None:
        super().__init__(key, label, anchor)
        self.center = [math.nan if gone else v for v, gone in zip(anchor.values, anchor.missing, strict=True)]
        self.minus = sqrt_minus_log(theta_minus)
        self.plus = sqrt_minus_log(theta_plus)
        self.std_dev = DOUBLE_MAX
        self.not_shrunk = True
        self.add_covered(anchor, label)

    def distance(self, p: Pattern) -> float:
        return euclidean(self.center, p)

    def covers(self, p: Pattern) -> bool:
        return self.not_shrunk or self.std_dev >= java_div(self.distance(p), self.plus)

    def better_than(self, best: Rule) -> bool:
        assert isinstance(best, RadialRule)
        return self.std_dev > best.std_dev

    def shrink(self, p: Pattern) -> bool:
        new = java_div(self.distance(p), self.minus)
        if self.not_shrunk or self.std_dev > new:
            old = self.std_dev
            self.std_dev, self.not_shrunk = new, False
            return old != new
        return False

    def missing_value(self, col: int) -> float | None:
        return None if self.anchor.missing[col] else self.anchor.values[col]

    def spread(self) -> float:
        return self.std_dev

    def used_features(self) -> int:
        return len(self.center)


class Membership:
    """MembershipFunction: a trapezoid (support left, core left, core right, support right) around
    an anchor; an unconstrained support side reaches the domain bound, a missing anchor makes the
    whole dimension a don't-care until a covered row brings a value."""

    __slots__ = (
        "anchor",
        "bounds",
        "core_left",
        "core_right",
        "dim",
        "left_max",
        "missing",
        "right_max",
        "supp_left",
        "supp_right",
    )

    def __init__(self, anchor: float | None, bounds: Bounds, dim: int) -> None:
        self.bounds, self.dim = bounds, dim
        self.left_max = self.right_max = True
        self.supp_left = self.supp_right = math.nan
        self.missing = anchor is None
        self.anchor = math.nan if anchor is None else anchor
        self.core_left = self.core_right = self.anchor
        if anchor is not None:
            bounds.repair(dim, anchor)

    def min_support(self) -> float:
        if not self.left_max:
            return self.supp_left
        low = self.bounds.mins[self.dim]
        return self.core_left if math.isnan(low) else low

    def max_support(self) -> float:
        if not self.right_max:
            return self.supp_right
        high = self.bounds.maxs[self.dim]
        return self.core_right if math.isnan(high) else high

    def core(self) -> float:
        return self.core_right - self.core_left

    def support(self) -> float:
        return self.max_support() - self.min_support()

    def set_supp_left(self, value: float) -> None:
        self.bounds.repair(self.dim, value)
        self.supp_left, self.left_max = value, False

    def set_supp_right(self, value: float) -> None:
        self.bounds.repair(self.dim, value)
        self.supp_right, self.right_max = value, False

    def set_core_left(self, value: float) -> None:
        self.bounds.repair(self.dim, value)
        self.core_left = value
        if not self.left_max and self.core_left < self.supp_left:
            self.supp_left = self.core_left

    def set_core_right(self, value: float) -> None:
        self.bounds.repair(self.dim, value)
        self.core_right = value
        if not self.right_max and self.core_right > self.supp_right:
            self.supp_right = self.core_right

    def set_anchor(self, value: float) -> None:
        self.bounds.repair(self.dim, value)
        self.anchor = value
        if self.missing:
            self.missing = False
            self.core_left = self.core_right = value

    def activation(self, value: float) -> float:
        """getActivation: 1 in the core and on an unconstrained side, linear on the ramps."""
        if self.missing:
            return 1.0
        if value < self.anchor:
            if self.left_max or value >= self.core_left:
                return 1.0
            low = self.min_support()
            if value < low or low == self.core_left:
                return 0.0
            return (value - low) / (self.core_left - low)
        if value > self.anchor:
            if self.right_max or value <= self.core_right:
                return 1.0
            high = self.max_support()
            if value > high or high == self.core_right:
                return 0.0
            return (high - value) / (high - self.core_right)
        return 1.0

    def center_of_gravity(self) -> float:
        if self.missing:
            return math.nan
        a1 = s1 = a3 = s3 = 0.0
        if not self.left_max:
            low = self.min_support()
            a1 = (self.core_left - low) / 2.0
            s1 = low + (self.core_left - low) * 2.0 / 3.0
        a2 = self.core_right - self.core_left
        s2 = self.core_left + (self.core_right - self.core_left) / 2.0
        if not self.right_max:
            high = self.max_support()
            a3 = (high - self.core_right) / 2.0
            s3 = self.core_right + (high - self.core_right) / 3.0
        if a1 + a2 + a3 == 0.0:
            return self.core_left
        return (a1 * s1 + a2 * s2 + a3 * s3) / (a1 + a2 + a3)

    def interval(self) -> tuple[float, float, float, float] | None:
        """createFuzzyIntervalCell: an unconstrained side shows the core border."""
        if self.missing:
            return None
        low = self.core_left if self.left_max else self.min_support()
        high = self.core_right if self.right_max else self.max_support()
        return low, self.core_left, self.core_right, high


def t_norm(norm: int, a: Any, b: Any) -> Any:
    """Norm.NORMS[norm].computeTNorm (on floats or arrays): min, product, Lukasiewicz, Yager[2],
    Yager[0.5]."""
    if norm == 0:
        return np.minimum(a, b)
    if norm == 1:
        return a * b
    if norm == 2:
        return np.maximum(0.0, a + b - 1)
    p = 2.0 if norm == 3 else 0.5
    return 1 - np.minimum(1.0, np.power(np.power(1 - a, p) + np.power(1 - b, p), 1 / p))


def t_conorm(norm: int, a: Any, b: Any) -> Any:
    """Norm.NORMS[norm].computeTCoNorm: max, probabilistic sum, bounded sum, Yager[2], Yager[0.5]."""
    if norm == 0:
        return np.maximum(a, b)
    if norm == 1:
        return a + b - a * b
    if norm == 2:
        return np.minimum(a + b, 1.0)
    p = 2.0 if norm == 3 else 0.5
    return np.minimum(1.0, np.power(np.power(a, p) + np.power(b, p), 1 / p))


def shrink_loss(shrink: int, side: str, value: float, mf: Membership) -> float:
    """Shrink.SHRINKS[shrink]: the normalised volume a rule loses when `side` (left/right
    support/core) is cut back to `value` (VolumeBorderBased, VolumeAnchorBased, VolumeRuleBased)."""
    left = side.startswith("left")
    border = (mf.min_support() if left else mf.max_support()) if side.endswith("supp") else None
    if border is None:
        border = mf.core_left if left else mf.core_right
    if (left and border >= value) or (not left and border <= value):
        return DOUBLE_MIN_VALUE
    lost = value - border if left else border - value
    if shrink == 1:  # anchor based
        return lost / (mf.anchor - border if left else border - mf.anchor)
    if side.endswith("core"):
        return lost / mf.core()
    if shrink == 2:  # rule based
        return lost / mf.support()
    return lost / (mf.core_left - border if left else border - mf.core_right)


class FuzzyRule(Rule):
    """A fuzzy rule: one trapezoid membership function per dimension, combined by a fuzzy norm."""

    def __init__(self, key: str, label: Any, anchor: Pattern, norm: int, shrink: int, bounds: Bounds) -> None:
        super().__init__(key, label, anchor)
        self.norm, self.shrink_mode = norm, shrink
        self.mfs = [
            Membership(None if gone else v, bounds, i)
            for i, (v, gone) in enumerate(zip(anchor.values, anchor.missing, strict=True))
        ]
        self.add_covered(anchor, label)

    def distance(self, p: Pattern) -> float:
        anchors = [math.nan if mf.missing else mf.anchor for mf in self.mfs]
        return euclidean(anchors, p)

    def activation(self, p: Pattern) -> float:
        degree = 1.0
        for i, mf in enumerate(self.mfs):
            if p.missing[i]:
                continue
            act = mf.activation(p.values[i])
            degree = act if i == 0 else float(t_norm(self.norm, degree, act))
        return degree

    def covers(self, p: Pattern) -> bool:
        return self.activation(p) > 0.0

    def better_than(self, best: Rule) -> bool:
        return self.correct + self.wrong > best.correct + best.wrong

    def _candidate(self, i: int, value: float) -> tuple[str, float] | None:
        """The shrink a conflicting value asks for in one dimension: ("left"/"right" + "supp"/
        "core", loss), None when nothing can shrink there, ("outside", 0) when the value lies
        outside the support (no conflict at all)."""
        mf = self.mfs[i]
        if value < mf.anchor:
            if not (mf.left_max or value > mf.min_support()):
                return ("outside", 0.0)
            if value >= mf.core_left:
                return ("leftcore", shrink_loss(self.shrink_mode, "leftcore", value, mf))
            if value >= mf.min_support():
                return ("leftsupp", shrink_loss(self.shrink_mode, "leftsupp", value, mf))
            return None
        if value > mf.anchor:
            if not (mf.right_max or value < mf.max_support()):
                return ("outside", 0.0)
            if value <= mf.core_right:
                return ("rightcore", shrink_loss(self.shrink_mode, "rightcore", value, mf))
            if value <= mf.max_support():
                return ("rightsupp", shrink_loss(self.shrink_mode, "rightsupp", value, mf))
        return None

    def shrink_value(self, p: Pattern, apply: bool) -> float:
        """shrinkIt: the smallest support loss over all dimensions wins, a core loss only when no
        support can shrink; the chosen border moves to the conflicting value."""
        supp: tuple[float, int] = (math.inf, -1)
        core: tuple[float, int] = (math.inf, -1)
        for i, mf in enumerate(self.mfs):
            if p.missing[i] or mf.missing:
                continue
            cand = self._candidate(i, p.values[i])
            if cand is None:
                continue
            side, loss = cand
            if side == "outside":
                return 0.0
            if side.endswith("supp") and loss < supp[0]:
                supp = (loss, i)
            elif side.endswith("core") and loss < core[0]:
                core = (loss, i)
        loss, k = supp if supp[1] >= 0 else core
        if k < 0:
            return 0.0
        if apply:
            self._move_border(k, p.values[k], both=supp[1] < 0)
        return loss

    def _move_border(self, k: int, value: float, both: bool) -> None:
        mf = self.mfs[k]
        if value < mf.anchor:
            if both:
                mf.set_core_left(value)
            mf.set_supp_left(value)
        else:
            if both:
                mf.set_core_right(value)
            mf.set_supp_right(value)

    def shrink(self, p: Pattern) -> bool:
        return self.shrink_value(p, True) > 1e-10

    def reset(self) -> None:
        for mf in self.mfs:
            if not mf.missing:
                mf.core_left = mf.core_right = mf.anchor

    def cover(self, p: Pattern) -> None:
        for i, mf in enumerate(self.mfs):
            if p.missing[i]:
                continue
            value = p.values[i]
            if mf.missing:
                mf.set_anchor(value)
            elif value < mf.core_left:
                mf.set_core_left(value)
            elif value > mf.core_right:
                mf.set_core_right(value)

    def missing_value(self, col: int) -> float | None:
        return self.mfs[col].center_of_gravity()

    def spread(self) -> float:
        """FuzzyBasisFunctionPredictorRow.computeSpread: the cores' volume over the domain's."""
        vol = dom = 0.0
        for mf in self.mfs:
            if mf.missing:
                continue
            width = mf.core_right - mf.core_left
            if width > 0.0:
                span = mf.bounds.maxs[mf.dim] - mf.bounds.mins[mf.dim]
                vol, dom = (width, span) if vol == 0.0 else (vol * width, dom * span)
        return java_div(vol, dom) if vol > 0 else 0.0

    def used_features(self) -> int:
        return sum(1 for mf in self.mfs if mf.missing or not mf.left_max or not mf.right_max)


# ---------------------------------------------------------------------------------- the learner


@dataclass
class TrainingData:
    """The training rows: data columns as floats (NaN: missing), each row's class degrees."""

    x: np.ndarray
    best: list[Any]
    degrees: list[dict[Any, float]]
    bounds: Bounds


@dataclass
class DDA:
    """BasisFunctionLearnerTable: the rules by class (in the order classes were first committed),
    trained by Dynamic Decay Adjustment over the rows in table order."""

    data: TrainingData
    commit: Callable[[str, Any, Pattern], Rule]
    dont_know: float  # the rules' don't-know degree: theta minus (PNN) or 0 (fuzzy)
    missing: str = "INCORP"
    shrink_after_commit: bool = True
    max_class_coverage: bool = True
    max_epochs: int = -1
    rules: dict[Any, list[Rule]] = field(default_factory=dict)
    cycles: int = 0
    next_rule: int = 1

    def all_rules(self) -> Iterator[Rule]:
        for rules in self.rules.values():
            yield from rules

    def conflicting(self, p: Pattern) -> Iterator[Rule]:
        for label, rules in list(self.rules.items()):
            if p.match(label) <= self.dont_know:
                yield from rules

    def train(self, ctx: NodeContext) -> None:
        limit = self.max_epochs if self.max_epochs > 0 else math.inf
        clean = [self._pattern(i) for i in range(len(self.data.x))]
        while True:
            ctx.check_cancelled()
            ctx.progress(0.0 if limit == math.inf else self.cycles / limit, f"epoch {self.cycles + 1}")
            changed = False
            for rule in self.all_rules():
                rule.reset_intern()
            for i, p in enumerate(clean):
                changed = self._learn(p if not any(p.missing) else self._replaced(i, p)) or changed
            self.cycles += 1
            if not (changed and self.cycles < limit):
                break
        self._prune()

    def _pattern(self, i: int) -> Pattern:
        row = self.data.x[i]
        missing = [bool(m) for m in np.isnan(row)]
        return Pattern(i, [float(v) for v in row], missing, self.data.best[i], self.data.degrees[i])

    def _best_cover(self, p: Pattern) -> Rule | None:
        best: Rule | None = None
        for label, rules in self.rules.items():
            if self.max_class_coverage:
                if p.best != label:
                    continue
            elif p.match(label) <= self.dont_know:
                continue
            for rule in rules:
                if not rule.covers(p):
                    continue
                if best is None:
                    best = rule
                elif rule.better_than(best) and (
                    not self.max_class_coverage or p.match(best.label) >= p.match(rule.label)
                ):
                    best = rule
        return best

    def _learn(self, p: Pattern) -> bool:
        best = self._best_cover(p)
        changed = False
        if best is None or p.match(best.label) <= self.dont_know:
            rule = self.commit(f"{RULE_PREFIX}{self.next_rule}", p.best, p)
            self.next_rule += 1
            self.rules.setdefault(p.best, []).append(rule)
            if self.shrink_after_commit:
                for other in self.conflicting(p):
                    rule.shrink(other.anchor)
            changed = True
        else:
            best.cover_intern(p)
        for other in self.conflicting(p):
            changed = other.shrink(p) or changed
        return changed

    def _replaced(self, i: int, p: Pattern) -> Pattern:
        """The row with its missing cells replaced as `missing` says (computed against the rules
        as they are now, so a row may be replaced differently in each epoch)."""
        if self.missing == "INCORP":
            return p
        values, missing = list(p.values), list(p.missing)
        for col, gone in enumerate(p.missing):
            if gone:
                value = self._replacement(p, col)
                values[col] = math.nan if value is None else value
                missing[col] = value is None
        return Pattern(i, values, missing, p.best, p.degrees)

    def _replacement(self, p: Pattern, col: int) -> float | None:
        low, high = self.data.bounds.mins[col], self.data.bounds.maxs[col]
        if self.missing == "BEST_GUESS":
            best = self._best_of_class(p)
            if best is not None:
                return best.missing_value(col)
        if self.missing in ("BEST_GUESS", "MEAN"):
            return None if math.isnan(low) or math.isnan(high) else (high + low) / 2.0
        if self.missing in ("MIN", "MAX"):
            value = low if self.missing == "MIN" else high
            return None if math.isnan(value) else value
        return 0.0 if self.missing == "ZERO" else 1.0

    def _best_of_class(self, p: Pattern) -> Rule | None:
        best: Rule | None = None
        for rule in self.rules.get(p.best, []):
            if rule.covers(p) and (best is None or rule.better_than(best)):
                best = rule
        return best

    def _prune(self) -> None:
        for label in list(self.rules):
            kept = [r for r in self.rules[label] if r.correct > 0]
            if kept:
                self.rules[label] = kept
            else:
                del self.rules[label]


# -------------------------------------------------------------------------------- the model


@dataclass
class BasisFunctionModel:
    """What the model port carries: the rules by class after training."""

    kind: str
    columns: list[str]  # the data columns, in training order
    class_column: str  # the rule table's class column (the target, or "Class" for several targets)
    class_type: str
    rules: dict[Any, list[Rule]]
    norm: int = 0

    @property
    def classes(self) -> list[Any]:
        return list(self.rules)

    def summary(self, text: Callable[[Any], str]) -> str:
        """The port summary KNIME shows: `206 rules for class: 0 (116) ,1 (90)`."""
        total = sum(len(r) for r in self.rules.values())
        return f"{total} rules for class: " + " ,".join(
            f"{text(c)} ({len(r)})" for c, r in self.rules.items()
        )


def _radial_activation(rule: RadialRule, x: np.ndarray, gone: np.ndarray) -> np.ndarray:
    if rule.not_shrunk:
        return np.ones(len(x))
    total = np.zeros(len(x))
    for j, c in enumerate(rule.center):
        if math.isnan(c):
            continue
        d = x[:, j] - c
        total = total + np.where(gone[:, j], 0.0, d * d)
    dist = np.sqrt(total)
    if rule.std_dev == 0.0:
        return np.where(dist == 0.0, 1.0, 0.0)
    return np.exp(-(dist * dist / (rule.std_dev * rule.std_dev)))


def _membership_activation(mf: Membership, v: np.ndarray) -> np.ndarray:
    """Membership.activation for many values at once."""
    out = np.ones(len(v))
    if mf.missing:
        return out
    if not mf.left_max:
        low, core = mf.min_support(), mf.core_left
        ramp = (v < mf.anchor) & (v < core)
        inner = np.zeros(len(v)) if low == core else np.where(v < low, 0.0, (v - low) / (core - low))
        out = np.where(ramp, inner, out)
    if not mf.right_max:
        high, core = mf.max_support(), mf.core_right
        ramp = (v > mf.anchor) & (v > core)
        inner = np.zeros(len(v)) if high == core else np.where(v > high, 0.0, (high - v) / (high - core))
        out = np.where(ramp, inner, out)
    return out


def _fuzzy_activation(rule: FuzzyRule, x: np.ndarray, gone: np.ndarray) -> np.ndarray:
    degree = np.ones(len(x))
    for j, mf in enumerate(rule.mfs):
        act = _membership_activation(mf, x[:, j])
        combined = act if j == 0 else t_norm(rule.norm, degree, act)
        degree = np.where(gone[:, j], degree, combined)
    return degree


def class_activations(model: BasisFunctionModel, x: np.ndarray) -> list[np.ndarray]:
    """Each class's composed activation for every row (BasisFunctionPredictorRow.compose): PNN
    rules add their activation weighted by the rows they covered, fuzzy rules combine theirs by
    the norm's t-conorm."""
    gone = np.isnan(x)
    out = []
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for rules in model.rules.values():
            act = np.zeros(len(x))
            for rule in rules:
                if isinstance(rule, RadialRule):
                    act = act + rule.correct * _radial_activation(rule, x, gone)
                else:
                    assert isinstance(rule, FuzzyRule)
                    act = t_conorm(model.norm, _fuzzy_activation(rule, x, gone), act)
            out.append(act)
    return out


def winner(classes: Sequence[Any], acts: Sequence[float], dont_know: float) -> Any:
    """The class with the highest activation (the first on a tie, unless it is the missing
    class); missing when the best activation is 0 or below the don't-know threshold."""
    best: Any = None
    best_missing, high = True, -1.0
    for label, d in zip(classes, acts, strict=True):
        if d > high or (d == high and best_missing):
            high, best, best_missing = d, label, label is None
    return None if high == 0.0 or high < dont_know else best
