"""Training with scikit-learn and export to ONNX. Imported only by the training function and tools,
never by the scoring path (scikit-learn costs about a second of cold start)."""
