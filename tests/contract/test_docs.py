"""docs/contract.md is generated from the contract and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from contract.docgen import render
from contract.examples import EXAMPLES
from contract.topics import HUB_SUBSCRIPTIONS, Verb

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"


def test_contract_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m contract.docgen > docs/contract.md"


def test_doc_covers_every_verb_and_subscription() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented_verbs = {
        ex.topic.split("/")[4] for ex in EXAMPLES if ex.topic.split("/")[2] in ("agent", "kiosk")
    }
    assert documented_verbs == {v.value for v in Verb}
    for sub in HUB_SUBSCRIPTIONS:
        assert sub in text
