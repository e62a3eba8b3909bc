"""evesim: a simulation-first digital twin of a fleet of LF Edge EVE devices."""

__version__ = "0.1.0"
