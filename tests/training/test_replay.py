"""The review order's replay on a tiny synthetic feature set: the head, the strategies, the
labels each needs, and the report (the real replay, on ImageNet features, is `make replay`)."""

import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from catsdogs.training import replay, replay_figure, replay_report


def blobs(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes in 5 dimensions, split by a plane off the middle: most points are far from
    it (easy), the few near it decide where the head puts the plane."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (count, 5))
    labels = (x[:, 0] + 0.5 * x[:, 1] > 1.0).astype(float)
    return x, labels


@pytest.fixture(scope="module")
def data():
    pool, labels = blobs(800, 0)
    test, test_labels = blobs(1000, 1)
    return pool, labels, test, test_labels


@pytest.fixture(scope="module")
def curves(data):
    return {s: replay.simulate(*data, s, seed=3, start=20) for s in replay.STRATEGIES}


def test_the_schedule_grows_from_the_start_to_the_whole_pool():
    counts = replay.schedule(20, 1000)
    assert counts[:3] == [20, 40, 60] and counts[-1] == 1000
    assert counts == sorted(set(counts))


def test_the_head_learns_a_plane_and_warm_starts_to_the_same_weights(data):
    pool, labels, test, test_labels = data
    weights = replay.fit(pool, labels)
    assert ((replay.p_dog(weights, test) >= 0.5) == test_labels).mean() > 0.97
    again = replay.fit(pool, labels, start=replay.fit(pool[:40], labels[:40]))
    assert np.allclose(weights, again, atol=1e-4)


def test_every_strategy_starts_and_ends_on_the_same_labels(curves):
    firsts = {curve[0] for curve in curves.values()}
    lasts = {curve[-1] for curve in curves.values()}
    assert len(firsts) == 1 and len(lasts) == 1  # same start; the whole pool alike


def test_picking_by_value_needs_fewer_labels_than_oldest_first(curves):
    target = curves["oldest"][-1][1] - 0.01
    oldest = replay.labels_to_reach(curves["oldest"], target)
    value = replay.labels_to_reach(curves["value"], target)
    uncertain = replay.labels_to_reach(curves["uncertainty"], target)
    assert value is not None and uncertain is not None and oldest is not None
    assert value * 2 <= oldest and uncertain * 2 <= oldest


def test_the_value_score_prefers_the_rarer_class_among_the_labels():
    pool = np.array([[-1.0], [1.0], [-1.0], [-1.0]])
    labels = np.array([0.0, 1.0, 0.0, 0.0])
    step = replay.Step(
        weights=np.array([0.01, 0.0]),  # all but even: cat under 0, dog over
        pool=pool,
        labels=labels,
        labelled=np.array([0, 2]),  # two cats labelled
        waiting=np.array([1, 3]),  # a dog, a cat
        rng=np.random.default_rng(0),
    )
    scores, unsure = replay.value(step), replay.uncertainty(step)
    assert np.allclose(unsure, unsure[0])  # as unsure of each: only the balance differs
    assert scores[0] - scores[1] >= 0.5  # no dog labelled yet: the dog's balance bonus


def test_labels_to_reach_and_the_mean_curve():
    curve = [(20, 0.9), (40, 0.95), (60, 0.97)]
    assert replay.labels_to_reach(curve, 0.95) == 40
    assert replay.labels_to_reach(curve, 0.99) is None
    assert replay.mean_curve([curve, [(20, 0.8), (40, 0.85), (60, 0.99)]]) == [
        (20, pytest.approx(0.85)),
        (40, pytest.approx(0.9)),
        (60, pytest.approx(0.98)),
    ]


def test_the_report_gives_the_labels_each_order_needs_and_draws_the_curves(curves):
    setup = {"pool": 800, "test": 1000, "start": 20, "seeds": 1, "dims": 5, "image_size": 224}
    runs = {strategy: [curve] for strategy, curve in curves.items()}
    text = replay_report.report(runs, setup, "review-replay.svg")
    assert "the value order needs" in text and "at most half" in text
    assert "![test accuracy against labels, per strategy](review-replay.svg)" in text
    svg = ElementTree.fromstring(replay_figure.figure(runs))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 3
    assert all(len(line.get("points").split()) == len(curves["oldest"]) for line in lines)
