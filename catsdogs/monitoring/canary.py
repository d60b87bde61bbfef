"""What the app counts of a canary: the guards' window (canary_guards.py) and the Prometheus
series that mirror it, for the alert rules of prometheus/rules/models.yml."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from catsdogs.monitoring.canary_guards import GUARDS, ROLES, CanaryFigures
from catsdogs.monitoring.metrics import LATENCY_BUCKETS


class CanaryRecorder:
    """Count each live answer by role while a canary is on; the figures feed the guards."""

    def __init__(self, registry: CollectorRegistry, figures: CanaryFigures):
        self.figures = figures

        def counter(name: str, doc: str, labels: tuple[str, ...] = ("role",)) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        self.percent = Gauge(
            "cv_canary_percent",
            "Share of clients the canary answers here",
            registry=registry,
            multiprocess_mode="livemostrecent",  # every worker follows the registry's setting
        )
        self.answers = counter("cv_canary_answers_total", "Live answers while a canary is on")
        self.errors = counter("cv_canary_errors_total", "Failed predictions while a canary is on")
        self.unsure = counter("cv_canary_unsure_total", "'Not sure' answers while a canary is on")
        self.latency = Histogram(
            "cv_canary_inference_time_seconds",
            "Model time of live answers while a canary is on",
            ["role"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.compared = counter(
            "cv_canary_compared_total",
            "Photos both the canary and the champion answered, by agreement",
            ("agreement",),
        )
        self.votes = counter("cv_canary_votes_total", "Users' votes by role", ("role", "vote"))
        self.trips = counter("cv_canary_trips_total", "Canaries a guard took back", ("guard",))
        for role in ROLES:  # every series from the first scrape: rates and absent() behave
            for metric in (self.answers, self.errors, self.unsure, self.latency):
                metric.labels(role)
            for vote in ("right", "wrong"):
                self.votes.labels(role, vote)
        for agreement in ("agree", "disagree"):
            self.compared.labels(agreement)
        for guard in GUARDS:
            self.trips.labels(guard)

    def answered(self, role: str, seconds: float, unsure: bool) -> None:
        self.figures.answered(role, seconds, unsure)
        self.answers.labels(role).inc()
        self.latency.labels(role).observe(seconds)
        if unsure:
            self.unsure.labels(role).inc()

    def failed(self, role: str) -> None:
        self.figures.failed(role)
        self.answers.labels(role).inc()
        self.errors.labels(role).inc()

    def compare(self, disagree: bool) -> None:
        self.figures.compare(disagree)
        self.compared.labels("disagree" if disagree else "agree").inc()

    def voted(self, role: str, wrong: bool) -> None:
        self.figures.voted(role, wrong)
        self.votes.labels(role, "wrong" if wrong else "right").inc()

    def tripped(self, guards: list[str]) -> None:
        for guard in guards:
            self.trips.labels(guard if guard in GUARDS else "errors").inc()
