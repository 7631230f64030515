"""The shipped account scorecard: written by ``python bench/signals.py --write-weights``,
not by hand. docs/signals.md shows it as a table with its measured quality."""

from typing import Any

WEIGHTS: dict[str, Any] = {
    "model": "logistic regression, sign-constrained, Platt-calibrated",
    "score": "expit(intercept + sum(weight * (value - mean) / scale)); unknown = mean",
    "intercept": 0.138649,
    "features": [
        {
            "name": "followers",
            "what": "followers (log)",
            "direction": -1,
            "mean": 6.713297,
            "scale": 3.918759,
            "weight": 0.0,
        },
        {
            "name": "follow_ratio",
            "what": "(1 + following) / (1 + followers) (log): follows far more than follow back",
            "direction": 1,
            "mean": -0.614281,
            "scale": 3.593181,
            "weight": 0.062971,
        },
        {
            "name": "verified",
            "what": "verified by the platform",
            "direction": -1,
            "mean": 0.127175,
            "scale": 0.333169,
            "weight": 0.0,
        },
        {
            "name": "likes",
            "what": "posts liked (log; Twitter profiles only)",
            "direction": -1,
            "mean": 4.75981,
            "scale": 3.86209,
            "weight": -0.587988,
        },
        {
            "name": "listed",
            "what": "lists it is on (log; Twitter profiles only)",
            "direction": -1,
            "mean": 2.414931,
            "scale": 2.895015,
            "weight": 0.0,
        },
    ],
    "calibration": {
        "platt_a": 1.001878,
        "platt_b": 0.000141,
    },
    "training": {
        "l2": 0.001,
        "folds": 5,
        "seed": 0,
    },
    "trained_on": [
        {
            "dataset": "cresci2015",
            "source": "Cresci et al. 2015, E13 genuine vs INT purchased fake followers",
            "accounts": 2818,
            "inauthentic": 1337,
        },
        {
            "dataset": "gilani-2017",
            "source": "Bot Repository, Gilani et al. 2017",
            "accounts": 2465,
            "inauthentic": 1071,
        },
        {
            "dataset": "cresci-rtbust-2019",
            "source": "Bot Repository, Mazza et al. 2019",
            "accounts": 693,
            "inauthentic": 353,
        },
    ],
    "note": "Each set weighs the same and, within it, both classes the same: 0.5 is even odds. Weights are log-odds per standard deviation. A score weighs cohorts; it never flags one account (principle 2).",
}
