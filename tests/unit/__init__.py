"""Unit tests of the pure modules: no servers, no database, a few seconds in all."""
