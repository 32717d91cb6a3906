"""Whether a story joins a cluster: logistic models of the evidence, one for a cluster that has stories
in the story's language and one for a cluster that has none. The weights are fitted on the first 60 % of
the days of the OG2021 development set (`python benchmarks/cluster_quality.py --fit`)."""

from __future__ import annotations

import math

from .evidence import Evidence, inputs

#: intercept, then one weight per `evidence.inputs`
SAME_LANGUAGE = (-1.523, 7.208, 2.303, -0.596, 2.148, 1.337, -0.094, -1.993, -0.626, -0.387, -1.014, 0.04, -0.78)
OTHER_LANGUAGE = (-2.229, 0.0, 4.027, 0.0, 0.0, 4.415, 0.587, -1.827, 0.663, -0.285, -1.047, 0.039, -0.515)


def probability(ev: Evidence, same: tuple[float, ...] = SAME_LANGUAGE,
                other: tuple[float, ...] = OTHER_LANGUAGE) -> float:
    """The modelled chance that the story reports the cluster's event."""
    weights = same if ev.same_language else other
    z = weights[0] + sum(w * x for w, x in zip(weights[1:], inputs(ev)))
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0
