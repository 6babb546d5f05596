"""Training: fit, callbacks, metrics, history, progress."""
