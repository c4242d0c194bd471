"""Use cases shared by the API and the CLI: reads from the index, writes through the chain."""
