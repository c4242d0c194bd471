"""Follows the chain and projects contract events into the SQL read model."""
