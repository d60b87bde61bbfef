"""Offline training, evaluation and ONNX export (the `train` extra); never imported by the app."""
