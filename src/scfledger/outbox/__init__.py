"""The write path: operations from intake to the chain, exactly once (see `pipeline`).

`store` alone writes operation state; `nonces` allocates nonces; `signing` signs;
`broadcaster` sends; `confirmer` follows receipts, replaces stuck transactions and records
failures; `intake` accepts operations; `pipeline` is the facade the gateway uses.
"""
