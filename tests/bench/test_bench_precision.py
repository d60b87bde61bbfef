"""`make bench BENCH_ARGS=--compare`: FP32 against its INT8 copy or other models, one section of
the report."""

import json

from bench import __main__ as bench
from bench import precision
from catsdogs.card import SHIPPED_MODEL

INT8 = SHIPPED_MODEL.with_name("catsdogs-int8.onnx")


def test_compare_measures_both_models_and_rewrites_only_its_section(tmp_path):
    report = tmp_path / "bench.md"
    report.write_text("# Benchmark\n\n## Targets\n\nkept\n\n## Shadow traffic\n\nkept too\n")
    argv = ["--compare", "--out", str(tmp_path)]
    measured = precision.measure([str(SHIPPED_MODEL), str(INT8)], rounds=2, runs=3)
    for figures, model in zip(measured["models"], (SHIPPED_MODEL, INT8), strict=True):
        card = json.loads(model.with_suffix(".json").read_text())
        assert figures["version"] == card["version"] and figures["p50_ms"] > 0
        assert figures["test_accuracy"] == card["evaluation"]["test"]["accuracy"]
        assert len(figures["round_p50s_ms"]) == 2
    precision.write_section(report, precision.markdown(measured))
    precision.write_section(report, precision.markdown(measured))  # again: replaced, not added
    text = report.read_text()
    assert text.count(precision.TITLE) == 1 and text.count("kept") == 2
    int8 = measured["models"][1]
    assert f"| {int8['path']} | {int8['version']} |" in text and int8["path"].endswith("-int8.onnx")
    assert f"- {int8['path']} takes " in text and "INT8 gate: failed" in text
    assert bench.main(argv) == 0  # the option itself, through the command line
    assert report.read_text().count(precision.TITLE) == 1


def test_a_later_section_stays_after_the_rewritten_one(tmp_path):
    report = tmp_path / "bench.md"
    section = [precision.TITLE, "", "old figures"]
    report.write_text("# Benchmark\n\n" + "\n".join(section) + "\n\n## Shadow traffic\n\nkept\n")
    precision.write_section(report, [precision.TITLE, "", "new figures"])
    text = report.read_text()
    assert "old figures" not in text
    assert text.index("new figures") < text.index("## Shadow traffic") and "kept" in text


def test_another_backbone_is_fed_at_its_own_input_size(tmp_path):
    """A 48 px model beside the 224 px one: each gets photos of its card's size, one row each,
    and the old title's section is replaced, not kept beside the new one."""
    from tests.small_model import served

    other = served(tmp_path, side=48, grid=6)
    report = tmp_path / "bench.md"
    report.write_text("# Benchmark\n\n## FP32 and INT8 (make bench BENCH_ARGS=--compare)\n\nold\n")
    measured = precision.measure([str(SHIPPED_MODEL), str(other)], rounds=2, runs=3)
    assert measured["models"][1]["version"] == "0.1.0+small"
    precision.write_section(report, precision.markdown(measured))
    text = report.read_text()
    assert "old" not in text and text.count(precision.TITLE) == 1
    assert f"| {measured['models'][1]['path']} |" in text


def test_the_whole_bench_keeps_the_compare_section_it_does_not_measure(tmp_path):
    """`make bench` rewrites reports/bench.md, then puts back what --compare measured apart."""
    report = tmp_path / "bench.md"
    section = [precision.TITLE, "", "| model | ms |", "", "compared earlier"]
    report.write_text("# Benchmark\n\nold\n\n" + "\n".join(section) + "\n\n## Shadow traffic\n")
    kept = precision.section_of(report)
    assert kept == section
    report.write_text("# Benchmark\n\nnew\n")  # what the whole bench writes
    precision.write_section(report, kept)
    assert report.read_text() == "# Benchmark\n\nnew\n\n" + "\n".join(section) + "\n"
    assert precision.section_of(tmp_path / "absent.md") is None
