"""The candidate detectors, fitted on the train split's outputs and judged side by side.

Each candidate turns a model's cached outputs (features, head logits) into scores. The choice
between them is made on the non-pet calibration part and validation pets alone.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from catsdogs.training.trust import detectors
from catsdogs.training.trust.graph import FEATURES, HEAD_LOGITS, TRUNK_FEATURES, KNearest
from catsdogs.training.trust.graph import Mahalanobis

BANK_SEED = 0
KNN = ((1024, 1), (1024, 10), (19198, 10))  # (bank size, k); the largest is the whole split
MAX_BANK = 4096  # photos of a bank the graph may carry


@dataclass
class Candidate:
    """A fitted detector: how it scores outputs, and its form in the graph if it has one."""

    name: str
    score: Callable[[dict], np.ndarray]
    graph: Mahalanobis | KNearest | None = None
    note: str = ""


def mahalanobis(
    name: str, train: dict, key: str = FEATURES, components: int | None = None, unit: bool = True
) -> Candidate:
    """Squared Mahalanobis distance on output `key` (divided by its norm when `unit`); with
    `components`, the largest directions apart and one variance for the rest."""
    fitted, shrinkage = detectors.fit_mahalanobis(train[key], train["labels"], components, unit)
    note = f"Ledoit-Wolf shrinkage {shrinkage:.4f}"
    if key != FEATURES:  # the graph's detector reads the heads' features
        return Candidate(name, lambda o: detectors.mahalanobis(fitted, o[key]), None, note)
    return Candidate(name, lambda o: detectors.mahalanobis(fitted, o[key]), fitted, note)


def k_nearest(name: str, train: dict, photos: int, k: int) -> Candidate:
    """Cosine distance to the k-th nearest of `photos` training photos drawn at random."""
    rng = np.random.default_rng(BANK_SEED)
    chosen = rng.permutation(len(train[FEATURES]))[:photos]
    bank = detectors.unit(train[FEATURES][chosen]).astype(np.float32)
    embedded = KNearest(bank, k) if photos <= MAX_BANK else None
    note = f"bank of {bank.nbytes / 2**20:.0f} MiB" + ("" if embedded else ", too large to embed")
    return Candidate(name, lambda o: detectors.knn(bank, o[FEATURES], k), embedded, note)


def candidates(train: dict) -> list[Candidate]:
    """Every detector compared in the report."""
    found = [
        mahalanobis("mahalanobis, features as they are", train, unit=False),
        mahalanobis("mahalanobis, unit features", train),
        *(
            mahalanobis(f"mahalanobis, unit features, {n} directions + rest", train, components=n)
            for n in (32, 64, 128, 256)
        ),
        *(k_nearest(f"kNN cosine, k={k}, bank {n}", train, n, k) for n, k in KNN),
        Candidate("max logit |z| (energy)", lambda o: detectors.max_logit(o[HEAD_LOGITS])),
    ]
    if TRUNK_FEATURES in train:
        found.append(mahalanobis("mahalanobis, shared trunk (96)", train, TRUNK_FEATURES))
    return found


def weights(detector: Mahalanobis | KNearest | None) -> int:
    """How many numbers the detector adds to the graph: a size that latency noise cannot blur."""
    if isinstance(detector, Mahalanobis):
        return detector.means.size + detector.projection.size
    return detector.bank.size if isinstance(detector, KNearest) else 0


def judge(scores: dict[str, np.ndarray], kinds: np.ndarray, refused: float) -> dict:
    """AUROC against validation pets, the threshold refusing `refused` of them, and the share
    of non-pets refused at it, over all non-pets and per kind."""
    threshold = detectors.threshold_for(scores["validation"], refused)
    others = scores["nonpet"]
    figures: dict = {
        "auroc": round(detectors.auroc(scores["validation"], others), 4),
        "threshold": round(threshold, 4),
        "refused_nonpets": round(detectors.refused(others, threshold), 4),
        "kinds": {},
    }
    for kind in sorted(set(kinds)):
        mine = others[kinds == kind]
        figures["kinds"][str(kind)] = {
            "images": int(len(mine)),
            "auroc": round(detectors.auroc(scores["validation"], mine), 4),
            "refused": round(detectors.refused(mine, threshold), 4),
        }
    return figures
