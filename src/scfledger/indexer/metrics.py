"""Prometheus metrics of the indexer, read from the database and the node when scraped."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from scfledger.indexer.indexer import Indexer

log = logging.getLogger(__name__)


class IndexerCollector(Collector):
    """`scf_indexer_faults`, `scf_indexer_checkpoint_block` and `scf_indexer_lag_blocks`:
    read at each scrape, so they hold for every process sharing the database. A value the
    database or the node cannot give now is left out of that scrape."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer

    def collect(self) -> Iterator[Metric]:
        try:
            faults = self.indexer.fault_count()
            checkpoint = self.indexer.checkpoint()
        except Exception as exc:  # a scrape must not fail with the database
            log.warning("indexer metrics: database unavailable: %s", exc)
            return
        yield GaugeMetricFamily(
            "scf_indexer_faults",
            "Chain events the read model could not project (rows of indexer_faults)",
            value=faults,
        )
        if checkpoint is not None:
            yield GaugeMetricFamily(
                "scf_indexer_checkpoint_block", "Last block indexed", value=checkpoint[0]
            )
        try:
            lag = self.indexer.lag()
        except Exception as exc:
            log.warning("indexer metrics: node unavailable: %s", exc)
            return
        yield GaugeMetricFamily(
            "scf_indexer_lag_blocks", "Blocks the index is behind head - confirmations", value=lag
        )
