"""Plots (matplotlib, optional)."""
