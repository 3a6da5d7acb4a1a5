"""Hydron: run your own apps on your own servers, driven by Kubernetes resources."""

__version__ = "0.1.0"
