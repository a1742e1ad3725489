"""The one place that builds the Danish spaCy pipeline.

Default: ``spacy.blank("da")`` + a lookup lemmatizer fed by spacy-lookups-data + the
rule-based sentencizer: fully offline. The lemma lookup runs on the lower-cased token
("Byrådet" at a sentence start -> "byråd") through a per-word cache, because the lookup,
not the classifier, is the bottleneck of a spaCy featuriser (see shared/MEASURED.md).
An installed Danish pipeline (e.g. ``da_core_news_sm``) is used instead when configured.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError

LEMMA_COMPONENT = "samskab_lower_lemmatizer"


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the featuriser and the evidence finder need from one text."""

    lemmas: list[str]                 # one lower-cased lemma per word token (punctuation dropped, § kept)
    token_sent: list[int]             # sentence index of each lemma
    sentences: list[tuple[int, int]]  # character spans of the sentences

    @property
    def lemma_text(self) -> str:
        return " ".join(self.lemmas)


@functools.lru_cache(maxsize=1)
def _lemma_lookup_table():
    """The Danish lemma table from spacy-lookups-data (seconds to load: once per process)."""
    from spacy.lookups import load_lookups

    return load_lookups("da", ["lemma_lookup"]).get_table("lemma_lookup")


@functools.lru_cache(maxsize=1)
def lemma_forms() -> dict[str, str]:
    """The same Danish lemma table as a plain ``form -> lemma`` dict, read straight from
    spacy-lookups-data's JSON (a fifth of a second, without importing spaCy; spaCy's loader
    hashes every key and takes seconds). ``lemma_forms().get(w)`` equals
    ``_lemma_lookup_table().get(get_string_id(w))`` (keys and look-ups hash alike there);
    tests compare them."""
    import gzip

    import orjson

    path = lemma_table_file()
    if path.suffix == ".json":
        raw = path.read_bytes()
    else:
        with gzip.open(path) as fh:
            raw = fh.read()
    return orjson.loads(raw)


def lemma_table_file() -> Path:
    """The file ``lemma_forms`` reads: spacy-lookups-data's Danish table (plain or gzipped JSON)."""
    import spacy_lookups_data

    path = Path(str(spacy_lookups_data.da["lemma_lookup"]))
    return path if path.exists() else path.with_suffix(".json.gz")


@functools.lru_cache(maxsize=1)
def danish_stop_words() -> frozenset[str]:
    """spaCy's Danish stop words, read from spaCy's own file without importing spaCy (which
    takes a second); tests compare them with ``spacy.lang.da.stop_words.STOP_WORDS``."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("spacy")  # locates the package, does not import it
    if spec is None or spec.origin is None:  # pragma: no cover - spaCy is a core dependency
        from spacy.lang.da.stop_words import STOP_WORDS

        return frozenset(STOP_WORDS)
    path = Path(spec.origin).parent / "lang" / "da" / "stop_words.py"
    module_spec = importlib.util.spec_from_file_location("_samskab_da_stop_words", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


class LemmaCache:
    """lower-cased token -> lemma, memoised (Danish vocabulary is long-tailed but repeats)."""

    def __init__(self) -> None:
        self._forms = lemma_forms()
        # function words are left as they are: the table maps e.g. "med" -> "mede"
        self._cache: dict[str, str] = {w: w for w in danish_stop_words()}

    def __call__(self, lower: str) -> str:
        lemma = self._cache.get(lower)
        if lemma is None:
            found = self._forms.get(lower)
            lemma = found.lower() if isinstance(found, str) else lower
            if len(self._cache) < 2_000_000:
                self._cache[lower] = lemma
        return lemma


def _register_component() -> None:
    from spacy.language import Language

    if Language.has_factory(LEMMA_COMPONENT):
        return

    @Language.factory(LEMMA_COMPONENT)
    def _make(nlp, name):  # noqa: ANN001 - spaCy factory signature
        cache = LemmaCache()

        def component(doc):
            for token in doc:
                token.lemma_ = cache(token.lower_)
            return doc

        return component


@functools.lru_cache(maxsize=4)
def get_nlp(pipeline: str = "blank", lowercase_lemmas: bool = True):
    """Build (once per process) the Danish pipeline described by the config."""
    import spacy

    if pipeline == "blank":
        nlp = spacy.blank("da")
        if lowercase_lemmas:
            _register_component()
            nlp.add_pipe(LEMMA_COMPONENT)
        else:
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
        nlp.add_pipe("sentencizer")
        return nlp
    try:
        nlp = spacy.load(pipeline, exclude=["ner"])
    except OSError as e:
        raise ConfigError(path="nlp.pipeline", detail=f"spaCy pipeline {pipeline!r} is not installed ({e}); use 'blank' or install it") from e
    if "senter" not in nlp.pipe_names and "parser" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    return nlp


class Analyser:
    """Tokenise + lemmatise + sentence-split texts in batches, returning plain data.

    Returning lists of strings (not Docs) keeps worker processes cheap to talk to.
    """

    def __init__(self, pipeline: str = "blank", lowercase_lemmas: bool = True, batch_size: int = 256) -> None:
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.nlp = get_nlp(pipeline, lowercase_lemmas)
        self._fast = pipeline == "blank"
        self._lemma = LemmaCache() if self._fast else None
        if self._fast:
            self._sentencizer = self.nlp.get_pipe("sentencizer")
            self._punct_chars = frozenset(self._sentencizer.punct_chars)
            self._orth_info: dict[int, tuple[int, bool, bool]] = {}
            self._lemma_by_hash: dict[int, str] = {}

    def _fast_analysis(self, doc) -> Analysis:  # noqa: ANN001
        """Sentencizer rule + lemma lookup over ``doc.to_array`` (see ``analyse``)."""
        from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LOWER, ORTH

        if len(doc) == 0:
            return Analysis([], [], [])
        strings = doc.vocab.strings
        info, by_hash, punct_chars, lemma = self._orth_info, self._lemma_by_hash, self._punct_chars, self._lemma
        lemmas: list[str] = []
        token_sent: list[int] = []
        sentences: list[tuple[int, int]] = []
        rows = doc.to_array([LOWER, ORTH, IS_PUNCT, IS_SPACE, IDX]).tolist()
        sent, sent_start, last_end, seen_period = 0, rows[0][4], 0, False
        for lower, orth, is_punct, is_space, idx in rows:
            inf = info.get(orth)
            if inf is None:
                text = strings[orth]
                inf = info[orth] = (len(text), text in punct_chars, text == "§")
            length, in_punct_chars, is_section_sign = inf
            if seen_period and not is_punct and not in_punct_chars:
                sentences.append((sent_start, last_end))
                sent, sent_start, seen_period = sent + 1, idx, False
            elif in_punct_chars:
                seen_period = True
            last_end = idx + length
            if is_space or (is_punct and not is_section_sign):
                continue
            lem = by_hash.get(lower)
            if lem is None:
                lem = by_hash[lower] = lemma(strings[lower])
            lemmas.append(lem)
            token_sent.append(sent)
        sentences.append((sent_start, last_end))
        return Analysis(lemmas, token_sent, sentences)

    def _slow_analysis(self, doc) -> Analysis:  # noqa: ANN001
        """Reference implementation with spaCy's own sentencizer (used by the tests)."""
        doc = self._sentencizer(doc)
        return _to_analysis(doc, lambda t: self._lemma(t.lower_))

    def docs(self, texts: Iterable[str]) -> Iterator:
        """spaCy Docs with sentences and lower-cased lemmas set (for the Matcher)."""
        if self._fast:
            lemma = self._lemma
            for doc in self.nlp.tokenizer.pipe(texts, batch_size=self.batch_size):
                doc = self._sentencizer(doc)
                for token in doc:
                    token.lemma_ = lemma(token.lower_)
                yield doc
        else:
            yield from self.nlp.pipe(texts, batch_size=self.batch_size)

    def analyse(self, texts: Iterable[str]) -> Iterator[Analysis]:
        if self._fast:
            # tokenizer only; the sentencizer's rule and the lemma lookup run in one pass
            # over the token arrays (same result as the components, without creating a
            # Token object per word: this loop is the featuriser's hot path)
            for doc in self.nlp.tokenizer.pipe(texts, batch_size=self.batch_size):
                yield self._fast_analysis(doc)
        else:
            for doc in self.nlp.pipe(texts, batch_size=self.batch_size):
                yield analysis_of(doc)

    def lemma_texts(self, texts: Iterable[str]) -> list[str]:
        return [a.lemma_text for a in self.analyse(texts)]


def analysis_of(doc) -> Analysis:  # noqa: ANN001
    """Analysis of a Doc whose tokens already carry lemmas."""
    return _to_analysis(doc, lambda t: t.lemma_.lower())


def _to_analysis(doc, lemma_of) -> Analysis:  # noqa: ANN001
    lemmas: list[str] = []
    token_sent: list[int] = []
    sentences: list[tuple[int, int]] = []
    for i, sent in enumerate(doc.sents):
        sentences.append((sent.start_char, sent.end_char))
        for token in sent:
            if token.is_space or (token.is_punct and token.text != "§"):
                continue
            lemmas.append(lemma_of(token))
            token_sent.append(i)
    return Analysis(lemmas, token_sent, sentences)


@functools.lru_cache(maxsize=1)
def _default_analyser() -> Analyser:
    return Analyser()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (spaCy sentencizer, Danish rules)."""
    return next(_default_analyser().analyse([text])).sentences
