"""One version of the registered model, as MLflow's registry describes it."""

import datetime
import re
from dataclasses import dataclass

from catsdogs.registry.mlflow_rest import RegistryError

# MLflow numbers a model's versions 1, 2, 3...: anything else names no version (and may name a
# path: serving keeps each version in a folder named by its number).
NUMBER = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class RegisteredVersion:
    """One registered version, as the registry describes it.

    Its `registry_version` is MLflow's number ("3"); its `model_version` is its card's
    (1.0.0+3081f9d1), the one responses, rows and metrics show.
    """

    registry_version: str
    run_id: str | None
    source: str
    tags: dict[str, str]
    aliases: tuple[str, ...]
    created: datetime.datetime | None
    status: str = "READY"
    description: str = ""

    @property
    def model_version(self) -> str | None:
        """Its model card's version, e.g. 1.0.0+3081f9d1 (tagged `card_version` in MLflow)."""
        return self.tags.get("card_version")

    @property
    def sha256(self) -> str | None:
        """The sha256 of its ONNX file, as recorded when it was registered."""
        return self.tags.get("sha256")

    @classmethod
    def from_json(cls, data: dict) -> "RegisteredVersion":
        """Read MLflow's JSON `model_version`; a malformed one is a RegistryError."""
        try:
            number, stamp = str(data["version"]), data.get("creation_timestamp")
            if not NUMBER.fullmatch(number):
                raise ValueError(f"version {number[:40]!r} is not a number")
            return cls(
                registry_version=number,
                run_id=data.get("run_id") or None,
                source=str(data.get("source", "")),
                tags={t["key"]: t["value"] for t in data.get("tags", [])},
                aliases=tuple(data.get("aliases", [])),
                created=_time(stamp) if stamp is not None else None,
                status=str(data.get("status", "READY")),
                description=str(data.get("description", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RegistryError(f"MLflow described a model version unreadably: {error!r}") from None


def _time(milliseconds: int | str) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(milliseconds) / 1000, datetime.UTC)
