"""Which version serves: promote, roll back and shadow through the registry's aliases.

The decisions and the records live here; `flask models` (catsdogs/registry/cli.py) only parses,
prints and notifies. Who, when and why of every change are tags in MLflow.
"""

import datetime
import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from catsdogs.card import CardError, ModelCard
from catsdogs.registry import lineage
from catsdogs.registry.client import CARD, ONNX, RegisteredVersion, Registry, file_sha256

CHAMPION, CHALLENGER = "champion", "challenger"
HISTORY = "champion_history"  # registered-model tag: champions' versions, oldest first
HISTORY_LENGTH = 50  # enough to roll back far; an MLflow tag value holds 5,000 characters
MAX_ACCURACY_DROP = 0.003  # 0.3 point of test accuracy, on the same split


class Refused(Exception):
    """The change would break a rule; `problems` says which (--force overrides for promote)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Change:
    """One change of an alias, as recorded (in MLflow's `last_change` tag: the field names are
    that tag's keys). `version` and `previous` are registry versions."""

    action: str  # promote, rollback, shadow, shadow-off
    alias: str
    version: str | None  # the registry version the alias now names; None when removed
    previous: str | None
    by: str
    reason: str
    at: str = field(default_factory=lambda: datetime.datetime.now(datetime.UTC).isoformat())
    overruled: tuple[str, ...] = ()  # the problems a forced promotion went past
    cleared: tuple[str, ...] = ()  # other aliases the change removed from the version

    @property
    def unchanged(self) -> bool:
        """The alias already named that version (or no version): nothing was done."""
        return self.version == self.previous

    def describe(self) -> str:
        target = f"version {self.version}" if self.version else "no version"
        text = f"{self.alias} -> {target} (was {self.previous or 'none'}) by {self.by}"
        text += f": {self.reason}" if self.reason else ""
        text += f" [forced past: {'; '.join(self.overruled)}]" if self.overruled else ""
        return text + "".join(f"; no longer {alias}" for alias in self.cleared)


def promotion_problems(registry: Registry, candidate: RegisteredVersion) -> list[str]:
    """Why `candidate` should not become champion; empty when nothing stands in the way."""
    erased = erasure_problems(registry, candidate)
    problems = card_problems(registry, candidate)
    if problems:
        return erased + problems
    champion = registry.by_alias(CHAMPION)
    if champion is None or champion.registry_version == candidate.registry_version:
        return erased
    return erased + accuracy_problems(
        registry.card(candidate), registry.card(champion), champion.registry_version
    )


def erasure_problems(registry: Registry, version: RegisteredVersion | str) -> list[str]:
    """Why `version` should not serve anyone: it was trained on photos erased since, as the
    service's lineage check marked it (catsdogs/registry/lineage.py); empty when unmarked."""
    if isinstance(version, str):
        version = registry.get(version)
    mark = lineage.Mark.of(version)
    if mark is None:
        return []
    return [
        f"version {version.registry_version} was trained on {mark.count} erased photo(s) "
        f"(marked {mark.since}): retrain without them (docs/personal-data.md)"
    ]


def card_problems(registry: Registry, version: RegisteredVersion) -> list[str]:
    """Whether the version's files make a model the service can load, as registered."""
    if version.status != "READY":
        return [f"version {version.registry_version} is {version.status}, not READY"]
    with tempfile.TemporaryDirectory() as folder:
        registry.download(version, Path(folder))
        try:
            card = ModelCard.for_model(Path(folder) / ONNX)
        except CardError as error:
            return [f"version {version.registry_version}: {error}".replace(folder + "/", "")]
        actual = file_sha256(Path(folder) / ONNX)
    problems = []
    if card.data.get("sha256") != actual:
        problems.append(
            f"version {version.registry_version}: the ONNX file's sha256 is not its card's"
        )
    if version.sha256 and version.sha256 != actual:
        problems.append(
            f"version {version.registry_version}: the ONNX file is not the one registered"
        )
    return problems


def accuracy_problems(candidate: dict, champion: dict, champion_version: str) -> list[str]:
    """A candidate more than 0.3 point below the champion on the same test split is refused."""
    try:
        mine = float(candidate["evaluation"]["test"]["accuracy"])
        theirs = float(champion["evaluation"]["test"]["accuracy"])
    except (KeyError, TypeError, ValueError):
        return [f"{CARD} of the candidate or of the champion has no test accuracy"]
    if _split(candidate) != _split(champion):
        return [
            f"evaluated on another test split than champion version {champion_version} "
            "(dataset or split differ): the accuracies cannot be compared"
        ]
    if theirs - mine > MAX_ACCURACY_DROP + 1e-9:
        return [
            f"test accuracy {mine:.2%} is {100 * (theirs - mine):.2f} points below champion "
            f"version {champion_version}'s {theirs:.2%} (at most {100 * MAX_ACCURACY_DROP:.1f})"
        ]
    return []


def promote(registry: Registry, version: str, by: str, reason: str, force: bool) -> Change:
    """Point `champion` at `version` unless a problem stands in the way and `force` is off."""
    candidate, previous = registry.get(version), registry.by_alias(CHAMPION)
    if previous and previous.registry_version == candidate.registry_version:
        return Change(
            "promote", CHAMPION, candidate.registry_version, previous.registry_version, by, reason
        )
    problems = promotion_problems(registry, candidate)
    if problems and not force:
        raise Refused(problems)
    history = _history(registry)
    if previous and (not history or history[-1] != previous.registry_version):
        history.append(previous.registry_version)  # a champion set outside these commands
    registry.set_alias(CHAMPION, candidate.registry_version)
    if not history or history[-1] != candidate.registry_version:
        history.append(candidate.registry_version)
    registry.set_model_tag(HISTORY, ",".join(history[-HISTORY_LENGTH:]))
    cleared = _clear_challenger(registry, candidate.registry_version, by)
    change = Change("promote", CHAMPION, candidate.registry_version, _version(previous), by, reason,
                    overruled=tuple(problems), cleared=cleared)  # fmt: skip
    return record(registry, change)


def _clear_challenger(registry: Registry, version: str, by: str) -> tuple[str, ...]:
    """Remove the challenger alias from `version`, just promoted: the champion would shadow
    itself. The aliases removed (recorded as a shadow-off)."""
    challenger = registry.by_alias(CHALLENGER)
    if challenger is None or challenger.registry_version != version:
        return ()
    registry.delete_alias(CHALLENGER)
    record(registry, Change("shadow-off", CHALLENGER, None, version, by, f"promoted to {CHAMPION}"))
    return (CHALLENGER,)


def rollback(registry: Registry, by: str, reason: str) -> Change:
    """Point `champion` back at the champion before the current one."""
    current, history = registry.by_alias(CHAMPION), _history(registry)
    if current and history and history[-1] == current.registry_version:
        history.pop()
    if not history:
        raise Refused(["no earlier champion is recorded: nothing to roll back to"])
    target = registry.get(history[-1])  # still registered?
    registry.set_alias(CHAMPION, target.registry_version)
    registry.set_model_tag(HISTORY, ",".join(history))
    change = Change("rollback", CHAMPION, target.registry_version, _version(current), by, reason)
    return record(registry, change)


def shadow(registry: Registry, version: str | None, by: str, reason: str) -> Change:
    """Point `challenger` at `version`, or remove it (None)."""
    previous = registry.by_alias(CHALLENGER)
    if version is None:
        registry.delete_alias(CHALLENGER)
        change = Change("shadow-off", CHALLENGER, None, _version(previous), by, reason)
        return record(registry, change) if previous else change
    candidate = registry.get(version)
    if previous and previous.registry_version == candidate.registry_version:
        return Change(
            "shadow", CHALLENGER, candidate.registry_version, previous.registry_version, by, reason
        )
    champion = registry.by_alias(CHAMPION)
    if champion and champion.registry_version == candidate.registry_version:
        raise Refused([f"version {version} is the champion: a challenger must be another one"])
    problems = card_problems(registry, candidate)
    if problems:
        raise Refused(problems)
    registry.set_alias(CHALLENGER, candidate.registry_version)
    change = Change(
        "shadow", CHALLENGER, candidate.registry_version, _version(previous), by, reason
    )
    return record(registry, change)


def record(registry: Registry, change: Change) -> Change:
    """Keep who, when and why: on the version concerned and as the model's last change."""
    audit = {"by": change.by, "at": change.at, "reason": change.reason}
    if change.overruled:
        audit["forced"] = "; ".join(change.overruled)
    concerned = change.version or change.previous
    assert concerned is not None  # a change names a version, or removes the alias from one
    for key, value in audit.items():
        registry.set_tag(concerned, f"{change.action}.{key}", value)
    registry.set_model_tag("last_change", json.dumps(asdict(change)))
    return change


def _history(registry: Registry) -> list[str]:
    return [v for v in registry.model_tags().get(HISTORY, "").split(",") if v]


def _split(card: dict) -> tuple:
    dataset = card.get("dataset", {})
    return dataset.get("sha256"), json.dumps(dataset.get("split"), sort_keys=True)


def _version(version: RegisteredVersion | None) -> str | None:
    return version.registry_version if version else None
