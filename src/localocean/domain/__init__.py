"""Behaviour of each resource: validation, state machines and catalogs. No HTTP, no SQL."""
