"""atheris harness for the text path every message takes: masking, intents, normalisation.

    python tests/fuzz_text.py -runs=1000        # CI (bounded, via tests/test_fuzz.py)
    python tests/fuzz_text.py -max_total_time=600   # longer, by hand or from bench/
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from bot.intents import recognise
    from bot.store.masking import mask_personal_data
    from indexer.normalise import TextNormaliser
    from knowledge.core.settings import MUNICIPAL_SYNONYMS

NORMALISER = TextNormaliser("A", [MUNICIPAL_SYNONYMS]).warm_up()


def one_input(data: bytes) -> None:
    """Any text, surrogates and control characters included, must give terms, never an exception."""
    provider = atheris.FuzzedDataProvider(data)
    text = provider.ConsumeUnicode(provider.ConsumeIntInRange(0, 2000))
    masked = mask_personal_data(text)
    assert isinstance(masked, str)
    recognise(text)
    result = NORMALISER.run(text)
    assert all(isinstance(term, str) and term for term in result.terms)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
