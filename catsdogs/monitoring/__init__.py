"""Monitoring: Prometheus metrics, model health and drift, accuracy, statistics, notifications."""
