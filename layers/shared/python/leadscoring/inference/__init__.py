"""Serving models with onnxruntime only: nothing here imports scikit-learn."""
