"""A second backbone, EfficientNet-Lite, trained with PyTorch on the CPU and exported to ONNX.

Same shape as the MobileNetV2 path: the frozen lower blocks run once per photo (here in ONNX
Runtime, several times faster than PyTorch on the CPU), their outputs are cached, and only the top
blocks and a sigmoid head are fine-tuned. Serving never imports PyTorch.
"""
