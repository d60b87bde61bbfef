"""The Compose stack's MLflow service: pinned as the tests' server is, on its own database."""

import re

from tests.registry.mlflow_server import ROOT
from tests.test_delivery import compose, run, tool

MLFLOW = ROOT / "ops" / "mlflow"


def pinned_mlflow() -> str:
    # The lock's line goes on with its hashes (tests/test_locks.py checks it against the source).
    [version] = re.findall(r"^mlflow==([\w.]+) ", (MLFLOW / "requirements.txt").read_text(), re.M)
    return version


def test_the_image_is_built_from_the_pins_the_tests_install():
    service = compose()["services"]["mlflow"]
    assert (ROOT / "ops" / service["build"]["context"]).resolve() == MLFLOW
    assert service["image"].endswith(f":{pinned_mlflow()}")
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r ops/mlflow/requirements.txt" in makefile
    assert re.search(r"^test: .*\$\(MLFLOW_VENV\)/\.mlflow", makefile, re.M)


def test_the_dockerfile_passes_hadolint():
    result = run(tool("hadolint"), MLFLOW / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mlflow_keeps_its_own_database_and_the_app_uses_it():
    services = compose()["services"]
    backend = services["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"]
    assert backend.startswith("postgresql+psycopg2://${MLFLOW_DB_USER:-mlflow}:")
    assert backend.endswith("@db:5432/${MLFLOW_DB:-mlflow}")
    assert "${MLFLOW_DB_USER" in services["db"]["environment"]["MLFLOW_DB_USER"]
    init = (ROOT / "ops" / "postgres-init" / "20-mlflow.sh").read_text()
    assert 'CREATE DATABASE :"db" OWNER :"role"' in init
    assert services["app"]["environment"]["MLFLOW_TRACKING_URI"].endswith(":-http://mlflow:5000}")
    assert "mlflow:5000" in (MLFLOW / "Dockerfile").read_text()  # an allowed Host header
    assert any(v.endswith(":/mlflow/artifacts") for v in services["mlflow"]["volumes"])
