"""A model's graph as ONNX Runtime optimizes it, saved at its first load and loaded as it is
afterwards.

At every load ONNX Runtime rewrites the graph for this CPU (NCHWc layouts among others) while
still holding the weights as read, so a load peaks far above what its session keeps; the saved
graph loads with no rewriting (docs/performance.md: what it saves). It suits only the CPU
features and ONNX Runtime release that wrote it, so its name carries both, beside the model
file's digest.
"""

import hashlib
import logging
import os
import platform
from pathlib import Path

import onnxruntime as ort

from catsdogs.registry.client import file_sha256
from catsdogs.serving.precision import cpu_flags

log = logging.getLogger(__name__)
PROVIDERS = ["CPUExecutionProvider"]
FOLDER = "optimized-graphs"  # in the instance folder, and in each registry version's folder
KEPT = 8  # saved graphs kept in a folder, the most recently used: a few models' worth
ERRORS_ONLY = 3  # ONNX Runtime's log severity: its warning that a saved graph fits one machine


def session(model: Path, options: ort.SessionOptions, folder: Path | None) -> ort.InferenceSession:
    """A session of `model`, from its saved optimized graph in `folder` when there is one
    (saving it there first otherwise); `folder` None loads the model file as it is. `options`
    is changed on the way: pass options made for this one session."""
    if folder is None:
        return ort.InferenceSession(str(model), options, providers=PROVIDERS)
    saved = folder / f"{name(model)}.onnx"
    if saved.is_file():
        try:
            loaded = _load_saved(saved, options)
            os.utime(saved)  # recently used: kept when older ones are pruned
            return loaded
        except Exception as error:  # a damaged or foreign file: rebuilt from the model below
            log.warning("cannot load the optimized graph %s (%s): saving it again", saved, error)
            saved.unlink(missing_ok=True)
    return _load_and_save(model, options, saved)


def name(model: Path) -> str:
    """The saved graph's name: the model file's digest, then what the rewriting depended on."""
    machine = f"{ort.__version__} {platform.machine()} {' '.join(sorted(cpu_flags()))}"
    return f"{file_sha256(model)[:16]}-{hashlib.sha256(machine.encode()).hexdigest()[:12]}"


def _load_saved(saved: Path, options: ort.SessionOptions) -> ort.InferenceSession:
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(saved), options, providers=PROVIDERS)


def _load_and_save(model: Path, options: ort.SessionOptions, saved: Path) -> ort.InferenceSession:
    """Load `model`, ONNX Runtime writing its optimized graph on the way; keep it as `saved`."""
    # Named by process: another worker of this service may be saving the same graph.
    partial = saved.with_name(f"{saved.stem}.partial-{os.getpid()}")
    try:
        saved.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        log.warning("cannot save optimized graphs in %s: %s", saved.parent, error)
        return ort.InferenceSession(str(model), options, providers=PROVIDERS)
    options.optimized_model_filepath = str(partial)
    options.log_severity_level = ERRORS_ONLY
    try:
        loaded = ort.InferenceSession(str(model), options, providers=PROVIDERS)
    except Exception:
        # A broken model fails again below, with its own error; a graph that could not be
        # written must not stop the load.
        partial.unlink(missing_ok=True)
        options.optimized_model_filepath = ""
        return ort.InferenceSession(str(model), options, providers=PROVIDERS)
    try:
        os.replace(partial, saved)  # whole or not at all, whoever saves last
        _prune(saved.parent)
    except OSError as error:
        log.warning("cannot keep the optimized graph %s: %s", saved, error)
        partial.unlink(missing_ok=True)
    return loaded


def _prune(folder: Path) -> None:
    """Keep the KEPT saved graphs used last."""
    graphs = sorted(folder.glob("*.onnx"), key=_last_used, reverse=True)
    for old in graphs[KEPT:]:
        old.unlink(missing_ok=True)


def _last_used(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # pruned meanwhile by another worker
        return 0.0
