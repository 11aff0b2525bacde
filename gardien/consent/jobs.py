"""The consent app's periodic job: the proofs written since the last seal, sealed."""

from __future__ import annotations


def seal_ledger() -> None:
    from gardien.consent.seal import seal_pending

    seal_pending()


def register_periodic_jobs() -> None:
    from gardien.consent.seal import SEAL_EVERY
    from gardien.processors.periodic import periodic

    periodic("consent.seal", every=SEAL_EVERY)(seal_ledger)


def listen_to_the_purge() -> None:
    """The retention purge records, per seal, the proofs it removes (gardien.consent.seal)."""
    from gardien.consent.models import ConsentRecord, ConsentSeal
    from gardien.consent.seal import on_retention_purge, on_seals_dropped
    from gardien.retention.engine import removing

    removing.connect(on_retention_purge, sender=ConsentRecord, dispatch_uid="consent.seal")
    removing.connect(on_seals_dropped, sender=ConsentSeal, dispatch_uid="consent.seal.drop")
