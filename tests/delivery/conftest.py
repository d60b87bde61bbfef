"""Session fixtures of the delivery tests: one Docker engine and one serving image for all."""

import pytest

from tests.delivery import engine

FIGURES: dict = {}  # what the terminal summary reports: the image's build time and size


@pytest.fixture(scope="session")
def docker_engine():
    reason = engine.start_engine()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def app_image(docker_engine) -> dict:
    """ops/Dockerfile built once per session, as users build it."""
    FIGURES.update(engine.build_image())
    return FIGURES


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        mb = 1e6
        terminalreporter.write_line(
            f"delivery: image {engine.IMAGE} {FIGURES['size'] / mb:.0f} MB "
            f"({(FIGURES['size'] - FIGURES['base_size']) / mb:.0f} MB over its base "
            f"{FIGURES['base']}, {FIGURES['base_size'] / mb:.0f} MB here), "
            f"built in {FIGURES['build_seconds']:.0f} s "
            f"(base stand-in {FIGURES['base_seconds']:.0f} s)"
        )
