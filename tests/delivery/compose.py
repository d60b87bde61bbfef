"""ops/docker-compose.yml run by Debian's docker-compose (Compose v1) with stand-in images.

Compose v1 rejects two keys of the Compose Specification that the file uses for Compose v2: the
top-level `name` (v1 takes the project name from -p) and a secret read from an `environment`
variable (v1 reads secrets from files). `for_compose_v1` rewrites exactly these two, the same
project name and the same secret value, and nothing else (test_compose checks).
"""

import copy
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.delivery.engine import OPS

COMPOSE_FILE = OPS / "docker-compose.yml"
OVERRIDE = Path(__file__).parent / "compose.override.yml"
SERVICES = ["app", "db", "prometheus", "alertmanager"]  # all but Grafana


def for_compose_v1(compose: dict, environment: dict, folder: Path) -> dict:
    translated = copy.deepcopy(compose)
    translated.pop("name", None)
    for name, secret in translated.get("secrets", {}).items():
        if "environment" in secret:
            path = folder / f"secret-{name}"
            path.write_text(environment.get(secret.pop("environment"), ""))
            secret["file"] = str(path)
    return translated


class Stack:
    """One Compose project of its own; `run` is docker-compose with its files and .env."""

    def __init__(self, folder: Path, environment: dict):
        self.folder, self.project = folder, environment["COMPOSE_PROJECT_NAME"]
        env_file = folder / ".env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in environment.items()))
        env_file.chmod(0o600)
        compose = yaml.safe_load(COMPOSE_FILE.read_text())
        translated = folder / "docker-compose.yml"
        translated.write_text(yaml.safe_dump(for_compose_v1(compose, environment, folder)))
        self.command = [
            shutil.which("docker-compose") or "docker-compose",
            "--project-name", self.project,
            # Paths in the file stay relative to ops/, as for `make up`.
            "--project-directory", str(OPS),
            "--env-file", str(env_file),
            "-f", str(translated), "-f", str(OVERRIDE),
        ]  # fmt: skip
        # Debian's client speaks to Debian's engine; compose v1 talks to the socket itself. The
        # shell's variables beat --env-file in Compose: none of the test's own may come from it.
        callers = {key: value for key, value in os.environ.items() if key not in environment}
        self.env = {**callers, "COMPOSE_INTERACTIVE_NO_CLI": "1"}

    def run(self, *args, check=True, timeout=300) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*self.command, *map(str, args)],
            capture_output=True, text=True, timeout=timeout, env=self.env, check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"docker-compose {' '.join(map(str, args))}:\n{result.stderr}")
        return result

    def up(self) -> None:
        self.run("up", "--detach", "--no-build", *SERVICES)

    def down(self, *args) -> None:
        self.run("down", *args, "--remove-orphans")

    def container(self, service: str) -> str:
        return self.run("ps", "-q", service).stdout.strip()

    def logs(self, service: str) -> str:
        return self.run("logs", "--no-color", "--tail", "60", service, check=False).stdout
