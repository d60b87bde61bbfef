"""The MLflow Model Registry of the `catsdogs` model: versions, aliases, tags, files, runs.

Through MLflow's documented REST API (catsdogs/registry/mlflow_rest.py), not the mlflow package: the
serving image needs a handful of calls, which `requests` (already a dependency) makes, where
mlflow-skinny would add tens of packages, seconds of import time and memory to every worker.
"""

import hashlib
import json
import tempfile
from dataclasses import replace
from pathlib import Path

from catsdogs.registry.mlflow_rest import EXISTS, INVALID, MISSING, RegistryError, Rest, required
from catsdogs.registry.versions import RegisteredVersion
from catsdogs.registry.runs import Runs

__all__ = ["RegisteredVersion", "Registry", "RegistryError", "file_sha256"]

NAME = "catsdogs"
# A version's files, named as in catsdogs/model/ so that the existing loader reads the folder.
ONNX, CARD, REPORT = "catsdogs.onnx", "catsdogs.json", "catsdogs.md"
ARTIFACT_FOLDER = "model"
CHECKS, CHECK_CLASSES = "checks", ("cat", "dog")  # checks/cat/*.jpg: photos of known class


class Registry:
    """The registered model `name` on the MLflow tracking server at `tracking_uri`."""

    def __init__(self, tracking_uri: str, name: str = NAME, timeout: float = 5.0):
        self.name, self.rest = name, Rest(tracking_uri, timeout)
        self.runs = Runs(self.rest)

    @property
    def tracking_uri(self) -> str:
        return self.rest.base

    def by_alias(self, alias: str) -> RegisteredVersion | None:
        """The version `alias` points to; None when the alias (or the model) does not exist."""
        try:
            answer = self.rest.call("GET", "registered-models/alias", name=self.name, alias=alias)
        except RegistryError as error:
            # An unset alias is INVALID_PARAMETER_VALUE (MLflow 3), like a malformed one: ask
            # the model's alias list rather than trust the wording of the message.
            if error.code == MISSING or (error.code == INVALID and alias not in self.aliases()):
                return None
            raise
        return RegisteredVersion.from_json(required(answer, "model_version"))

    def get(self, version: str) -> RegisteredVersion:
        """One version; RegistryError (code RESOURCE_DOES_NOT_EXIST) when there is none."""
        query = {"name": self.name, "version": str(version)}
        try:
            answer = self.rest.call("GET", "model-versions/get", **query)
        except RegistryError as error:  # MLflow's own words name its tables, not the version
            if error.code != MISSING:
                raise
            missing = f"no version {version} of {self.name}"
            raise RegistryError(missing, MISSING, error.status) from None
        return RegisteredVersion.from_json(required(answer, "model_version"))

    def with_file(self, sha256: str) -> RegisteredVersion | None:
        """The oldest version whose ONNX file has this sha256 (its `sha256` tag), or None."""
        same = [v for v in self.versions() if v.sha256 == sha256]
        return same[-1] if same else None

    def versions(self) -> list[RegisteredVersion]:
        """Every version of the model, newest first."""
        found, token = [], None
        while True:
            page: dict[str, str] = {"page_token": token} if token else {}
            answer = self.rest.call(
                "GET",
                "model-versions/search",
                filter=f"name='{self.name}'",
                max_results=200,
                **page,
            )
            found += [RegisteredVersion.from_json(v) for v in answer.get("model_versions", [])]
            token = answer.get("next_page_token")
            if not token:
                break
        aliases = self.aliases()  # search leaves aliases out on some servers
        found = [
            _with_aliases(v, tuple(a for a, n in aliases.items() if n == v.registry_version))
            for v in found
        ]
        return sorted(found, key=lambda v: int(v.registry_version), reverse=True)

    def aliases(self) -> dict[str, str]:
        """{alias: version} of the registered model; empty when the model does not exist."""
        return {a["alias"]: str(a["version"]) for a in self._model().get("aliases", [])}

    def model_tags(self) -> dict[str, str]:
        """The registered model's own tags; empty when the model does not exist."""
        return {t["key"]: t["value"] for t in self._model().get("tags", [])}

    def _model(self) -> dict:
        try:
            answer = self.rest.call("GET", "registered-models/get", name=self.name)
        except RegistryError as error:
            if error.code == MISSING:
                return {}
            raise
        return required(answer, "registered_model")

    def download(self, version: RegisteredVersion, folder: Path) -> Path:
        """Write the version's catsdogs.onnx, .json and .md (when it has one) into `folder`."""
        location = self.artifact_location(version)
        present = set(self.rest.list_artifacts(location))
        missing = {ONNX, CARD} - present
        if missing:
            lacks = ", ".join(sorted(missing))
            raise RegistryError(f"version {version.registry_version} lacks {lacks} at {location}")
        folder.mkdir(parents=True, exist_ok=True)
        for name in (ONNX, CARD, REPORT):
            if name in present:
                self.rest.download(location, name, folder / name)
            else:
                (folder / name).unlink(missing_ok=True)  # never leave another version's file
        for label in CHECK_CLASSES:  # the photos of known class registered with the version
            for name in self.rest.list_artifacts(f"{location}/{CHECKS}/{label}"):
                (folder / CHECKS / label).mkdir(parents=True, exist_ok=True)
                self.rest.download(
                    location, f"{CHECKS}/{label}/{name}", folder / CHECKS / label / name
                )
        return folder

    def card(self, version: RegisteredVersion) -> dict:
        """The version's JSON model card, read without its model file."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / CARD
            self.rest.download(self.artifact_location(version), CARD, path)
            try:
                card = json.loads(path.read_text())
            except (UnicodeDecodeError, ValueError) as error:
                message = f"version {version.registry_version}'s card is not JSON: {error}"
                raise RegistryError(message) from None
        if not isinstance(card, dict):
            raise RegistryError(f"version {version.registry_version}'s card is not a JSON object")
        return card

    def artifact_location(self, version: RegisteredVersion) -> str:
        """Where the version's files are (an `mlflow-artifacts:` URI)."""
        answer = self.rest.call(
            "GET",
            "model-versions/get-download-uri",
            name=self.name,
            version=version.registry_version,
        )
        return str(required(answer, "artifact_uri"))

    def set_alias(self, alias: str, version: str) -> None:
        self.rest.call(
            "POST", "registered-models/alias", name=self.name, alias=alias, version=str(version)
        )

    def delete_alias(self, alias: str) -> None:
        """Remove `alias`; removing one that is not set is not an error."""
        try:
            self.rest.call("DELETE", "registered-models/alias", name=self.name, alias=alias)
        except RegistryError as error:
            if error.code != MISSING:
                raise

    def set_tag(self, version: str, key: str, value: str) -> None:
        self.rest.call(
            "POST",
            "model-versions/set-tag",
            name=self.name,
            version=str(version),
            key=key,
            value=str(value),
        )

    def set_model_tag(self, key: str, value: str) -> None:
        """Tag the registered model itself (e.g. the champion's history)."""
        self.rest.call(
            "POST", "registered-models/set-tag", name=self.name, key=key, value=str(value)
        )

    def register(
        self,
        onnx: Path,
        card: Path,
        report: Path | None = None,
        run_id: str | None = None,
        tags: dict | None = None,
        checks: Path | None = None,
    ) -> RegisteredVersion:
        """Upload the model's files to a run (`run_id`, or a new one) and make them a version.

        `checks` is a folder of photos of known class (`cat/`, `dog/`): serving refuses the
        version unless it classifies each of them right.
        """
        model_version = str(_read_card(card)["version"])
        own_run = run_id is None
        if run_id is None:
            run_id = self.runs.start(f"register {model_version}", {"card_version": model_version})
        location = self.runs.artifacts(run_id) + "/" + ARTIFACT_FOLDER
        files = {ONNX: onnx, CARD: card} | ({REPORT: report} if report else {})
        for folder in [Path(checks) / label for label in CHECK_CLASSES] if checks else []:
            for photo in sorted(folder.glob("*")):
                files[f"{CHECKS}/{folder.name}/{photo.name}"] = photo
        for name, path in files.items():
            self.rest.upload(location, name, Path(path))
        if own_run:
            self.runs.end(run_id)
        self._ensure_model()
        version_tags = {"card_version": model_version, "sha256": file_sha256(Path(onnx))}
        version_tags |= {str(k): str(v) for k, v in (tags or {}).items()}
        answer = self.rest.call(
            "POST",
            "model-versions/create",
            name=self.name,
            source=location,
            run_id=run_id,
            tags=[{"key": k, "value": v} for k, v in version_tags.items()],
        )
        return RegisteredVersion.from_json(required(answer, "model_version"))

    def _ensure_model(self) -> None:
        try:
            self.rest.call("POST", "registered-models/create", name=self.name)
        except RegistryError as error:
            if error.code != EXISTS:
                raise


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_card(card: Path) -> dict:
    try:
        data = json.loads(Path(card).read_text())
        data["version"]
        return data
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RegistryError(f"cannot read the model card {card}: {error!r}") from None


def _with_aliases(version: RegisteredVersion, aliases: tuple[str, ...]) -> RegisteredVersion:
    merged = tuple(dict.fromkeys(version.aliases + aliases))
    return version if merged == version.aliases else replace(version, aliases=merged)
