"""warroom: incident command for software teams, on Temporal."""

__version__ = "0.2.0"
