"""audit-app: review a statistically sampled set of crime investigation files against a checklist."""

__version__ = "0.1.0"
