"""Software rollouts: waves of ansible-runner jobs, gated by thresholds and MQTT-confirmed versions."""
