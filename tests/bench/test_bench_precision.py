"""`make bench BENCH_ARGS=--compare`: FP32 against its INT8 copy, one section of the report."""

import json

from bench import __main__ as bench
from bench import precision
from catsdogs.card import SHIPPED_MODEL

INT8 = SHIPPED_MODEL.with_name("catsdogs-int8.onnx")


def test_compare_measures_both_models_and_rewrites_only_its_section(tmp_path):
    report = tmp_path / "bench.md"
    report.write_text("# Benchmark\n\n## Targets\n\nkept\n\n## Shadow traffic\n\nkept too\n")
    argv = ["--compare", "--out", str(tmp_path)]
    measured = precision.measure(str(SHIPPED_MODEL), str(INT8), rounds=2, runs=3)
    for name, model in (("fp32", SHIPPED_MODEL), ("int8", INT8)):
        card = json.loads(model.with_suffix(".json").read_text())
        figures = measured["models"][name]
        assert figures["version"] == card["version"] and figures["p50_ms"] > 0
        assert figures["test_accuracy"] == card["evaluation"]["test"]["accuracy"]
        assert len(figures["round_p50s_ms"]) == 2
    precision.write_section(report, precision.markdown(measured))
    precision.write_section(report, precision.markdown(measured))  # again: replaced, not added
    text = report.read_text()
    assert text.count(precision.TITLE) == 1 and text.count("kept") == 2
    assert f"| catsdogs-int8.onnx | {measured['models']['int8']['version']} |" in text
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
