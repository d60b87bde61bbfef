"""`python -m catsdogs.training replay`: run the review order's replay over several seeds and
write reports/review-replay.md with its curves (replay_figure.py)."""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
from pathlib import Path

from catsdogs.training import replay, replay_features
from catsdogs.training.replay_figure import NAMES, figure

log = logging.getLogger(__name__)
PRIMARY = "0.25 point under it"  # the whole-pool figure itself is reached only with the whole pool
SHOWN_COUNTS = (20, 60, 100, 200, 400, 800, 1600, 2400, 4000)
Curves = dict[str, list[list[tuple[int, float]]]]


def add_parser(subcommands: argparse._SubParsersAction, data: Path, weights: Path) -> None:
    """The `replay` subcommand and its options."""
    run = subcommands.add_parser(
        "replay",
        help="replay the review queue's order against oldest first on the base data, "
        "write reports/review-replay.md",
    )
    run.set_defaults(command=command)
    root = Path(__file__).resolve().parents[2]
    run.add_argument("--data", default=data, help="PetImages zip or folder")
    run.add_argument("--weights", default=weights, help="ImageNet MobileNetV2 .h5 (no top)")
    run.add_argument("--cache", type=Path, default=root / "build" / "replay", help="features")
    run.add_argument("--out", type=Path, default=root / "reports" / "review-replay.md")
    run.add_argument("--pool", type=int, default=4000, help="photos to pick from")
    run.add_argument("--start", type=int, default=20, help="photos labelled at the start")
    run.add_argument("--seeds", type=int, default=5, help="runs, each its own arrival order")
    run.add_argument("--dims", type=int, default=256, help="principal axes the head sees")
    run.add_argument("--image-size", type=int, default=224)
    run.add_argument("--seed", type=int, default=1337, help="which train photos form the pool")


def command(args: argparse.Namespace) -> int:
    """Features (cached), every strategy on every seed, then the report and its figure."""
    photos = replay_features.load(
        Path(args.data), Path(args.weights), args.cache, args.pool, args.image_size, args.seed
    )
    pool, test = replay.project(photos.pool, photos.test, args.dims)
    curves: Curves = {strategy: [] for strategy in replay.STRATEGIES}
    for seed in range(args.seeds):
        for strategy in replay.STRATEGIES:
            curve = replay.simulate(
                pool, photos.pool_labels, test, photos.test_labels, strategy, seed, args.start
            )
            curves[strategy].append(curve)
            log.info("replay: seed %d, %s: %.4f at %d labels", seed, strategy, *curve[-1][::-1])
    setup = {
        "pool": len(pool),
        "test": len(test),
        "start": args.start,
        "seeds": args.seeds,
        "dims": pool.shape[1],
        "image_size": args.image_size,
    }
    (args.cache / "replay-curves.json").write_text(json.dumps({"curves": curves, "setup": setup}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".svg").write_text(figure(curves))
    args.out.write_text(report(curves, setup, args.out.with_suffix(".svg").name))
    log.info("replay: wrote %s", args.out)
    return 0


def targets(curves: Curves) -> dict[str, float]:
    """The accuracies to reach: oldest first's with the whole pool, 0.25 and 0.5 point under."""
    full = replay.mean_curve(curves["oldest"])[-1][1]
    return {
        "oldest first's accuracy with the whole pool": full,
        "0.25 point under it": full - 0.0025,
        "0.5 point under it": full - 0.005,
    }


def report(curves: Curves, setup: dict, figure_name: str) -> str:
    """The Markdown report: the verdict, labels needed per target, the curves' table."""
    means = {strategy: replay.mean_curve(runs) for strategy, runs in curves.items()}
    goals = targets(curves)
    needed = {
        name: {s: replay.labels_to_reach(means[s], target) for s in replay.STRATEGIES}
        for name, target in goals.items()
    }
    rows = [
        f"| {name}: {goals[name]:.2%} | "
        + " | ".join(f"{counts[s]:,}" if counts[s] else "never" for s in replay.STRATEGIES)
        + f" | {_share(counts['value'], counts['oldest'])} |"
        for name, counts in needed.items()
    ]
    verdicts = [
        _verdict(name, goals[name], counts, setup["pool"]) for name, counts in needed.items()
    ]
    seeds = [
        f"| {NAMES[s]} | "
        + " | ".join(
            f"{replay.labels_to_reach(run, goals[PRIMARY]) or 'never'}" for run in curves[s]
        )
        + " |"
        for s in replay.STRATEGIES
    ]
    shown = [c for c, _ in means["oldest"] if c in SHOWN_COUNTS]
    table = [
        f"| {count:,} | "
        + " | ".join(f"{dict(means[s])[count]:.2%}" for s in replay.STRATEGIES)
        + " |"
        for count in shown
    ]
    header = " | ".join(NAMES[s] for s in replay.STRATEGIES)
    return "\n".join(
        [
            "# Review order replay",
            "",
            f"Written by `make replay` on {datetime.date.today().isoformat()}; "
            "how it works and what it means: [docs/review.md](../docs/review.md).",
            "",
            *[f"- {verdict}" for verdict in verdicts],
            "",
            f"Pool {setup['pool']:,} photos of the card's train split, test "
            f"{setup['test']:,} photos (the card's test split; one photo is "
            f"{1 / setup['test']:.2%}), {setup['start']} labelled at the start, "
            f"{setup['seeds']} seeds (arrival order and start differ per seed). Features: "
            f"ImageNet MobileNetV2 at {setup['image_size']}x{setup['image_size']} (never trained "
            "on PetImages), average-pooled, projected on the pool's first "
            f"{setup['dims']} principal axes; head: logistic regression (L2 {replay.L2:g}), "
            "retrained after each batch.",
            "",
            "## Labels needed to reach the same test accuracy (mean curve over the seeds)",
            "",
            f"| target | {header} | value / oldest |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"![test accuracy against labels, per strategy]({figure_name})",
            "",
            f"## Labels to reach {PRIMARY} ({goals[PRIMARY]:.2%}), seed by seed",
            "",
            "| strategy | " + " | ".join(f"seed {i}" for i in range(setup["seeds"])) + " |",
            "|---|" + "---|" * setup["seeds"],
            *seeds,
            "",
            "## Mean test accuracy by labels",
            "",
            f"| labels | {header} |",
            "|---|---|---|---|",
            *table,
            "",
            "## What the replay could not reproduce",
            "",
            '- Users\' "wrong" votes: a replay would have to invent who votes and how often.',
            '- The "not a cat or a dog" score: PetImages holds only cats and dogs, and the '
            "detector sits on the packaged model, trained on these photos.",
            "- A real challenger: simulated by a head trained on a bootstrap resample of the "
            "same labels, whose answers differ from the champion's where the labels are thin.",
            "",
        ]
    )


def _share(value: int | None, oldest: int | None) -> str:
    if value is None or oldest is None:
        return "n/a"
    return f"{value / oldest:.0%}"


def _verdict(name: str, target: float, needed: dict[str, int | None], pool: int) -> str:
    """One sentence per target: the value order's labels against oldest first's."""
    value, oldest = needed["value"], needed["oldest"]
    goal = f"{name} ({target:.2%})"
    if value == oldest == pool:
        return f"{goal}: every order needs the whole pool ({pool:,} labels)."
    if value is not None and oldest is not None and value * 2 <= oldest:
        return (
            f"{goal}: the value order needs {value:,} labels, oldest first {oldest:,} "
            f"({value / oldest:.0%}: at most half)."
        )
    reached = [s for s in replay.STRATEGIES if needed[s] is not None]
    best = min(reached, key=lambda s: needed[s] or math.inf) if reached else "oldest"
    return (
        f"{goal}: the value order needs {value or 'more than'} labels, oldest first "
        f"{oldest or 'more than'}: not half; the fewest: {NAMES[best]} ({needed[best]})."
    )
