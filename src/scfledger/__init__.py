"""scfledger: a consortium-blockchain ledger for supply-chain finance."""
