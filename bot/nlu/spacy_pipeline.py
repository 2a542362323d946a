"""The project's spaCy pipeline: a blank Chinese model with our segmenter and rules.

Built from the catalogue by ``python -m bot.nlu.build`` into ``build/spacy_zh`` and
loaded by Rasa's ``SpacyNLP``; ``SpacyEntityExtractor`` then reports its entities.
Importing this module registers the tokenizer and the ``ppa_keyword_values``
component with spaCy, which ``spacy.load`` needs (``bot.nlu.components`` imports it).
"""

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from bot.nlu.patterns import CUSTOMER_NUMBER, IDENTIFIER, LABELS, STRUCTURED
from bot.nlu.segment import Segmenter
from bot.nlu.vocabulary import Vocabulary, compact, default_vocabulary
from bot.validators import ACCOUNT_ID_MIN_DIGITS

SEGMENTER_DIR = "ppa_segmenter"


class PPATokenizer:
    """spaCy tokenizer wrapping :class:`Segmenter`; serialises its dictionary."""

    def __init__(self, vocab: Vocab, segmenter: Segmenter | None = None) -> None:
        """Tokenize into ``vocab``; without a segmenter, one is loaded or built lazily."""
        self.vocab = vocab
        self._segmenter = segmenter  # from_disk sets it when loading a saved pipeline

    @property
    def segmenter(self) -> Segmenter:
        """The segmenter; built from the catalogue only if none was given or loaded."""
        if self._segmenter is None:
            self._segmenter = default_vocabulary().segmenter()
        return self._segmenter

    def __call__(self, text: str) -> Doc:
        """Segment ``text`` into a ``Doc``; a single space after a word is its trailing space."""
        pieces = self.segmenter.segment(text)
        words: list[str] = []
        spaces: list[bool] = []
        pos = 0
        for word, start in pieces:
            if start > pos:  # whitespace (or a gap) before this word
                gap = text[pos:start]
                if words and gap == " ":
                    spaces[-1] = True
                else:
                    words.append(gap)
                    spaces.append(False)
            words.append(word)
            spaces.append(False)
            pos = start + len(word)
        if pos < len(text):
            words.append(text[pos:])
            spaces.append(False)
        return Doc(self.vocab, words=words, spaces=spaces)

    def to_disk(self, path: Path, **_: Any) -> None:
        """Save the segmenter's dictionary with the pipeline."""
        self.segmenter.save(Path(path))

    def from_disk(self, path: Path, **_: Any) -> "PPATokenizer":
        """Load the segmenter saved by :meth:`to_disk`."""
        self._segmenter = Segmenter.load(Path(path))
        return self

    def to_bytes(self, **_: Any) -> bytes:
        """Nothing: the dictionary is saved by :meth:`to_disk` only."""
        return b""

    def from_bytes(self, _data: bytes, **__: Any) -> "PPATokenizer":
        """Nothing to restore; see :meth:`to_bytes`."""
        return self


@spacy.registry.tokenizers("ppa_tokenizer.v1")
def create_ppa_tokenizer() -> Callable[[Language], PPATokenizer]:
    """Registry entry ``ppa_tokenizer.v1`` for :class:`PPATokenizer` (spaCy config)."""

    def make(nlp: Language) -> PPATokenizer:
        return PPATokenizer(nlp.vocab)

    return make


_VALUE = re.compile(r"^(?=.*\d)[a-z0-9][a-z0-9-]{2,29}$")
_FILLER = {":", "：", "是", "为", "号", "#", "-", "＝", "=", ",", "，", "码"}


@Language.factory("ppa_keyword_values", default_config={"keywords": {}})
def make_keyword_values(
    nlp: Language, name: str, keywords: Mapping[str, list[str]]
) -> Callable[[Doc], Doc]:
    """A component that labels the value after a keyword such as 客户号 or 合同号.

    Customer and contract numbers have no shape of their own; the word in front of
    them is what tells them apart, so this wins over any shape-based label.
    """
    by_word = {w.lower(): label for label, words in keywords.items() for w in words}

    def label_values(doc: Doc) -> Doc:
        found: list[Span] = []
        for tok in doc:
            label = by_word.get(tok.lower_)
            if not label:
                continue
            j = tok.i + 1
            while j < len(doc) and j - tok.i <= 3 and (doc[j].text in _FILLER or doc[j].is_space):
                j += 1
            if j < len(doc) and _VALUE.match(doc[j].lower_):
                found.append(Span(doc, j, j + 1, label=label))
        if found:
            keep = [
                e for e in doc.ents if not any(e.start < f.end and f.start < e.end for f in found)
            ]
            doc.ents = tuple(filter_spans([*found, *keep]))  # type: ignore[assignment]  # spaCy stubs say tuple[Span]
        return doc

    return label_values


def ruler_patterns(vocab: Vocabulary, segmenter: Segmenter) -> list[dict[str, Any]]:
    """EntityRuler patterns generated from the vocabulary and the structured shapes."""

    def token_pattern(term: str) -> list[dict[str, Any]]:
        return [{"LOWER": w} for w, _ in segmenter.segment(term.lower())]

    patterns: list[dict[str, Any]] = []
    for shape, regex in STRUCTURED.items():
        patterns.append(
            {"label": LABELS[shape], "pattern": [{"LOWER": {"REGEX": f"^(?:{regex})$"}}]}
        )
    # Letters-and-digits identifiers with enough digits are contract numbers
    # (customer numbers are digits only; "x86" or "db2" are not numbers); the keyword
    # component still overrides by context.
    other_shapes = "|".join(STRUCTURED.values())
    digits = f"(?=(?:\\D*\\d){{{ACCOUNT_ID_MIN_DIGITS}}})"
    identifier = f"^(?!(?:{other_shapes})$)(?=.*[a-z]){digits}(?:{IDENTIFIER})$"
    patterns.append({"label": "contract_number", "pattern": [{"LOWER": {"REGEX": identifier}}]})
    patterns.append(
        {"label": "customer_number", "pattern": [{"LOWER": {"REGEX": f"^{CUSTOMER_NUMBER}$"}}]}
    )
    version = {"LOWER": {"REGEX": f"^(?:{STRUCTURED['version']}|\\d{{1,4}})$"}}
    for os_name in vocab.os_names:
        toks = token_pattern(os_name)
        if os_name.lower() not in {t.lower() for t in vocab.product_terms()}:
            patterns.append({"label": "os", "pattern": toks})
        # "AIX 7.2": an OS with its version, even when it is also a product name.
        patterns.append({"label": "os", "pattern": [*toks, version]})
        patterns.append(
            {"label": "os", "pattern": [*toks, version, {"LOWER": {"REGEX": r"^r\d$"}}]}
        )
    for term in vocab.product_terms():
        # Both spellings: the normaliser writes "message broker" as "messagebroker".
        for form in {term, compact(term)}:
            patterns.append({"label": "product", "pattern": token_pattern(form)})
    for terms in vocab.region_terms().values():
        for term in terms:
            patterns.append({"label": "region", "pattern": token_pattern(term)})
    for words in vocab.severity_words.values():
        for word in words:
            patterns.append({"label": "severity", "pattern": token_pattern(word)})
    return patterns


def build_pipeline(vocab: Vocabulary | None = None) -> Language:
    """A blank ``zh`` pipeline with our tokenizer, entity ruler and keyword component."""
    vocab = vocab or default_vocabulary()
    segmenter = vocab.segmenter()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "ppa_tokenizer.v1"}}})
    nlp.tokenizer = PPATokenizer(nlp.vocab, segmenter)
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(ruler_patterns(vocab, segmenter))  # type: ignore[attr-defined]
    nlp.add_pipe(
        "ppa_keyword_values",
        config={"keywords": {k: list(v) for k, v in vocab.keyword_values.items()}},
    )
    nlp.meta["name"] = "ppa_zh"
    nlp.meta["description"] = "PPA support: jieba segmenter, catalogue entity rules"
    return nlp


def build_model(path: Path, vocab: Vocabulary | None = None) -> Path:
    """Build the pipeline and save it where ``config.yml``'s SpacyNLP expects it."""
    nlp = build_pipeline(vocab)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path


def entities(nlp: Language, text: str) -> list[tuple]:
    """``(label, text)`` pairs the pipeline finds (for tests and debugging)."""
    return [(e.label_, e.text) for e in nlp(text).ents]
