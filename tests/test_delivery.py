"""Static checks of the delivery files (ops/, .github/, .env.example), since no Docker engine
runs here: the linters Docker and GitHub users rely on, the Compose schema, and the mistakes
that would only show on the server (a secret in a file, a published database, a stale env var).
"""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from catsdogs import config

ROOT = Path(__file__).resolve().parent.parent
OPS = ROOT / "ops"
DOCKERFILE = OPS / "Dockerfile"
COMPOSE_FILE = OPS / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = [
    OPS / "entrypoint.sh",
    OPS / "deploy.sh",
    OPS / "start-docker.sh",
    OPS / "install-test-tools.sh",
    *sorted((OPS / "postgres-init").glob("*.sh")),
    *sorted((OPS / "standins").glob("**/*.sh")),
]
# The Compose Specification schema, vendored from PyPI check-jsonschema 0.39.0 (see README.md).
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
PUBLISHED = {"app", "grafana"}  # everything else is reached over the stack's private network
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|WEBHOOK")
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def tool(name: str) -> str:
    """The path of a linter from the test extra, installed beside this Python."""
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return path


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def documented_variables() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


# --- Linters -------------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint():
    result = run(tool("hadolint"), DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_actionlint_with_shellcheck():
    workflows = sorted(WORKFLOWS.glob("*.yml"))
    assert {w.name for w in workflows} >= {"ci.yml", "deploy.yml"}
    result = run(tool("actionlint"), "-shellcheck", tool("shellcheck"), "-pyflakes=", *workflows)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_pass_shellcheck(script):
    result = run(tool("shellcheck"), script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"


# --- The image -----------------------------------------------------------------------------------


def test_base_images_are_slim_and_pinned_to_a_patch_version():
    images = [args.split()[0] for op, args in dockerfile_instructions() if op == "FROM"]
    assert len(images) >= 2, "expected a multi-stage build"
    for image in images:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image), image


def test_image_runs_as_non_root_with_healthcheck_and_entrypoint():
    instructions = dict(dockerfile_instructions())  # the last of each instruction wins
    assert instructions["USER"].split(":")[0] not in ("root", "0")
    assert "/health" in instructions["HEALTHCHECK"]
    assert "entrypoint.sh" in instructions["ENTRYPOINT"]
    assert "wsgi.py" in instructions["CMD"]


def test_image_contains_what_create_app_needs():
    sources = set()
    for op, args in dockerfile_instructions():
        if op == "COPY" and "--from" not in args:
            words = [w for w in args.split() if not w.startswith("--")]
            sources.update(w.rstrip("/") for w in words[:-1])
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such path"
    assert {"catsdogs", "templates", "static", "migrations", "wsgi.py"} <= sources
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]
    needed = [
        *sources,
        "catsdogs/model/catsdogs.onnx",
        "catsdogs/model/catsdogs.json",
        "catsdogs/__init__.py",
        "ops/entrypoint.sh",
    ]
    for path in needed:
        assert not [p for p in ignored if fnmatch(path, p) or path.startswith(p + "/")], (
            f".dockerignore drops {path}"
        )


def fake_flask(tmp_path: Path, failures: int) -> dict:
    """A PATH whose `flask` fails `failures` times, as migrations do while PostgreSQL starts."""
    script = tmp_path / "flask"
    script.write_text(
        f'#!/bin/sh\necho "$*" >> "{tmp_path}/calls"\n'
        f'[ "$(wc -l < "{tmp_path}/calls")" -gt {failures} ]\n'
    )
    script.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "DB_WAIT_SECONDS": "0",
        "DB_WAIT_ATTEMPTS": "3",
    }


@pytest.mark.parametrize(("failures", "served"), [(0, True), (2, True), (3, False)])
def test_entrypoint_retries_migrations_then_execs_the_server(tmp_path, failures, served):
    result = subprocess.run(
        ["sh", OPS / "entrypoint.sh", "echo", "serving"],
        check=False,
        capture_output=True,
        text=True,
        env=fake_flask(tmp_path, failures),
        timeout=30,
    )
    assert (result.returncode == 0) is served
    assert ("serving" in result.stdout) is served
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls.count("--app catsdogs init-db") == min(failures + 1, 3)
    # Then, only once the schema is there, the instance's API token (generated when none is set).
    assert calls[min(failures + 1, 3) :] == (["--app catsdogs api-token"] if served else [])


# --- Compose -------------------------------------------------------------------------------------


def test_vendored_compose_schema_is_the_recorded_one():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_compose_file_matches_the_compose_specification():
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(compose())
    ]
    assert not errors


def test_every_compose_variable_is_documented_in_env_example():
    used = set(VARIABLE.findall(COMPOSE_FILE.read_text()))
    used |= {s["environment"] for s in compose().get("secrets", {}).values() if "environment" in s}
    assert not used - documented_variables()


def test_app_receives_every_setting_the_app_reads():
    settings = set(config.ENVIRONMENT) | {"DATABASE_URL", "API_TOKEN", "API_TOKENS", "SECRET_KEY"}
    assert not settings - set(compose()["services"]["app"]["environment"])
    assert not settings - documented_variables()


def test_no_secret_value_is_written_in_compose():
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key) and value is not None:
                assert re.fullmatch(r"\$\{[^}]+\}", str(value)), f"{name}: {key} has a value"


def test_images_are_pinned():
    for name, service in compose()["services"].items():
        if "build" in service:
            continue
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:v?\d[\w.-]*(@sha256:[0-9a-f]{64})?", image), (
            f"{name}: {image} is not pinned to a version"
        )


def test_only_app_and_grafana_are_published_on_a_configurable_loopback_address():
    services = compose()["services"]
    for name, service in services.items():
        if name not in PUBLISHED:
            assert "ports" not in service, f"{name} must not be published"
    for name in PUBLISHED:
        for port in services[name]["ports"]:
            assert re.match(r"\$\{\w+_BIND:-127\.0\.0\.1\}:\$\{\w+_PORT:-\d+\}:\d+$", port), port


def test_app_waits_for_a_healthy_database_and_everything_restarts():
    services = compose()["services"]
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["db"]["volumes"])
    for name, service in services.items():
        assert service.get("restart") in ("unless-stopped", "always"), name


def binary_size(text: str) -> int:
    """Bytes of a Docker (1g, 512m) or Kubernetes (1Gi, 512Mi) size."""
    number, unit = re.fullmatch(r"(\d+)([kmg])i?", text, re.IGNORECASE).groups()
    return int(number) * 1024 ** "kmg".index(unit.lower()) * 1024


def compose_default(value: str) -> str:
    """The default of one `${NAME:-default}` value."""
    return re.fullmatch(r"\$\{\w+:-([^}]+)\}", str(value)).group(1)


def test_the_app_container_is_locked_down_like_the_kubernetes_pod():
    services = compose()["services"]
    for name in ("app", "prometheus", "alertmanager"):  # those that run as their own user
        service = services[name]
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
    app = services["app"]
    deployment = yaml.safe_load((OPS / "k8s" / "base" / "deployment.yaml").read_text())
    [pod] = deployment["spec"]["template"]["spec"]["containers"]
    assert pod["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # The pod's memory limit is sized for its threads: Compose's defaults are the same pair.
    limit = compose_default(app["mem_limit"])
    assert binary_size(limit) == binary_size(pod["resources"]["limits"]["memory"])
    assert app["memswap_limit"] == app["mem_limit"]  # no swap, as in a pod
    threads = compose_default(app["command"][app["command"].index("--threads") + 1])
    assert threads == pod["args"][pod["args"].index("--threads") + 1]
    # ...and for one serving process (docs/deploy.md, "Workers").
    assert compose_default(app["environment"]["WORKERS"]) == "1"
    assert pod["args"][pod["args"].index("--workers") + 1] == "1"
    assert 0 < app["pids_limit"]
    example = dict(re.findall(r"^(\w+)=(.*)$", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert (example["APP_MEMORY_LIMIT"], example["APP_THREADS"]) == (limit, threads)


def test_bind_mounts_exist():
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE_FILE.parent / source).exists(), f"{name}: {source} is missing"


def test_make_env_generates_distinct_secrets(tmp_path):
    shutil.copy(ENV_EXAMPLE, tmp_path)
    result = run("make", "-s", "-f", ROOT / "Makefile", "-C", tmp_path, ".env")
    assert result.returncode == 0, result.stderr
    values = dict(re.findall(r"^(\w+)=(.*)$", (tmp_path / ".env").read_text(), re.MULTILINE))
    secrets = [
        values[k]
        for k in values
        if SECRET_NAME.search(k) and k not in ("API_TOKENS", "DISCORD_WEBHOOK_URL")
    ]
    assert len(secrets) >= 5 and len(set(secrets)) == len(secrets)
    assert all(re.fullmatch(r"[0-9a-f]{48}", s) for s in secrets)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


# --- Workflows -----------------------------------------------------------------------------------


def test_actions_are_pinned_by_commit_sha():
    for path in WORKFLOWS.glob("*.yml"):
        for action in re.findall(r"uses:\s*(\S+)", path.read_text()):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), f"{path.name}: {action}"


def test_ci_runs_both_tiers_on_postgresql_and_uses_the_compose_images():
    jobs = workflow("ci.yml")["jobs"]
    images = {s["image"] for s in compose()["services"].values() if "image" in s}
    assert jobs["test"]["services"]["postgres"]["image"] in images
    assert jobs["test"]["env"]["TEST_DATABASE_URL"].startswith("postgresql")
    assert "make check" in [step.get("run") for step in jobs["check"]["steps"]]
    assert any(step.get("run", "").endswith(" make test") for step in jobs["test"]["steps"])
    text = (WORKFLOWS / "ci.yml").read_text()
    assert set(re.findall(r"prom/\w+:\S+", text)) <= images
    assert "ops/Dockerfile" in text


def test_deploy_runs_after_ci_succeeds_on_main_with_repository_secrets():
    data = workflow("deploy.yml")
    trigger = data["on"]["workflow_run"]
    assert trigger["workflows"] == [workflow("ci.yml")["name"]] and trigger["branches"] == ["main"]
    job = data["jobs"]["deploy"]
    assert "conclusion == 'success'" in job["if"]
    for step in job["steps"]:
        assert "${{" not in step.get("run", ""), "pass expressions through env, not into scripts"
    assert "ops/deploy.sh" in (WORKFLOWS / "deploy.yml").read_text()


def fake_docker(tmp_path: Path, bad_tag: str) -> dict:
    """A PATH whose `docker` logs its calls and whose app is healthy unless APP_TAG is bad_tag."""
    for name, body in {
        "docker": f'echo "$*" >> "{tmp_path}/docker.log"\n'
        'case "$*" in\n'
        f'  *" exec "*) ! grep -q "^APP_TAG={bad_tag}$" .env ;;\n'
        '  "image ls"*) printf "%s\\n" good old older ;;\n'
        "esac\n",
        "git": "exit 1\n",  # not a checkout: no commit to restore
    }.items():
        (tmp_path / name).write_text("#!/bin/sh\n" + body)
        (tmp_path / name).chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "HEALTH_WAIT_ATTEMPTS": "2",
        "HEALTH_WAIT_SECONDS": "0",
    }


@pytest.mark.parametrize(("tag", "code", "kept_tag"), [("good", 0, "good"), ("bad", 1, "old")])
def test_deploy_script_keeps_a_healthy_release_and_rolls_back_a_sick_one(
    tmp_path, tag, code, kept_tag
):
    work = tmp_path / "server"
    work.mkdir()
    (work / ".env").write_text("APP_IMAGE=catsdogs-app\nAPP_TAG=old\n")
    result = subprocess.run(
        ["sh", OPS / "deploy.sh", tag],
        check=False,
        cwd=work,
        capture_output=True,
        text=True,
        env=fake_docker(tmp_path, "bad"),
        timeout=60,
    )
    assert result.returncode == code, result.stderr
    assert f"APP_TAG={kept_tag}\n" in (work / ".env").read_text()
    log = (tmp_path / "docker.log").read_text()
    if code == 0:  # only the images older than the previous one are removed
        assert "image rm catsdogs-app:older" in log and "image rm catsdogs-app:old\n" not in log
    else:
        assert "image rm" not in log and log.count("up -d") == 2


def test_the_deploy_guide_s_backup_command_names_the_stack_s_files_and_database():
    guide = (ROOT / "docs" / "deploy.md").read_text().replace("\\\n", " ")
    [command] = [line.strip() for line in guide.splitlines() if "pg_dump" in line and ">" in line]
    stack = re.search(r"^COMPOSE := (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert re.sub(r"\s+", " ", command).startswith(f"{stack} exec -T db ")
    database = compose()["services"]["db"]["environment"]
    assert set(re.findall(r"\$(\w+)", command)) <= set(database)


def test_every_folder_the_package_ships_files_from_is_one_of_its_packages():
    # Else setuptools warns, at every install, that each such folder "is absent from the
    # `packages` configuration" (some forty lines).
    from setuptools.config.setupcfg import read_configuration

    options = read_configuration(ROOT / "setup.cfg")["options"]
    package = ROOT / "catsdogs"
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for pattern in options["package_data"]["catsdogs"]
        for path in package.glob(pattern)
    }
    assert folders and folders <= set(options["packages"])
    assert [name for name in options["packages"] if "__pycache__" in name] == []
