"""Offline training, evaluation and ONNX export. Needs the `train` extra; never imported by the app."""
