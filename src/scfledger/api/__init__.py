"""The REST API of the gateway."""
