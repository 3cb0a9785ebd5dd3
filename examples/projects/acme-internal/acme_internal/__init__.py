"""Company-only helpers."""
__version__ = "0.3.0"
