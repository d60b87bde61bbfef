// The monitoring charts: drawn once, then fed from the JSON that each htmx refresh brings.
(function () {
  "use strict";
  if (!window.Chart) { return; }
  var colors = { cat: "#1f5fa8", dog: "#b3541e", neither: "#6b6b6b", up: "#1d7a3a",
                 down: "#b0243a", line: "#5b3e96" };
  var charts = {};
  // Series names come translated from the page; numbers follow the page's language.
  var section = document.getElementById("charts");
  var names = section ? JSON.parse(section.dataset.labels) : {};
  var locale = document.documentElement.lang;

  function bar(id, datasets, stacked) {
    var canvas = document.getElementById(id);
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: [], datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false, locale: locale,
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true,
                                                   ticks: { precision: 0 } } }
      }
    });
  }

  function create() {
    charts.predictions = bar("chart-predictions", [
      { label: names.cats, data: [], backgroundColor: colors.cat },
      { label: names.dogs, data: [], backgroundColor: colors.dog },
      { label: names.neither, data: [], backgroundColor: colors.neither }], true);
    charts.feedback = bar("chart-feedback", [
      { label: names.satisfied, data: [], backgroundColor: colors.up },
      { label: names.not_satisfied, data: [], backgroundColor: colors.down }], true);
    charts.confidence = bar("chart-confidence", [
      { label: names.predictions, data: [], backgroundColor: colors.line }], false);
    charts.latency = new window.Chart(document.getElementById("chart-latency"), {
      type: "line",
      data: { labels: [], datasets: [{ label: names.mean_ms, data: [], borderColor: colors.line,
                                       backgroundColor: colors.line, spanGaps: true }] },
      options: { animation: false, maintainAspectRatio: false, locale: locale,
                 scales: { y: { beginAtZero: true } } }
    });
  }

  function update() {
    // The figures ride on the polled block itself: htmx drops <script> blocks it swaps in.
    var live = document.getElementById("live");
    if (!live || !live.dataset.charts) { return; }
    var data = JSON.parse(live.dataset.charts);
    var timeline = data.timeline;
    if (!charts.predictions) { create(); }
    function set(chart, labels, series) {
      chart.data.labels = labels;
      series.forEach(function (values, index) { chart.data.datasets[index].data = values; });
      chart.update();
    }
    set(charts.predictions, timeline.labels, [timeline.cat, timeline.dog, timeline.neither]);
    set(charts.latency, timeline.labels, [timeline.mean_inference_ms]);
    set(charts.feedback, timeline.labels, [timeline.positive, timeline.negative]);
    set(charts.confidence, data.confidence.bins, [data.confidence.counts]);
  }

  update();
  // The polled block replaces itself (outerHTML): htmx:load fires on the new one and bubbles.
  document.addEventListener("htmx:load", update);
})();
