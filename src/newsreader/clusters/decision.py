"""Whether a story joins a cluster: logistic models of the evidence, one for a cluster that has stories
in the story's language and one for a cluster that has none. The weights are fitted on the first 60 % of
the days of the OG2021 development set (`python benchmarks/cluster_quality.py --fit`)."""

from __future__ import annotations

import math

from .evidence import Evidence, inputs

#: intercept, then one weight per `evidence.inputs`
SAME_LANGUAGE = (-2.158, 7.089, 1.92, -0.119, 0.955, 1.614, -0.034, -1.925, -0.685, -0.333, -1.031, 0.065, -0.335)
OTHER_LANGUAGE = (-2.682, 0.0, 2.108, 0.0, 0.0, 3.523, 0.698, -1.359, 0.551, -0.211, -1.101, 0.135, 0.096)


def probability(ev: Evidence, same: tuple[float, ...] = SAME_LANGUAGE,
                other: tuple[float, ...] = OTHER_LANGUAGE) -> float:
    """The modelled chance that the story reports the cluster's event."""
    weights = same if ev.same_language else other
    z = weights[0] + sum(w * x for w, x in zip(weights[1:], inputs(ev)))
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0
