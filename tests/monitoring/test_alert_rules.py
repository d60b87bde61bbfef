"""Prometheus and Alertmanager configuration, checked by promtool and amtool themselves."""

import re
import shutil
import subprocess
import time

import pytest
import requests
import yaml

from tests.monitoring import monitoring_stack as stack
from tests.monitoring.discord_stub import free_port

SYSTEM = pytest.mark.system  # the checks that run Debian's promtool or amtool
PROMETHEUS = stack.PROMETHEUS_DIR
LOCAL = PROMETHEUS / "local"  # for Debian's packages without Docker
MONITORING_DOC = stack.ROOT / "docs" / "monitoring.md"
# The alerts the issue asks for, with their severity.
ALERTS = {
    "DatabaseDisconnected": "critical",
    "HighInferenceLatency": "warning",
    "NoPredictions": "info",
    "LowConfidenceRate": "warning",
    "HighNegativeFeedback": "warning",
    "MajorityClassDrift": "info",
    "NeitherShareJump": "warning",
    "HighErrorRate": "critical",
    "TooManyRequests": "warning",
    "AppDown": "critical",
    "ModelVersionRefused": "warning",
    "ModelRegistryUnreachable": "warning",
    "ChallengerDisagrees": "info",
    "ShadowQueueFull": "info",
    "PredictionShareDrift": "warning",
    "ConfidenceDrift": "warning",
    "InputDrift": "warning",
    "InputFormatDrift": "info",
    "FeedbackAccuracyBelowCard": "warning",
    "CanaryTakenBack": "warning",
    "CanaryErrors": "warning",
    "CanarySlow": "warning",
    "CanaryDisagrees": "warning",
    "CanaryUnsure": "warning",
    "CanaryWrongVotes": "warning",
}


def need(name: str) -> None:
    if stack.BINARIES[name] is None:
        pytest.skip(
            f"{name} is not installed (Debian packages prometheus, "
            f"prometheus-alertmanager; .ci/run installs them)"
        )


def tool(name: str, *args) -> str:
    need(name)
    done = subprocess.run(
        [stack.BINARIES[name], *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def all_rules() -> list[dict]:
    return [
        rule
        for path in sorted((PROMETHEUS / "rules").glob("*.yml"))
        for group in stack.load_yaml(path)["groups"]
        for rule in group["rules"]
    ]


def rules() -> dict[str, dict]:
    """The alerting rules by name (recording rules, such as the canary's Wilson bound, left out)."""
    return {rule["alert"]: rule for rule in all_rules() if "alert" in rule}


@SYSTEM
def test_promtool_checks_the_config_and_its_rule_files():
    rule_files = len(list((PROMETHEUS / "rules").glob("*.yml")))
    assert f"SUCCESS: {rule_files} rule files found" in tool(
        "promtool", "check", "config", PROMETHEUS / "prometheus.yml"
    )


@SYSTEM
def test_promtool_checks_the_rules():
    output = tool("promtool", "check", "rules", *sorted((PROMETHEUS / "rules").glob("*.yml")))
    found = [int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", output)]
    assert sum(found) == len(all_rules()) and len(rules()) == len(ALERTS)


@SYSTEM
def test_promtool_unit_tests_pass():
    assert "SUCCESS" in tool(
        "promtool", "test", "rules", *sorted((PROMETHEUS / "tests").glob("*.yml"))
    )


def test_every_alert_is_there_with_its_severity_summary_and_description():
    found = rules()
    assert {name: rule["labels"]["severity"] for name, rule in found.items()} == ALERTS
    for name, rule in found.items():
        assert rule["annotations"]["summary"].strip(), name
        assert rule["annotations"]["description"].strip(), name


def test_every_alert_has_unit_tests_for_firing_and_not_firing():
    cases = [
        case
        for path in (PROMETHEUS / "tests").glob("*.yml")
        for test in stack.load_yaml(path)["tests"]
        for case in test["alert_rule_test"]
    ]
    for name in ALERTS:
        mine = [case["exp_alerts"] for case in cases if case["alertname"] == name]
        assert any(mine), f"{name} has no firing case"
        assert [] in mine, f"{name} has no not-firing case"


def test_prometheus_scrapes_the_app_every_10s_and_alerts_alertmanager():
    config = stack.load_yaml(PROMETHEUS / "prometheus.yml")
    [job] = config["scrape_configs"]
    assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "10s"
    assert job["static_configs"] == [{"targets": ["app:8000"]}]
    assert config["rule_files"] == ["rules/*.yml"]
    [alerting] = config["alerting"]["alertmanagers"]
    assert alerting["static_configs"] == [{"targets": ["alertmanager:9093"]}]


@SYSTEM
def test_amtool_checks_the_alertmanager_config(tmp_path):
    config = stack.load_yaml(PROMETHEUS / "alertmanager.yml")
    if stack.BINARIES["amtool"] and not stack.alertmanager_supports_url_files():
        # Debian's 0.25 predates webhook_url_file: check what it would read from the file.
        config = stack.with_webhook(
            config, "https://discord.com/api/webhooks/1/t", tmp_path / "url"
        )
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    assert "SUCCESS" in tool("amtool", "check-config", path)


def test_alertmanager_routes_by_severity_to_discord_without_a_committed_secret():
    text = (PROMETHEUS / "alertmanager.yml").read_text()
    config = yaml.safe_load(text)
    repeats = {
        route["matchers"][0]: route["repeat_interval"] for route in config["route"]["routes"]
    }
    assert repeats == {
        'severity="critical"': "5m",
        'severity="warning"': "1h",
        'severity="info"': "6h",
    }
    [receiver] = config["receivers"]
    [discord] = receiver["discord_configs"]
    assert discord["send_resolved"] is True
    assert discord["webhook_url_file"].startswith("/run/secrets/")
    assert "webhook_url:" not in text and "discord.com/api/webhooks" not in text


@SYSTEM
def test_promtool_checks_the_local_config_and_its_rule_files():
    rule_files = len(list((PROMETHEUS / "rules").glob("*.yml")))
    assert f"SUCCESS: {rule_files} rule files found" in tool(
        "promtool", "check", "config", LOCAL / "prometheus.yml"
    )


def test_the_local_prometheus_scrapes_loopback_with_the_stacks_rules():
    local, compose = (stack.load_yaml(folder / "prometheus.yml") for folder in (LOCAL, PROMETHEUS))
    [job], [compose_job] = local["scrape_configs"], compose["scrape_configs"]
    assert job == {**compose_job, "static_configs": [{"targets": ["127.0.0.1:8000"]}]}
    assert local["global"] == compose["global"]
    [rules] = local["rule_files"]
    assert sorted(LOCAL.glob(rules)) == sorted((LOCAL / "../rules").glob("*.yml"))
    [alerting] = local["alerting"]["alertmanagers"]
    assert alerting["static_configs"] == [{"targets": ["127.0.0.1:9093"]}]


@SYSTEM
def test_the_local_alertmanager_routes_as_the_stacks_without_a_secret(tmp_path):
    local = stack.load_yaml(LOCAL / "alertmanager.yml")
    compose = stack.load_yaml(PROMETHEUS / "alertmanager.yml")
    assert local["route"] == {**compose["route"], "receiver": "local"}
    assert local["inhibit_rules"] == compose["inhibit_rules"]
    assert local["receivers"] == [{"name": "local"}]
    assert "SUCCESS" in tool("amtool", "check-config", LOCAL / "alertmanager.yml")


@SYSTEM
def test_the_check_commands_in_docs_monitoring_run_as_written():
    text = MONITORING_DOC.read_text()
    block = re.search(r"Check a change before committing it.*?\n\n((?:    .*\n)+)", text)
    commands = [line.strip() for line in block.group(1).splitlines()]
    assert len(commands) == 5
    need("promtool")
    need("amtool")
    for command in commands:
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=stack.ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, command + "\n" + done.stdout + done.stderr


def alerts_documented() -> set[str]:
    """The alert names the first column of docs/monitoring.md's tables holds."""
    return set(re.findall(r"^\| `([A-Za-z]+)`", MONITORING_DOC.read_text(), re.MULTILINE))


def test_every_alert_has_a_row_in_docs_monitoring():
    assert set(rules()) - alerts_documented() == set()


def test_alerts_per_model_version_ask_for_a_version_that_answers_users():
    per_version = {
        name: rule["expr"] for name, rule in rules().items() if "version)" in rule["expr"]
    }
    assert {"NeitherShareJump", "PredictionShareDrift", "FeedbackAccuracyBelowCard"} <= set(
        per_version
    )
    for name, expr in per_version.items():
        assert re.search(r'cv_model_info\{role!="challenger"\}\)? == 1', expr), name


def without_docker() -> str:
    text = MONITORING_DOC.read_text()
    return text.split("\n## Without Docker\n", 1)[1].split("\n## ", 1)[0]


def test_the_local_prometheus_pages_are_named_as_debian_serves_them():
    links = re.findall(r"<(http://127\.0\.0\.1:9090/[^>]*)>", without_docker())
    assert links and all(link.startswith("http://127.0.0.1:9090/classic/") for link in links)
    assert "make run PORT=8080" in without_docker()


def port_commands() -> str:
    """The doc's commands that point the local Prometheus at another port."""
    block = without_docker().split("**Serving on another port**", 1)[1].split("\n\n")[1]
    return block.replace("\\\n", " ")


def test_the_doc_s_other_port_command_keeps_the_rules_and_scrapes_that_port(tmp_path):
    shutil.copytree(PROMETHEUS, tmp_path / "prometheus")
    (tmp_path / "instance").mkdir()
    [sed] = [line for line in port_commands().splitlines() if line.strip().startswith("sed ")]

    subprocess.run(["bash", "-c", sed], cwd=tmp_path, check=True, timeout=10)

    config = stack.load_yaml(tmp_path / "instance" / "prometheus.yml")
    [job] = config["scrape_configs"]
    assert job["static_configs"] == [{"targets": ["127.0.0.1:8080"]}]
    [pattern] = config["rule_files"]
    found = sorted(path.name for path in (tmp_path / "instance").glob(pattern))
    assert found == sorted(path.name for path in (PROMETHEUS / "rules").glob("*.yml"))


@SYSTEM
def test_debians_prometheus_serves_the_pages_the_doc_links(tmp_path):
    need("prometheus")
    port = free_port()
    prometheus = stack.Service(
        "prometheus",
        [
            stack.BINARIES["prometheus"],
            f"--config.file={LOCAL / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        tmp_path,
    )
    try:
        prometheus.wait_ready(f"http://127.0.0.1:{port}/-/ready")
        links = re.findall(r"<http://127\.0\.0\.1:9090(/[^>]*)>", without_docker())
        pages = {link: requests.get(f"http://127.0.0.1:{port}{link}", timeout=10) for link in links}
        assert {link: page.status_code for link, page in pages.items()} == dict.fromkeys(links, 200)
        deadline = time.monotonic() + 20  # the target is listed once discovery has run
        while "127.0.0.1:8000" not in (
            targets := requests.get(f"http://127.0.0.1:{port}/classic/targets", timeout=10).text
        ):
            assert time.monotonic() < deadline, targets
            time.sleep(0.5)
    finally:
        prometheus.stop()
    assert [name for name in rules() if name not in pages["/classic/alerts"].text] == []
