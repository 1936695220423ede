"""Iris classifier: an API server that validates input, and a runner that holds the model.

The runner (`IrisKNNRunnable`, runner name ``iris_clf``) reads ``iris.csv`` (Fisher 1936, 150
rows) when it starts and classifies by majority vote of the k nearest training rows in
standardised feature space.  The API server (`IrisClassifier`) never loads the model: it checks
the request and forwards the rows to the runner, as a BentoML service does.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("iris.csv")
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def load_dataset(path: Path = DATA) -> tuple[list[list[float]], list[str]]:
    """The rows and their species, as read from the CSV."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [(list(map(float, (r[f] for f in FEATURES))), r["species"]) for r in reader]
    return [x for x, _ in rows], [y for _, y in rows]


def parse_inputs(payload: Any) -> list[list[float]]:
    """Accept ``[[...4 numbers], ...]``, one row ``[...4 numbers]`` or ``{"inputs": rows}``."""
    if isinstance(payload, dict):
        if "inputs" not in payload:
            raise ValueError('expected a list of rows or {"inputs": [...]}')
        payload = payload["inputs"]
    if not isinstance(payload, list) or not payload:
        raise ValueError("expected a non-empty list of rows of 4 numbers")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in payload):
        payload = [payload]
    rows = []
    for i, row in enumerate(payload):
        if not isinstance(row, list) or len(row) != len(FEATURES):
            raise ValueError(f"row {i}: expected {len(FEATURES)} numbers {list(FEATURES)}")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row):
            raise ValueError(f"row {i}: values must be numbers")
        if not all(math.isfinite(v) for v in row):
            raise ValueError(f"row {i}: values must be finite")
        rows.append([float(v) for v in row])
    return rows


class IrisKNNRunnable:
    """k-NN (k=5) over z-scored features; ties go to the nearest neighbour's class."""

    def __init__(self, k: int = 5, path: Path = DATA) -> None:
        xs, self.labels = load_dataset(path)
        n = len(xs)
        self.mean = [sum(x[j] for x in xs) / n for j in range(len(FEATURES))]
        self.std = [
            math.sqrt(sum((x[j] - self.mean[j]) ** 2 for x in xs) / n) or 1.0
            for j in range(len(FEATURES))
        ]
        self.points = [self._scale(x) for x in xs]
        self.k = k

    def _scale(self, x: list[float]) -> list[float]:
        return [(v - m) / s for v, m, s in zip(x, self.mean, self.std, strict=False)]

    def _classify(self, row: list[float]) -> str:
        q = self._scale(row)
        nearest = sorted(
            range(len(self.points)),
            key=lambda i: sum((a - b) ** 2 for a, b in zip(q, self.points[i], strict=False)),
        )[: self.k]
        votes = Counter(self.labels[i] for i in nearest)
        best = max(votes.values())
        for i in nearest:  # nearest first: breaks ties by distance
            if votes[self.labels[i]] == best:
                return self.labels[i]
        raise AssertionError("unreachable")

    def predict(self, rows: list[list[float]]) -> list[str]:
        return [self._classify(row) for row in parse_inputs(rows)]


class IrisClassifier:
    """The API server: ``POST /classify``."""

    def __init__(self, runners: dict[str, Any]) -> None:
        self.iris_clf = runners["iris_clf"]

    def classify(self, payload: Any) -> list[str]:
        return self.iris_clf.call("predict", parse_inputs(payload))
