"""Return Interview Service."""
