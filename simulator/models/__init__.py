"""Device models: hardware profiles and the MIB tables each kind serves."""
