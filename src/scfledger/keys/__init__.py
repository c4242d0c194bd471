"""Participant keys: encrypted keystores, signers, and the relay of self-signed transactions."""

from scfledger.keys.store import KeyInfo, KeyStore, Signer

__all__ = ["KeyInfo", "KeyStore", "Signer"]
