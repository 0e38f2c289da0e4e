"""Content for kiosks: notices, village affairs, weather and farming, health, the service catalog,
surveys and consultations; versioned, validated in the kiosk's shapes, retained per scope."""
