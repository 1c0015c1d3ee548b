"""KNIME Text Processing's Document cell (org.knime.ext.textprocessing.data): a document of
sections (title, full text) made of paragraphs, sentences and terms, each term one or more words
with the whitespace that followed them, plus its tags; and the meta data (type, authors, sources,
categories, publication date). Cells are immutable and picklable; a column of them has the
column type "Document" (`DOCUMENT`).

Also here: the word tokenizers the Strings To Document node offers (OpenNLP's SimpleTokenizer
and WhitespaceTokenizer exactly, every other one approximated by the SimpleTokenizer), the
sentence splitting (a rule-based stand-in for OpenNLP's English sentence detector) and the
term printout KNIME shows and knitflow keeps in term columns (`Term.toString`: `text[TAG(TYPE)]`).
"""

from __future__ import annotations

import re
import uuid as uuid_module
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

DOCUMENT = "Document"

# SectionAnnotation values (org.knime.ext.textprocessing.data.SectionAnnotation)
TITLE = "Title"
UNKNOWN_SECTION = "Unknown"

# the tokenizer names KNIME's TokenizerFactoryRegistry knows and knitflow reproduces exactly
SIMPLE_TOKENIZER = "OpenNLP SimpleTokenizer"
WHITESPACE_TOKENIZER = "OpenNLP WhitespaceTokenizer"
DEFAULT_TOKENIZER = "OpenNLP English WordTokenizer"  # TextprocessingPreferenceInitializer's default
EXACT_TOKENIZERS = (SIMPLE_TOKENIZER, WHITESPACE_TOKENIZER)

_NAMESPACE = uuid_module.UUID("6b1e2f9c-6a8e-4b53-9a57-2f3c1d1e0a11")


class Word:
    """A word and the whitespace that followed it in the text; words are equal when their text
    is (Word.equals ignores the whitespace suffix)."""

    __slots__ = ("suffix", "text")

    def __init__(self, text: str, suffix: str = " ") -> None:
        self.text = text
        self.suffix = suffix

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Word) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __reduce__(self) -> tuple[type[Word], tuple[str, str]]:
        return Word, (self.text, self.suffix)

    def __repr__(self) -> str:
        return f"Word({self.text!r}, {self.suffix!r})"


class Term:
    """A term: its words, its tags as (value, type) pairs and the unmodifiable flag
    (Term.equals compares all three, the words by their text)."""

    __slots__ = ("tags", "unmodifiable", "words")

    def __init__(
        self, words: tuple[Word, ...], tags: tuple[tuple[str, str], ...] = (), unmodifiable: bool = False
    ):
        self.words = words
        self.tags = tags
        self.unmodifiable = unmodifiable

    @property
    def text(self) -> str:
        """TextContainers.getText: each word with its whitespace, the last one without."""
        if not self.words:
            return ""
        return "".join(w.text + w.suffix for w in self.words[:-1]) + self.words[-1].text

    def __str__(self) -> str:
        """Term.toString, the text KNIME shows for a term cell: `text[VALUE(TYPE) VALUE(TYPE)]`."""
        return self.text.strip() + "[" + " ".join(f"{v}({t})" for v, t in self.tags) + "]"

    def with_words(self, words: tuple[Word, ...]) -> Term:
        return Term(words, self.tags, self.unmodifiable)

    def map_words(self, convert: Callable[[str], str]) -> Term:
        """The term with each word's text converted, whitespace kept (what KNIME's case converter,
        punctuation erasure and stemmers do word by word)."""
        return self.with_words(tuple(Word(convert(w.text), w.suffix) for w in self.words))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Term)
            and other.words == self.words
            and other.tags == self.tags
            and other.unmodifiable == self.unmodifiable
        )

    def __hash__(self) -> int:
        return hash((self.words, self.tags, self.unmodifiable))

    def __reduce__(self) -> tuple[type[Term], tuple[Any, ...]]:
        return Term, (self.words, self.tags, self.unmodifiable)

    def __repr__(self) -> str:
        return f"Term({str(self)!r})"


Sentence = tuple[Term, ...]
Paragraph = tuple[Sentence, ...]


class Section:
    """A section (title, abstract, chapter, ...): its annotation and paragraphs."""

    __slots__ = ("annotation", "paragraphs")

    def __init__(self, paragraphs: tuple[Paragraph, ...], annotation: str = UNKNOWN_SECTION) -> None:
        self.paragraphs = paragraphs
        self.annotation = annotation

    def terms(self) -> Iterator[Term]:
        for paragraph in self.paragraphs:
            for sentence in paragraph:
                yield from sentence

    @property
    def text(self) -> str:
        """The section's text as its words and whitespace give it back, trailing whitespace cut."""
        return "".join(w.text + w.suffix for t in self.terms() for w in t.words).rstrip()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Section)
            and other.annotation == self.annotation
            and other.paragraphs == self.paragraphs
        )

    def __hash__(self) -> int:
        return hash((self.annotation, self.paragraphs))

    def __reduce__(self) -> tuple[type[Section], tuple[Any, ...]]:
        return Section, (self.paragraphs, self.annotation)


class Document:
    """A document cell. Equal documents have equal sections and meta data (Document.equals);
    `uuid` tells documents apart that are equal in content (Document.getUUID, what the DF node
    counts) and is left out of equality."""

    __slots__ = ("_hash", "authors", "categories", "doc_type", "pub_date", "sections", "sources", "uuid")

    def __init__(
        self,
        sections: tuple[Section, ...],
        *,
        doc_type: str = "UNKNOWN",
        authors: tuple[tuple[str, str], ...] = (),
        sources: tuple[str, ...] = (),
        categories: tuple[str, ...] = (),
        pub_date: date | None = None,
        uuid: str = "",
    ) -> None:
        self.sections = sections
        self.doc_type = doc_type
        self.authors = authors
        self.sources = sources
        self.categories = categories
        self.pub_date = pub_date
        self.uuid = uuid or str(uuid_module.uuid4())
        self._hash: int | None = None

    @property
    def title(self) -> str:
        """Document.getTitle: the text of the title sections, joined by a blank."""
        return " ".join(s.text for s in self.sections if s.annotation == TITLE)

    @property
    def text(self) -> str:
        """Document.getText: the text of all sections, joined by a blank."""
        return " ".join(s.text for s in self.sections)

    def terms(self) -> Iterator[Term]:
        """Every term of every sentence, in document order (title first)."""
        for section in self.sections:
            yield from section.terms()

    def with_sections(self, sections: tuple[Section, ...]) -> Document:
        """A document with other text and the same meta data and identity (DocumentBuilder(doc))."""
        return Document(
            sections,
            doc_type=self.doc_type,
            authors=self.authors,
            sources=self.sources,
            categories=self.categories,
            pub_date=self.pub_date,
            uuid=self.uuid,
        )

    def _content(self) -> tuple[Any, ...]:
        return (self.sections, self.doc_type, self.authors, self.sources, self.categories, self.pub_date)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, Document) and hash(other) == hash(self) and other._content() == self._content()
        )

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self._content())
        return self._hash

    def __reduce__(self) -> tuple[Callable[..., Document], tuple[Any, ...]]:
        return _restore, (
            self.sections,
            self.doc_type,
            self.authors,
            self.sources,
            self.categories,
            self.pub_date,
            self.uuid,
        )

    def __str__(self) -> str:
        return self.title

    def __repr__(self) -> str:
        return f"Document({self.title!r})"


def _restore(
    sections: tuple[Section, ...],
    doc_type: str,
    authors: tuple[tuple[str, str], ...],
    sources: tuple[str, ...],
    categories: tuple[str, ...],
    pub_date: date | None,
    uuid: str,
) -> Document:
    return Document(
        sections,
        doc_type=doc_type,
        authors=authors,
        sources=sources,
        categories=categories,
        pub_date=pub_date,
        uuid=uuid,
    )


def document_uuid(*parts: str) -> str:
    """A document identity derived from where it was made (row and text), so a run is repeatable."""
    return str(uuid_module.uuid5(_NAMESPACE, "\x00".join(parts)))


# ------------------------------------------------------------------------------------ tokenizing

_ALPHA, _DIGIT, _SPACE, _OTHER = range(4)


def _char_class(ch: str) -> int:
    if ch.isspace():
        return _SPACE
    if ch.isalpha():
        return _ALPHA
    if ch.isdecimal():
        return _DIGIT
    return _OTHER


def simple_spans(text: str) -> list[tuple[int, int]]:
    """opennlp.tools.tokenize.SimpleTokenizer: a token is a run of letters, a run of digits or a
    run of one and the same other character; whitespace separates."""
    spans: list[tuple[int, int]] = []
    start, state, previous = 0, _SPACE, ""
    for i, ch in enumerate(text):
        kind = _char_class(ch)
        if state == _SPACE:
            start = i
        elif kind != state or (kind == _OTHER and ch != previous):
            spans.append((start, i))
            start = i
        state, previous = kind, ch
    if state != _SPACE and text:
        spans.append((start, len(text)))
    return spans


def whitespace_spans(text: str) -> list[tuple[int, int]]:
    """opennlp.tools.tokenize.WhitespaceTokenizer: the runs of non-whitespace characters."""
    return [m.span() for m in re.finditer(r"\S+", text)]


def token_spans(text: str, tokenizer: str) -> list[tuple[int, int]]:
    return whitespace_spans(text) if tokenizer == WHITESPACE_TOKENIZER else simple_spans(text)


def _sentence_ends(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Indices (into `spans`) of the tokens that end a sentence: a run of . ! or ? followed by
    whitespace or the end of the text (a rule-based stand-in for OpenNLP's sentence detector)."""
    ends = []
    for i, (start, end) in enumerate(spans):
        token = text[start:end]
        if token and set(token) <= {".", "!", "?"} and (end == len(text) or text[end].isspace()):
            ends.append(i)
    if spans and (not ends or ends[-1] != len(spans) - 1):
        ends.append(len(spans) - 1)
    return ends


def tokenize_section(
    text: str, tokenizer: str, annotation: str, *, one_sentence: bool = False
) -> Section | None:
    """DocumentBuilder.addSection / addTitle: the text split into sentences and words, each word
    keeping the whitespace that follows it; None for an empty text (no section is added)."""
    if not text:
        return None
    spans = token_spans(text, tokenizer)
    if not spans:
        return None
    ends = [len(spans) - 1] if one_sentence else _sentence_ends(text, spans)
    words = [
        Word(text[start:end], text[end : spans[i + 1][0]] if i + 1 < len(spans) else text[end:])
        for i, (start, end) in enumerate(spans)
    ]
    sentences: list[Sentence] = []
    first = 0
    for last in ends:
        sentences.append(tuple(Term((w,)) for w in words[first : last + 1]))
        first = last + 1
    return Section((tuple(sentences),), annotation)


# ---------------------------------------------------------------------------------------- terms

# Term.toString: the text, then the tags as VALUE(TYPE) separated by blanks, in brackets
_TAG = r"[^\s()\[\]]+\([^\s()\[\]]+\)"
TERM_STRING = re.compile(rf"(?s)(.*)\[((?:{_TAG}(?: {_TAG})*)?)\]")
_TAG_PARTS = re.compile(r"([^\s()\[\]]+)\(([^\s()\[\]]+)\)")


def is_term_string(value: Any) -> bool:
    return isinstance(value, str) and TERM_STRING.fullmatch(value) is not None


def term_text(term_string: str) -> str:
    """The text of a term printed as KNIME prints it (the part before its tags)."""
    m = TERM_STRING.fullmatch(term_string)
    return m[1] if m else term_string


def term_tags(term_string: str) -> tuple[tuple[str, str], ...]:
    m = TERM_STRING.fullmatch(term_string)
    return tuple((v, t) for v, t in _TAG_PARTS.findall(m[2])) if m else ()


# ---------------------------------------------------------------------------------- preprocessing


def preprocess_document(
    doc: Document, convert: Callable[[Term], Term | None], preprocess_unmodifiable: bool
) -> Document:
    """PreprocessingCellFactory.preprocessDocument: `convert` each term (unmodifiable ones only
    when asked to); a term that becomes None or empty is dropped, the whitespace of an emptied
    term going to the term before it; sentences, paragraphs and sections left empty vanish."""
    sections = []
    for section in doc.sections:
        paragraphs = []
        for paragraph in section.paragraphs:
            sentences = [
                kept
                for sentence in paragraph
                if (kept := _preprocess_sentence(sentence, convert, preprocess_unmodifiable))
            ]
            if sentences:
                paragraphs.append(tuple(sentences))
        if paragraphs:
            sections.append(Section(tuple(paragraphs), section.annotation))
    return doc.with_sections(tuple(sections))


def _preprocess_sentence(
    sentence: Sentence, convert: Callable[[Term], Term | None], preprocess_unmodifiable: bool
) -> Sentence:
    kept: list[Term] = []
    previous: Term | None = None
    for original in sentence:
        term: Term | None = original
        if not original.unmodifiable or preprocess_unmodifiable:
            term = convert(original)
        if term is not None and term.text == "" and previous is not None and term.words and previous.words:
            last = previous.words[-1]
            moved = Word(last.text, last.suffix + term.words[-1].suffix)
            previous = previous.with_words(previous.words[:-1] + (moved,))
        if previous is not None and previous.text:
            kept.append(previous)
        previous = term
    if previous is not None and previous.text:
        kept.append(previous)
    return tuple(kept)
