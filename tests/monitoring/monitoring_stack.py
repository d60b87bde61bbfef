"""Start the real app, Prometheus and Alertmanager on loopback for the live monitoring tests."""

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "prometheus"
GRAFANA = ROOT / "grafana" / "provisioning"
DASHBOARD = GRAFANA / "dashboards" / "catsdogs.json"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
BINARIES = {
    "prometheus": shutil.which("prometheus"),
    "promtool": shutil.which("promtool"),
    "alertmanager": ALERTMANAGER,
    "amtool": shutil.which("amtool"),
}
MISSING = sorted(name for name, path in BINARIES.items() if path is None)
APP_SCRIPT = """
import json, sys
from waitress import serve
from catsdogs import create_app
from catsdogs.store import migrations
settings = json.loads(sys.argv[1])
port = settings.pop("PORT")
app = create_app(settings)
with app.app_context():
    migrations.upgrade(app)
serve(app, host="127.0.0.1", port=port, threads=4)
"""


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def alertmanager_supports_url_files() -> bool:
    """Discord's webhook_url_file needs Alertmanager 0.26+; Debian bookworm ships 0.25."""
    output = subprocess.run(
        [BINARIES["amtool"], "--version"], capture_output=True, text=True, check=False
    )
    version = re.search(r"version (\d+)\.(\d+)", output.stdout + output.stderr)
    return bool(version) and (int(version[1]), int(version[2])) >= (0, 26)


def with_webhook(config: dict, url: str, secret_file: Path) -> dict:
    """The committed config with its secret file holding `url`: as Alertmanager 0.26+ reads it,
    or with the URL inlined for older versions (what they would have read from the file)."""
    secret_file.write_text(url + "\n")
    for receiver in config["receivers"]:
        for discord in receiver.get("discord_configs", []):
            del discord["webhook_url_file"]
            if alertmanager_supports_url_files():
                discord["webhook_url_file"] = str(secret_file)
            else:
                discord["webhook_url"] = url
    return config


def rule_expressions() -> dict[str, str]:
    """{alert name: PromQL} for every rule in prometheus/rules."""
    return {
        rule["alert"]: rule["expr"]
        for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule  # recording rules (the canary's Wilson bound) feed alerts
    }


class Service:
    """A subprocess whose output goes to a log file, stopped at teardown."""

    def __init__(self, name: str, command: list[str], workdir: Path):
        self.name, self.log = name, workdir / f"{name}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)

    def wait_ready(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_app(workdir: Path, port: int, token: str, **overrides) -> Service:
    settings = {
        "PORT": port,
        "INSTANCE_PATH": str(workdir / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'app.sqlite'}",
        "SECRET_KEY": "live-test",
        "API_TOKENS": {"live": token},
        "DATABASE_CHECK_SECONDS": 1,
        **overrides,
    }
    app = Service("app", [sys.executable, "-c", APP_SCRIPT, json.dumps(settings)], workdir)
    app.wait_ready(f"http://127.0.0.1:{port}/health")
    return app


def start_alertmanager(workdir: Path, port: int, discord_url: str) -> Service:
    config = with_webhook(
        load_yaml(PROMETHEUS_DIR / "alertmanager.yml"), discord_url, workdir / "discord_webhook_url"
    )
    for route in [config["route"], *config["route"]["routes"]]:
        route["group_wait"] = "1s"  # notify at once rather than after 10-30 s
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    service = Service(
        "alertmanager",
        [
            ALERTMANAGER,
            f"--config.file={path}",
            f"--storage.path={workdir / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        workdir,
    )
    service.wait_ready(f"http://127.0.0.1:{port}/-/ready")
    return service


def start_prometheus(workdir: Path, port: int, targets: list[str], alertmanager: str) -> Service:
    """The committed prometheus.yml and rules, with 1 s intervals and `for` shortened to 0."""
    rules = {
        "groups": [
            group
            for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
            for group in load_yaml(path)["groups"]
        ]
    }
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule["for"] = "0s"
    (workdir / "rules.yml").write_text(yaml.safe_dump(rules))
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(workdir / "rules.yml")]
    config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager]}]
    [job] = config["scrape_configs"]
    job["static_configs"] = [{"targets": targets}]
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    service = Service(
        "prometheus",
        [
            BINARIES["prometheus"],
            f"--config.file={path}",
            f"--storage.tsdb.path={workdir / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        workdir,
    )
    service.wait_ready(f"http://127.0.0.1:{port}/-/ready")
    return service
