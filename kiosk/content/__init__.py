"""Offline content shipped with the kiosk (Simplified Chinese YAML); see services.content."""
