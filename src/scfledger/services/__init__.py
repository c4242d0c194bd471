"""Use cases shared by the API and the CLI: reads from the index, writes through the chain."""

# The feed's visibility table follows the rule of this layer: its keeper joins the indexer.
from scfledger.services import feed_visibility as _feed_visibility  # noqa: F401
