"""The HTTP metrics' exporter, and /metrics when several workers write their metrics to files."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter import PrometheusMetrics


class ServiceMetrics(PrometheusMetrics):
    """The exporter, whose /metrics with several workers adds the scrape-time collectors to the
    merged files (its own multiprocess /metrics shows the files alone)."""

    def __init__(self, app: Flask, registry: CollectorRegistry, scrape_time: list[Any]):
        self.scrape_time = scrape_time
        super().__init__(app, registry=registry, group_by="endpoint")

    def generate_metrics(
        self, accept_header: str | None = None, names: list[str] | None = None
    ) -> tuple[str, str]:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not folder:
            return super().generate_metrics(accept_header, names)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, folder)
        for collector in self.scrape_time:
            registry.register(collector)
        chosen = registry.restricted_registry(names) if names else registry
        generate_latest, content_type = choose_encoder(accept_header or "")
        return generate_latest(chosen).decode("utf-8"), content_type


def forget_series(metric: Any, *labels: str) -> None:
    """Drop a labelled series from this process's metrics. With several workers its file keeps
    it (prometheus_client cannot remove there and warns): a gauge's caller sets it to 0 first."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    try:
        metric.remove(*labels)
    except KeyError:  # never recorded
        pass
