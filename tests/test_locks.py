"""The hashed locks that every install uses (requirements/, ops/mlflow/requirements.txt), checked
against their single source, setup.cfg: a dependency edited there without `make lock` fails here.
"""

import configparser
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
MLFLOW = ROOT / "ops" / "mlflow"
MAKEFILE = ROOT / "Makefile"
DOCKERFILES = [ROOT / "ops" / "Dockerfile", MLFLOW / "Dockerfile"]
# Each lock `make lock` writes from setup.cfg, with the extras it holds besides install_requires.
EXTRAS = {
    "serve": (),
    "check": ("test",),
    "quantize": ("quantize",),
    "train": ("train",),
    "lite": ("lite",),
    "test": ("test", "train", "quantize", "lite"),
}
TOOLS = {"pip": "pip", "uv": "uv"}  # the venvs' pip and the lock tool, each a lock of its own
SOURCE = "catsdogs (setup.cfg)"  # how a lock annotates what setup.cfg asks for by name
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


def entries(path: Path) -> list[tuple[Requirement, list[str]]]:
    """Each pinned line of a lock (one per marker fork) with the names of what asked for it."""
    found: list[tuple[Requirement, list[str]]] = []
    for line in re.sub(r"\s*\\\n\s*", " ", path.read_text()).splitlines():
        if line.startswith("#"):
            continue
        if line.startswith(" "):  # the annotations under an entry: `# via NAME` or `#   NAME`
            found[-1][1].append(re.sub(r"^#\s*(via)?\s*", "", line.strip()))
            continue
        requirement, *hashes = line.split(" --hash=")
        assert hashes and all(SHA256.fullmatch(h.strip()) for h in hashes), line
        pinned = Requirement(requirement)
        assert [s.operator for s in pinned.specifier] == ["=="], line
        found.append((pinned, []))
    assert found, f"{path.name} pins nothing"
    return found


def declared(*extras: str) -> list[Requirement]:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    lines = setup["options"]["install_requires"].splitlines()
    for extra in extras:
        lines += setup["options.extras_require"][extra].splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def version(pinned: Requirement) -> str:
    return next(iter(pinned.specifier)).version


def versions(path: Path) -> set[tuple[str, str]]:
    """(name, version) of every entry of a lock."""
    return {(canonicalize_name(pinned.name), version(pinned)) for pinned, _ in entries(path)}


def test_the_locks_are_the_ones_the_makefile_writes():
    written = set(re.findall(r"-o (requirements/\w+\.txt)", MAKEFILE.read_text()))
    names = {*EXTRAS, *TOOLS}
    assert written == {f"requirements/{name}.txt" for name in names}
    assert {path.stem for path in LOCKS.glob("*.txt")} == names


@pytest.mark.parametrize("lock", EXTRAS)
def test_each_lock_pins_what_setup_cfg_asks_for_within_its_range(lock):
    pins = entries(LOCKS / f"{lock}.txt")
    asked = {canonicalize_name(r.name): r for r in declared(*EXTRAS[lock])}
    direct = {canonicalize_name(pinned.name) for pinned, via in pins if SOURCE in via}
    assert direct == set(asked), "setup.cfg and the lock differ: run `make lock`"
    for pinned, _ in pins:
        wanted = asked.get(canonicalize_name(pinned.name))
        if wanted is not None:
            assert wanted.specifier.contains(version(pinned), prereleases=True), pinned


@pytest.mark.parametrize("lock", [name for name in EXTRAS if name != "test"])
def test_every_lock_runs_the_versions_the_full_test_tier_runs(lock):
    assert versions(LOCKS / f"{lock}.txt") - versions(LOCKS / "test.txt") == set()


@pytest.mark.parametrize("lock", TOOLS)
def test_the_tool_locks_pin_their_tool_alone(lock):
    assert [p.name for p, _ in entries(LOCKS / f"{lock}.txt")] == [TOOLS[lock]]


def test_the_mlflow_lock_pins_what_its_source_pins():
    source = (MLFLOW / "requirements.in").read_text().splitlines()
    asked = [Requirement(line) for line in source if line and not line.startswith("#")]
    pins = {(canonicalize_name(r.name), version(r)) for r in asked}
    assert pins and pins <= versions(MLFLOW / "requirements.txt")


def test_every_makefile_install_is_a_hashed_lock_or_the_project_alone():
    text = re.sub(r"\\\n", " ", MAKEFILE.read_text())
    installs = re.findall(r"pip install (.*)", text)
    assert installs
    for args in installs:
        lock = re.fullmatch(r"--quiet --require-hashes -r (\S+)", args)
        assert lock or args == "--quiet --no-deps -e .", args
        assert lock is None or (ROOT / lock.group(1)).is_file(), args


def names(path: Path) -> set[str]:
    return {name for name, _ in versions(path)}


@pytest.mark.parametrize("lock", EXTRAS)
def test_a_lock_holds_torchs_cpu_build_and_nothing_of_cuda(lock):
    # PyPI's torch is the CUDA build, with gigabytes of nvidia-* wheels: locked from PyPI by
    # mistake, torch loses its +cpu label and pulls them in.
    pins = versions(LOCKS / f"{lock}.txt")
    assert all(version.endswith("+cpu") for name, version in pins if name == "torch")
    cuda = {name for name, _ in pins if name.startswith(("nvidia-", "cuda-")) or name == "triton"}
    assert cuda == set()


def test_every_install_of_a_lock_holding_torch_looks_on_pytorchs_index():
    # PyPI has no torch with the +cpu label: pip finds it on the index TORCH_INDEX names
    text = re.sub(r"\\\n", " ", MAKEFILE.read_text())
    installs = re.findall(r"^\t(.*)pip install --quiet --require-hashes -r (\S+)", text, re.M)
    looking = {lock for prefix, lock in installs if prefix.startswith("$(WITH_TORCH_INDEX) ")}
    holding = {lock for _, lock in installs if "torch" in names(ROOT / lock)}
    assert looking == holding == {"requirements/test.txt", "requirements/lite.txt"}


def test_each_venv_stamp_depends_on_the_lock_it_installs():
    # A stamp older than its lock reinstalls; the venv's python itself is left out, since a venv's
    # python is a link whose time is the system Python's.
    rules = re.findall(r"^(\S+):([^=\n]*)\n((?:\t.*\n)+)", MAKEFILE.read_text(), re.M)
    stamps = [rule for rule in rules if "--require-hashes" in rule[2]]
    assert len(stamps) >= 6
    for target, prerequisites, recipe in stamps:
        if target != "$(BIN)/python":
            for lock in re.findall(r"--require-hashes -r (\S+)", recipe):
                assert lock in prerequisites.split(), f"{target} does not depend on {lock}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_the_images_install_only_hashed_locks(dockerfile):
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    installs = re.findall(r"pip install ([^&;\n]*)", text)
    assert installs
    for args in installs:
        assert re.fullmatch(r"--no-cache-dir --require-hashes -r \S+\s*", args), args


def test_the_serving_image_installs_the_serving_lock_alone():
    build_stage = (ROOT / "ops" / "Dockerfile").read_text().split("\nFROM ")[1]
    assert re.findall(r"^COPY (.+)$", build_stage, re.M) == ["requirements/serve.txt ./"]
    served = {p.name for p, _ in entries(LOCKS / "serve.txt")}
    assert {"tensorflow", "torch"} & served == set()
