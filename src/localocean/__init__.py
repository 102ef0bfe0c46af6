"""LocalOcean: a DigitalOcean API v2 server for local development and tests."""

__version__ = "0.1.0"
