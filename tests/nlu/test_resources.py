"""Derived NLU resources stay in step with the catalogue."""

import spacy

from bot.nlu.build import SYNONYMS_PATH, main, synonyms_yaml
from bot.nlu.spacy_pipeline import build_pipeline, entities


def test_synonyms_file_is_up_to_date():
    assert SYNONYMS_PATH.read_text("utf-8") == synonyms_yaml(), "run `python -m bot.nlu.build`"
    assert main(["--check"]) == 0


def test_spacy_pipeline_round_trips_through_disk(tmp_path):
    nlp = build_pipeline()
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    text = "生产库db2 11.5.8 在aix 7.2上起不来，报sql1042c"
    assert entities(loaded, text) == entities(nlp, text)
