"""Answers a person can trust (issue 28): "not a cat or a dog", and the region that decided.

Offline, like the rest of catsdogs.training: `graph` adds outputs to the shipped ONNX model,
`extract` runs it once over the photos, `detectors` fits and compares out-of-distribution
scores, `faithfulness` checks the heatmap by hiding regions, `command` ties them together.
"""
