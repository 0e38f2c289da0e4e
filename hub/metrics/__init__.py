"""Prometheus exposition of snapshots: cached text for the fleet, rendered off the event loop."""
