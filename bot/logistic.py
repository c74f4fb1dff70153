"""L2-regularised logistic regression on standardised features: small, dependency-free, reproducible."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(slots=True)
class Logistic:
    """p = σ(w · (x − mean) / std + b). Fitted by L-BFGS; the same data always gives the same model."""

    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bias: float = 0.0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    std: np.ndarray = field(default_factory=lambda: np.ones(0))

    def logit(self, features: np.ndarray) -> np.ndarray:
        """The linear score before the sigmoid; used as the fused ranking score. Without centring and
        scaling (the day-one ranker: x - 0 and x / 1 are x, bit for bit) the features go in as they are."""
        if not self.mean.any() and (self.std == 1).all():
            return features @ self.weights + self.bias
        scaled = features - self.mean
        scaled /= self.std  # in place: the same numbers as (features - mean) / std, one array fewer
        return scaled @ self.weights + self.bias

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probability of the positive class."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(features), -30, 30)))

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None,
            l2: float = 1.0) -> Logistic:
        """Minimise weighted log-loss + l2/2·|w|²."""
        mean, std = features.mean(axis=0), features.std(axis=0)
        std = np.where(std > 1e-9, std, 1.0)
        x = (features - mean) / std
        sample = np.ones(len(labels)) if weights is None else weights
        total = sample.sum()

        def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
            z = x @ params[:-1] + params[-1]
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
            eps = 1e-12
            value = -(sample * (labels * np.log(p + eps) + (1 - labels) * np.log(1 - p + eps))).sum() / total
            gradient_z = sample * (p - labels) / total
            grad = np.append(x.T @ gradient_z + l2 * params[:-1] / total, gradient_z.sum())
            return value + 0.5 * l2 * float(params[:-1] @ params[:-1]) / total, grad

        from scipy.optimize import minimize  # training only: a serving worker never loads the optimiser

        result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
        return cls(result.x[:-1], float(result.x[-1]), mean, std)

    @classmethod
    def fit_listwise(cls, groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1.0) -> Logistic:
        """Softmax over each query's candidates: the answer should outscore every other candidate.

        `groups` holds (features, target weights) per query; targets sum to one over the answers.
        """
        stacked = np.vstack([features for features, _ in groups])
        mean, std = stacked.mean(axis=0), stacked.std(axis=0)
        std = np.where(std > 1e-9, std, 1.0)
        scaled = [((features - mean) / std, targets) for features, targets in groups]

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = 0.5 * l2 * float(w @ w), l2 * w
            for x, targets in scaled:
                z = x @ w
                z = z - z.max()
                p = np.exp(z) / np.exp(z).sum()
                value -= float(targets @ np.log(p + 1e-12))
                grad = grad + x.T @ (p - targets)
            return value / len(scaled), grad / len(scaled)

        from scipy.optimize import minimize  # training only: a serving worker never loads the optimiser

        result = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B")
        return cls(result.x, 0.0, mean, std)

    def to_json(self) -> dict[str, Any]:
        """Plain lists for the model file."""
        return {"weights": self.weights.tolist(), "bias": self.bias, "mean": self.mean.tolist(),
                "std": self.std.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Logistic:
        """Inverse of :meth:`to_json`."""
        return cls(np.array(data["weights"]), float(data["bias"]), np.array(data["mean"]),
                   np.array(data["std"]))
