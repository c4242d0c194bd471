"""Chain access: contract artifacts, bindings, deployment and revert decoding."""
