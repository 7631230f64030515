"""Detectors: one registry (``DETECTORS``); importing this package registers the built-ins."""

from separ.detectors import brigade as brigade
from separ.detectors import coaction as coaction
from separ.detectors import followswarm as followswarm
from separ.detectors import images as images
from separ.detectors import lockstep as lockstep
from separ.detectors import replyswarm as replyswarm
from separ.detectors.base import (
    DETECTORS,
    Detector,
    Evidence,
    Finding,
    Interval,
    Options,
    bh_qvalues,
    build,
    register,
    run_detectors,
)

__all__ = [
    "DETECTORS",
    "Detector",
    "Evidence",
    "Finding",
    "Interval",
    "Options",
    "bh_qvalues",
    "build",
    "register",
    "run_detectors",
]
