"""MQTT ingest: paho's thread hands raw messages to the event loop, which decodes and applies them."""
