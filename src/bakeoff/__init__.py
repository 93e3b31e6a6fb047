"""bakeoff: compare large language models head to head on quality, speed and cost."""

__version__ = "0.1.0"

__all__ = ["__version__"]
