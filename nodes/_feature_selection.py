"""KNIME's feature selection searches (org.knime.base.node.meta.feature.selection) as generators.

A search yields the `Candidate` subset to score next and is sent that pass's `Score`; it returns when
KNIME's `continueLoop()` would say no more. Forward selection, backward elimination and the random
search follow FFSStrategy, FBSStrategy and RandomStrategy step by step (the random one with the same
`java.util.Random` draws, so a seeded KNIME search tries the same subsets). The genetic search is
knitflow's own: KNIME runs the Jenetics engine, whose sequence of draws is not reproduced here.

The passes of one `round` compete for one feature level (sequential strategies); every pass of the
non-sequential strategies is a level of its own. The loop end rebuilds the levels from the passes
with `best_position`, the same rule the searches use.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from engine.api import NodeError
from nodes._java_random import JavaRandom, java_shuffle, to_int32


@dataclass(frozen=True)
class Candidate:
    """One pass: the features it includes (level order), the feature tried (-1: none), its round."""

    included: tuple[int, ...]
    feature: int
    round: int


@dataclass(frozen=True)
class Score:
    """The loop end's feedback: the pass's score and which way it is optimised."""

    value: float
    minimize: bool


Search = Generator[Candidate, Score, None]


def is_better(value: float, best: float, minimize: bool) -> bool:
    """AbstractSequentialFeatureSelectionStrategy.newBestScore: strictly better (NaN never is)."""
    return value < best if minimize else value > best


def best_position(scores: Sequence[Score]) -> int:
    """The pass of a round whose feature wins it: the first strictly best score, starting from
    -inf (maximise) or +inf (minimise)."""
    best = -1
    best_value = math.inf if scores and scores[0].minimize else -math.inf
    for i, score in enumerate(scores):
        if is_better(score.value, best_value, score.minimize):
            best, best_value = i, score.value
    if best < 0:
        raise NodeError(
            "no subset of this round scored better than "
            f"{'+' if best_value > 0 else '-'}infinity (is the score NaN?)",
            setting="scoreVariable",
        )
    return best


# ------------------------------------------------------------------------- sequential strategies


def forward_selection(n_features: int, threshold: int) -> Search:
    """FFSStrategy: each round adds, to the features chosen so far, the one that scores best."""
    available = list(range(n_features))
    included: list[int] = []
    round_ = 0
    while True:
        scores = []
        for feature in available:
            scores.append((yield Candidate((*included, feature), feature, round_)))
        best = available[best_position(scores)]
        included.append(best)
        available.remove(best)
        if len(included) == threshold or not available:
            return
        round_ += 1


def backward_elimination(n_features: int, threshold: int) -> Search:
    """FBSStrategy: a first pass with every feature, then each round removes the feature whose
    removal scores best, down to one feature (or `threshold`)."""
    included = list(range(n_features))
    best_position([(yield Candidate(tuple(included), -1, 0))])
    available = list(included)
    round_ = 1
    while len(included) != threshold and len(available) != 1:
        scores = []
        for feature in available:
            rest = tuple(f for f in included if f != feature)
            scores.append((yield Candidate(rest, feature, round_)))
        best = available[best_position(scores)]
        included.remove(best)
        available.remove(best)
        round_ += 1


def sequential_iterations(backward: bool, threshold: int, n_features: int) -> int:
    """getNumberOfIterations of FFS/FBS (`maxIterations`), KNIME's arithmetic as it is."""
    if threshold == -1:
        return n_features * (n_features + 1) // 2
    rounds = n_features - threshold if backward else threshold
    return sum(n_features - i for i in range(rounds))


# ---------------------------------------------------------------------------------- random search


def java_list_hash(values: Sequence[int]) -> int:
    """`List<Integer>.hashCode()`: RandomStrategy's duplicate check compares these, not the lists."""
    h = 1
    for v in values:
        h = to_int32(31 * h + v)
    return h


def java_average(values: Sequence[float]) -> float:
    """`DoubleStream.average()`: Kahan-compensated sum (JDK 17's Collectors) over the count."""
    total = compensation = simple = 0.0
    for v in values:
        tmp = v - compensation
        velvel = total + tmp
        compensation = (velvel - total) - tmp
        total = velvel
        simple += v
    final = total + compensation  # JDK 17's computeFinalSum adds the compensation back as stored
    if math.isnan(final) and math.isinf(simple):
        final = simple
    return final / len(values)


def java_signum(value: float) -> float:
    return value if value == 0.0 or math.isnan(value) else math.copysign(1.0, value)


def stop_early(last: Sequence[float], rounds: int, tolerance: float) -> bool:
    """RandomStrategy.stopEarly over the last 2 * rounds scores (negated when maximising): stop
    when no later window of `rounds` scores improved on the first window by `tolerance`."""
    if len(last) < 2 * rounds:
        return False
    values = list(last)
    reference = java_average(values[:rounds])
    best_new = 1.7976931348623157e308  # Double.MAX_VALUE
    for i in range(1, rounds + 1):
        average = java_average(values[i : i + rounds])
        if average < best_new:
            best_new = average
    if best_new > reference:
        return True
    if java_signum(best_new) != java_signum(reference):
        return False
    # the signs agree here, so a zero reference means 0 / 0: Java's NaN
    ratio = best_new / reference if reference != 0 else math.nan
    if math.isnan(ratio):
        return True
    improved = ratio >= 1 + tolerance if java_signum(best_new) < 0 else ratio <= 1 - tolerance
    return not improved


@dataclass(frozen=True)
class RandomBounds:
    """The random search's subset sizes and stopping rules (RandomStrategy.Builder)."""

    max_iterations: int
    lower: int = -1
    upper: int = -1
    early_stopping: int = -1
    tolerance: float = 0.0


def size_bounds(n_features: int, lower: int, upper: int) -> tuple[int, int]:
    """RandomStrategy's bounds: unset ones (<= 0) are 1 and all features; KNIME's checks."""
    low = 1 if lower <= 0 else lower
    high = n_features if upper <= 0 else min(upper, n_features)
    if low > high:
        raise NodeError(
            "The lower bound of number of features must be less than or equal the upper bound.",
            setting="nrFeatureLowerBound",
        )
    if low > n_features:
        raise NodeError(
            "The lower bound of number of features must less than or equal the actual number of features.",
            setting="nrFeatureLowerBound",
        )
    return low, high


def random_search(n_features: int, bounds: RandomBounds, rnd: JavaRandom) -> Search:
    """RandomStrategy: shuffle the feature indices, take a random number of them (sorted, in place,
    as KNIME's subList sort leaves them), skip subsets whose list hash was seen; every draw counts
    as an iteration."""
    low, high = size_bounds(n_features, bounds.lower, bounds.upper)
    indices = list(range(n_features))
    seen: set[int] = set()
    drawn = 0

    def next_subset() -> tuple[int, ...] | None:
        nonlocal drawn
        while drawn < bounds.max_iterations:
            drawn += 1
            java_shuffle(indices, rnd)
            size = rnd.nextInt(high - low + 1) + low
            indices[:size] = sorted(indices[:size])
            subset = tuple(indices[:size])
            if java_list_hash(subset) not in seen:
                seen.add(java_list_hash(subset))
                return subset
        return None

    last: deque[float] = deque(maxlen=2 * max(bounds.early_stopping, 1))
    current = next_subset()
    i = 0
    while current is not None:
        score = yield Candidate(current, -1, i)
        i += 1
        stop = False
        if bounds.early_stopping > 0:
            last.append(score.value if score.minimize else -score.value)
            stop = stop_early(last, bounds.early_stopping, bounds.tolerance)
        current = next_subset()
        if stop:
            return


# --------------------------------------------------------------------------------- genetic search


@dataclass(frozen=True)
class GeneticParams:
    """The genetic search's settings (GeneticStrategy.Builder)."""

    population: int = 20
    generations: int = 10
    lower: int = -1
    upper: int = -1
    survivors_fraction: float = 0.4
    crossover_rate: float = 0.6
    mutation_rate: float = 0.01
    elitism_rate: float = 0.1
    early_stopping: int = -1
    selection: str = "TOURNAMENT_SELECTION"
    crossover: str = "UNIFORM_CROSSOVER"


def check_genetic(n_features: int, params: GeneticParams) -> None:
    """GeneticStrategy's argument checks, KNIME's messages."""
    lower, upper = params.lower, params.upper
    if lower > 0 and upper > 0 and lower > upper:
        raise NodeError(
            "The lower bound of number of features must be less than or equal the upper bound.",
            setting="nrFeatureLowerBound",
        )
    if lower > n_features:
        raise NodeError(
            "The lower bound of number of features must less than or equal the actual number of features.",
            setting="nrFeatureLowerBound",
        )
    if params.generations <= 0:
        raise NodeError("The number of generations must be at least 1.", setting="maxNumGenerations")
    if params.population < 2:
        raise NodeError("The population size must be at least 2.", setting="popSize")


Genome = tuple[bool, ...]


class _Evolution:
    """Creation, validity, selection and alteration of bit-string genomes (one bit per feature)."""

    def __init__(self, n_features: int, params: GeneticParams, rnd: JavaRandom) -> None:
        self.n = n_features
        self.params = params
        self.rnd = rnd
        lower, upper = params.lower, params.upper
        if lower <= 0 and upper <= 0:
            self.probability = 0.5
        elif lower <= 0:
            self.probability = upper / 2.0 / n_features
        elif upper <= 0:
            self.probability = (n_features + lower) / 2.0 / n_features
        else:
            self.probability = (lower + upper) / 2.0 / n_features

    def valid(self, genome: Genome) -> bool:
        """GeneticStrategy's validator of the number of chosen features."""
        count, lower, upper = sum(genome), self.params.lower, self.params.upper
        if lower <= 0 and upper <= 0:
            return count > 1
        if lower > 0 and upper > 0:
            return lower <= count <= upper
        if lower > 0:
            return count >= lower
        return 0 < count <= upper

    def create(self) -> Genome:
        """A random genome; after 100 invalid tries the last one is kept (Jenetics' retries)."""
        genome: Genome = ()
        for _ in range(100):
            genome = tuple(self.rnd.nextDouble() < self.probability for _ in range(self.n))
            if self.valid(genome):
                break
        return genome

    def select(self, population: list[Genome], goodness: list[float], count: int) -> list[Genome]:
        """`count` genomes by the selection strategy; `goodness` is larger for better genomes."""
        if count <= 0:
            return []
        kind = self.params.selection
        if kind == "TOURNAMENT_SELECTION":
            picks = []
            for _ in range(count):
                a, b = self.rnd.nextInt(len(population)), self.rnd.nextInt(len(population))
                picks.append(a if goodness[a] >= goodness[b] else b)
            return [population[i] for i in picks]
        weights = self._weights(goodness, kind)
        total = sum(weights)
        cumulative, acc = [], 0.0
        for w in weights:
            acc += w / total
            cumulative.append(acc)
        if kind == "STOCHASTIC_UNIVERSAL_SELECTION":
            start = self.rnd.nextDouble() / count
            points = [start + i / count for i in range(count)]
        else:
            points = [self.rnd.nextDouble() for _ in range(count)]
        return [population[min(_position(cumulative, p), len(population) - 1)] for p in points]

    @staticmethod
    def _weights(goodness: list[float], kind: str) -> list[float]:
        """Selection weights: by fitness (roulette, stochastic universal) or by rank."""
        if kind in ("ROULETTEWHEEL_SELECTION", "STOCHASTIC_UNIVERSAL_SELECTION"):
            low = min(goodness)
            weights = [g - low for g in goodness]
            return weights if sum(weights) > 0 else [1.0] * len(goodness)
        order = sorted(range(len(goodness)), key=lambda i: goodness[i])  # worst first
        n = len(goodness)
        weights = [0.0] * n
        for rank, i in enumerate(order):
            if kind == "LINEAR_RANK_SELECTION":
                weights[i] = 0.5 + rank / max(n - 1, 1)  # n- = 0.5, n+ = 1.5
            else:
                weights[i] = 0.975 ** (n - 1 - rank)
        return weights

    def alter(self, offspring: list[Genome]) -> list[Genome]:
        """Crossover of random pairs (with the crossover rate), then bit-flip mutation."""
        genes = [list(g) for g in offspring]
        if len(genes) > 1 and self.n > 1:
            for i in range(len(genes)):
                if self.rnd.nextDouble() < self.params.crossover_rate:
                    j = self.rnd.nextInt(len(genes) - 1)
                    self._cross(genes[i], genes[j if j < i else j + 1])
        for g in genes:
            for k in range(self.n):
                if self.rnd.nextDouble() < self.params.mutation_rate:
                    g[k] = not g[k]
        return [tuple(g) for g in genes]

    def _cross(self, a: list[bool], b: list[bool]) -> None:
        kind = self.params.crossover
        if kind == "UNIFORM_CROSSOVER":
            swap = [k for k in range(self.n) if self.rnd.nextDouble() < 0.5]
        elif kind == "SINGLE_POINT_CROSSOVER":
            swap = list(range(self.rnd.nextInt(self.n - 1) + 1, self.n))
        else:
            cut1, cut2 = sorted((self.rnd.nextInt(self.n + 1), self.rnd.nextInt(self.n + 1)))
            swap = list(range(cut1, cut2))
        for k in swap:
            a[k], b[k] = b[k], a[k]

    def next_generation(self, population: list[Genome], goodness: list[float]) -> list[Genome]:
        """Survivors (the elite first) and altered offspring; invalid genomes are created anew."""
        size = len(population)
        offspring_count = math.floor(size * (1 - self.params.survivors_fraction) + 0.5)
        survivors_count = size - offspring_count
        elite = min(int(self.params.elitism_rate * size + 0.5), survivors_count)
        ranked = sorted(range(size), key=lambda i: -goodness[i])
        survivors = [population[i] for i in ranked[:elite]]
        survivors += self.select(population, goodness, survivors_count - elite)
        offspring = self.alter(self.select(population, goodness, offspring_count))
        return survivors + [g if self.valid(g) else self.create() for g in offspring]


def _position(cumulative: list[float], point: float) -> int:
    for i, c in enumerate(cumulative):
        if point < c:
            return i
    return len(cumulative) - 1


def genetic_search(n_features: int, params: GeneticParams, rnd: JavaRandom) -> Search:
    """A generational genetic algorithm over feature bit strings: every new genome is one pass
    (a genome seen before keeps its score), at most (generations + 1) * population passes; early
    stopping after `early_stopping` generations without a better best score."""
    check_genetic(n_features, params)
    evolution = _Evolution(n_features, params, rnd)
    population = [evolution.create() for _ in range(params.population)]
    scores: dict[Genome, float] = {}
    minimize = False
    passes = steady = 0
    best_so_far = math.nan
    for generation in range(params.generations + 1):
        for genome in population:
            if genome not in scores:
                score = yield Candidate(tuple(k for k, on in enumerate(genome) if on), -1, passes)
                passes += 1
                minimize = score.minimize
                scores[genome] = score.value
        goodness = [_goodness(scores[g], minimize) for g in population]
        best = max(goodness)
        if generation == 0 or best > best_so_far:
            best_so_far, steady = best, 0
        else:
            steady += 1
        if generation == params.generations or 0 < params.early_stopping <= steady:
            return
        population = evolution.next_generation(population, goodness)


def _goodness(value: float, minimize: bool) -> float:
    if math.isnan(value):
        return -math.inf
    return -value if minimize else value


def java_double_compare(a: float, b: float) -> int:
    """`Double.compare`: NaN above everything, -0.0 below 0.0."""
    if a < b:
        return -1
    if a > b:
        return 1
    key_a = (math.isnan(a), math.copysign(1.0, a) if not math.isnan(a) else 0.0)
    key_b = (math.isnan(b), math.copysign(1.0, b) if not math.isnan(b) else 0.0)
    return (key_a > key_b) - (key_a < key_b)
