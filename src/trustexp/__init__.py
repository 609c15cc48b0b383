"""trustexp: the analysis machine behind the Oss trust-experiment report."""

__version__ = "0.1.0"
