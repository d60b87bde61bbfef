"""Packaging as a newcomer meets it: `make run` installs the project in editable mode."""

import subprocess
import sys

from tests.helpers import ROOT

BUILD_EDITABLE = (
    "import sys; from setuptools import build_meta; build_meta.build_editable(sys.argv[1])"
)


def test_an_editable_install_prints_no_boxed_warning_about_the_project_s_folders(tmp_path):
    built = subprocess.run(
        [sys.executable, "-c", BUILD_EDITABLE, str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    said = built.stdout + built.stderr
    assert "Please be careful with folders" not in said
    assert "**********" not in said
    [wheel] = tmp_path.glob("catsdogs-*.whl")
    assert wheel.stat().st_size > 0
