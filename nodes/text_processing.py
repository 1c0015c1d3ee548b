"""KNIME Text Processing (org.knime.ext.textprocessing): Strings To Document, the preprocessing
nodes on a Document column, Bag Of Words Creator, TF / IDF / DF, Document Vector, Term Vector and
Category To Class.

Documents are `nodes._documents.Document` cells (column type "Document"). Term columns hold the
term as KNIME prints it (`text[TAG(TYPE)]`, `word[]` for an untagged term) as a String column;
the frequency and vector nodes find the term column as KNIME does, as the one column of terms.

Word tokenization: KNIME's default word tokenizer is OpenNLP's English maxent model, which
knitflow cannot reproduce; knitflow tokenizes as OpenNLP's SimpleTokenizer does (a letter run, a
digit run or a run of one other character is a token), which KNIME offers as "OpenNLP
SimpleTokenizer", and splits at whitespace for "OpenNLP WhitespaceTokenizer". Any other tokenizer
is approximated by the SimpleTokenizer (the import says so), e.g. "don't" gives don ' t where the
English model gives do n't, and 3.5 gives 3 . 5. Sentences end after . ! or ? followed by
whitespace (OpenNLP's sentence model is not reproduced either; only sentence boundaries differ).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    MODEL,
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Model,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, key_name
from nodes._common import ColumnFilter as _ColumnFilter
from nodes._documents import (
    DEFAULT_TOKENIZER,
    DOCUMENT,
    EXACT_TOKENIZERS,
    TITLE,
    UNKNOWN_SECTION,
    Document,
    Term,
    document_uuid,
    is_term_string,
    preprocess_document,
    term_text,
    tokenize_section,
)
from nodes._rows import is_missing
from nodes._string_functions import JavaError, java_regex

_PACKAGE = "org.knime.ext.textprocessing.nodes."
_STRING = ColumnType.STRING


def _is_document(value: Any) -> bool:
    return isinstance(value, Document)


def _values(table: Table, column: str) -> list[Any]:
    return list(table.df[column].to_numpy(dtype=object))


def _string_column(spec: TableSpec, name: str, cls: type[NodeError], setting: str) -> None:
    col = spec.get(name)
    if col is None or col.type != _STRING:
        raise cls(
            f"Column '{name}' does not exist in input table or does not contain a String value.",
            setting=setting,
        )


def _document_columns(spec: TableSpec) -> list[str]:
    return [c.name for c in spec.columns if c.type == DOCUMENT]


def _need_document_column(spec: TableSpec, name: str | None, cls: type[NodeError], setting: str) -> str:
    """DataTableSpecVerifier.verifyMinimumDocumentCells(1) and the chosen column's check."""
    if not _document_columns(spec):
        raise cls("There have to be at least 1 columns containing documents!", setting=setting)
    col = spec.get(name or "")
    if col is None or col.type != DOCUMENT:
        raise cls(
            f'Selected document column "{name or ""}" could not be found in the input data table.',
            setting=setting,
        )
    return col.name


def _take_keys(knime: KnimeSettings, keys: tuple[str, ...]) -> None:
    """The given keys as they are, a null string as ""."""
    knime.take_all(list(keys))
    for key in keys:
        if key in knime.tree and knime.tree[key] is None:
            knime.put(key_name(key), "", key)


def _keys_mapping(factory: str, name: str, keys: tuple[str, ...]) -> tuple[KnimeMapping]:
    """A KNIME factory (below the text processing package) whose settings are the given keys, taken
    as they are; any other key is reported."""

    def translate(knime: KnimeSettings) -> None:
        _take_keys(knime, keys)
        knime.unread()

    return (KnimeMapping(_PACKAGE + factory, name, translate),)


# ----------------------------------------------------------------------------- Strings To Document

_DOCUMENT_TYPES = ("UNKNOWN", "BOOK", "PROCEEDINGS", "JOURNAL", "TRANSACTION")


class StringsToDocumentSettings(NodeSettings):
    """KNIME's StringsToDocumentConfigKeys2 (Strings To Document, 3.5 on)."""

    useTitleColumn: bool = Field(True, description="Title from `TitleCol` (else the RowID is the title).")
    TitleCol: str = Field(
        "", description="The String column holding the titles.", json_schema_extra=widget("column")
    )
    TextCol: str = Field(
        "", description="The String column holding the full texts.", json_schema_extra=widget("column")
    )
    useAuthorsColumn: bool = Field(True, description="Authors from `AuthorsCol`.")
    AuthorsCol: str = Field(
        "", description="The String column holding the author names.", json_schema_extra=widget("column")
    )
    AuthorSplitChar: str = Field(", ", description="Separates the author names (a Java regular expression).")
    AuthorFirstName: str = Field("-", description="First name of the default author.")
    AuthorLastName: str = Field("-", description="Last name of the default author.")
    DocumentSource: str = Field("", description="Source set on every document (unless from a column).")
    UseSourceColumn: bool = Field(False, description="Sources from `SourceColumn`.")
    SourceColumn: str = Field(
        "", description="The String column holding the sources.", json_schema_extra=widget("column")
    )
    DocumentCategory: str = Field("", description="Category set on every document (unless from a column).")
    UseCategoryColumn: bool = Field(False, description="Categories from `CategoryColumn`.")
    CategoryColumn: str = Field(
        "", description="The String column holding the categories.", json_schema_extra=widget("column")
    )
    DocumentType: str = Field("UNKNOWN", description="Document type: " + ", ".join(_DOCUMENT_TYPES) + ".")
    PublicationDate: date | None = Field(
        None, description="Publication date of every document (empty: today)."
    )
    UsePubDateColumn: bool = Field(
        False, description="Publication dates from `PubdateCol` (a Local Date column)."
    )
    PubdateCol: str = Field(
        "",
        description="The Local Date column holding the publication dates.",
        json_schema_extra=widget("column"),
    )
    word_tokenizer: str = Field(
        DEFAULT_TOKENIZER,
        description="KNIME's word tokenizer name; 'OpenNLP SimpleTokenizer' and 'OpenNLP WhitespaceTokenizer' "
        "are reproduced, every other one is approximated by the SimpleTokenizer.",
    )
    document_column: str = Field("Document", description="Name of the new Document column.")


_STD_KEYS = [
    "TitleCol", "TextCol", "AuthorsCol", "AuthorSplitChar", "AuthorFirstName", "AuthorLastName",
    "DocumentSource", "DocumentCategory", "DocumentType", "UseCategoryColumn", "UseSourceColumn",
    "CategoryColumn", "SourceColumn", "useAuthorsColumn", "UsePubDateColumn", "useTitleColumn",
]  # fmt: skip


def _knime_date(value: Any) -> date | None:
    """SettingsModelDateTime (3.5 on) stores yyyy-MM-dd; the first node dd-MM-yyyy."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(str(value), fmt).date()
        except ValueError:
            continue
    return None


def _strings_to_document_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    _take_keys(knime, (*_STD_KEYS, "PubdateCol"))
    if "PublicationDate" in tree:
        parsed = _knime_date(tree["PublicationDate"])
        if parsed is None and tree["PublicationDate"]:
            knime.lost(f"publication date {tree['PublicationDate']!r} is not a date knitflow reads")
        knime.put("PublicationDate", parsed.isoformat() if parsed else None, "PublicationDate")
    _title_mode(knime)
    _tokenizer(knime)
    if "Document column" in tree:
        knime.take("document_column", "Document column")
    knime.unread("Number of threads")


def _title_mode(knime: KnimeSettings) -> None:
    """KNIME 3.5 stored the title choice as `Title mode` (Column / RowID) before `useTitleColumn`."""
    mode = knime.tree.get("Title mode")
    if mode is None:
        return
    if mode in ("Column", "RowID"):
        knime.put("useTitleColumn", mode == "Column", "Title mode")
    else:
        knime.lost(f"title mode {mode!r} has no counterpart in knitflow (Column or RowID)")
        knime.paths["Title mode"] = ""


def _tokenizer(knime: KnimeSettings) -> None:
    name = knime.tree.get("Word Tokenizer")
    if name is None:
        return
    knime.put("word_tokenizer", name, "Word Tokenizer")
    if name not in EXACT_TOKENIZERS:
        knime.note(
            f"word tokenizer {name!r} is approximated by OpenNLP's SimpleTokenizer rules: tokens (and so "
            "terms, frequencies and vectors) may differ from KNIME's"
        )


def _strings_to_document_v1_from_knime(knime: KnimeSettings) -> None:
    """The first Strings To Document: title always from a column, a dd-MM-yyyy date, the document
    column named "Document" (made unique)."""
    _strings_to_document_from_knime(knime)
    knime.put("document_column", "Document")


def java_split(text: str, separator: str) -> list[str]:
    """String.split(regex): the parts between matches, trailing empty parts dropped."""
    regex = java_regex(separator)
    parts, start = [], 0
    for m in regex.finditer(text):
        if m.end() == 0:
            continue
        if m.start() == m.end() and m.start() >= len(text):
            break
        parts.append(text[start : m.start()])
        start = m.end()
    parts.append(text[start:])
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


def _author(name: str, first: str, last: str) -> tuple[str, str]:
    names = java_split(name, " ")
    if len(names) > 1:
        first = "".join(n + " " for n in names[:-1])
        last = names[-1]
    elif len(names) == 1:
        last = names[0]
    return first.strip(), last.strip()


class StringsToDocument(Node):
    type_name = "strings_to_document"
    display_name = "Strings To Document"
    category = Category.MANIPULATOR
    description = (
        "Builds a Document cell per row from a title column (or the RowID), a full-text column, authors, "
        "source, category, type and publication date, and appends it. Words are tokenized as OpenNLP's "
        "SimpleTokenizer does (KNIME's default English maxent tokenizer is approximated by it; the "
        "WhitespaceTokenizer is reproduced); sentences end after . ! or ?."
    )
    keywords = ("text", "document", "text mining", "tokenize", "nlp", "corpus")
    knime = (
        KnimeMapping(
            _PACKAGE + "transformation.stringstodocument.StringsToDocumentNodeFactory2",
            "Strings To Document",
            _strings_to_document_from_knime,
        ),
        KnimeMapping(
            _PACKAGE + "transformation.stringstodocument.StringsToDocumentNodeFactory",
            "Strings To Document",
            _strings_to_document_v1_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table with string columns"),)
    outputs = (Port(TABLE, "The input table and a Document column"),)
    Settings = StringsToDocumentSettings

    def _check(self, spec: TableSpec, s: StringsToDocumentSettings, cls: type[NodeError]) -> None:
        if not any(c.type == _STRING for c in spec.columns):
            raise cls("There have to be at least 1 columns containing string cells!")
        for name, use, setting, what in (
            (s.TitleCol, s.useTitleColumn, "TitleCol", "title"),
            (s.AuthorsCol, s.useAuthorsColumn, "AuthorsCol", "author"),
            (s.SourceColumn, s.UseSourceColumn, "SourceColumn", "source"),
            (s.CategoryColumn, s.UseCategoryColumn, "CategoryColumn", "category"),
        ):
            if name:
                _string_column(spec, name, cls, setting)
            elif use:
                raise cls(f"Name of selected {what} column can't be empty.", setting=setting)
        if not s.TextCol:
            raise cls("Name of selected full text column can't be empty.", setting="TextCol")
        _string_column(spec, s.TextCol, cls, "TextCol")
        if s.useAuthorsColumn and not s.AuthorSplitChar.strip():
            raise cls("Seperation string cannot be empty.", setting="AuthorSplitChar")
        self._check_date(spec, s, cls)
        name = s.document_column.strip()
        if not name:
            raise cls("Can't create new column! Column name can't be empty!", setting="document_column")
        if name in spec:
            raise cls(
                f"Can't create new column '{s.document_column}' as input spec already contains such column!",
                setting="document_column",
            )

    @staticmethod
    def _check_date(spec: TableSpec, s: StringsToDocumentSettings, cls: type[NodeError]) -> None:
        if not s.PubdateCol:
            if s.UsePubDateColumn and any(c.type == ColumnType.LOCAL_DATE for c in spec.columns):
                raise cls("Name of selected publication date column can't be empty.", setting="PubdateCol")
            return
        col = spec.get(s.PubdateCol)
        if col is None or col.type != ColumnType.LOCAL_DATE:
            raise cls(
                f"Column '{s.PubdateCol}' does not exist in input table or does not contain a LocalDate value.",
                setting="PubdateCol",
            )

    def configure(
        self, in_specs: list[Any], settings: StringsToDocumentSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        self._check(spec, settings, ConfigureError)
        return [spec.append((settings.document_column.strip(), DOCUMENT))]

    def execute(self, inputs: list[Any], settings: StringsToDocumentSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self._check(table.spec, settings, NodeError)
        try:
            java_regex(settings.AuthorSplitChar)
        except (JavaError, re.error) as exc:
            raise NodeError(f"Invalid author separator: {exc}", setting="AuthorSplitChar") from None
        use_date_column = settings.UsePubDateColumn and any(
            c.type == ColumnType.LOCAL_DATE for c in table.spec.columns
        )
        builder = _DocumentBuilder(settings, use_date_column)
        used = [
            c
            for c in (settings.TitleCol, settings.TextCol, settings.AuthorsCol, settings.SourceColumn)
            + (settings.CategoryColumn, settings.PubdateCol)
            if c and c in table.spec
        ]
        rows = table.df[list(dict.fromkeys(used))].to_dict("records")
        docs = [builder.build(str(rid), row) for rid, row in zip(table.df.index, rows, strict=True)]
        df = table.df.copy(deep=False)
        df[settings.document_column.strip()] = pd.Series(docs, index=df.index, dtype=object)
        return [table.with_frame(df, {settings.document_column.strip(): DOCUMENT})]


def _cell_text(row: dict[str, Any], column: str) -> str | None:
    if not column or column not in row:
        return None
    value = row[column]
    return None if is_missing(value) else str(value)


class _DocumentBuilder:
    """StringsToDocumentCellFactory2.getCells: one document from one row."""

    def __init__(self, settings: StringsToDocumentSettings, use_date_column: bool) -> None:
        self.s = settings
        self.use_date_column = use_date_column
        self.default_date = settings.PublicationDate or date.today()

    def build(self, row_id: str, row: dict[str, Any]) -> Document:
        s = self.s
        title = (_cell_text(row, s.TitleCol) or "") if s.useTitleColumn else row_id
        text = _cell_text(row, s.TextCol) or ""
        sections = [
            section
            for section in (
                tokenize_section(title, s.word_tokenizer, TITLE, one_sentence=True),
                tokenize_section(text, s.word_tokenizer, UNKNOWN_SECTION),
            )
            if section is not None
        ]
        source = (_cell_text(row, s.SourceColumn) or "") if s.UseSourceColumn else s.DocumentSource
        category = (_cell_text(row, s.CategoryColumn) or "") if s.UseCategoryColumn else s.DocumentCategory
        return Document(
            tuple(sections),
            doc_type=s.DocumentType,
            authors=self._authors(row),
            sources=(source,) if source else (),
            categories=(category,) if category else (),
            pub_date=self._date(row),
            uuid=document_uuid(row_id, title, text),
        )

    def _authors(self, row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        s = self.s
        first, last = s.AuthorFirstName, s.AuthorLastName
        default = ((first, last),) if first or last else ()
        if not s.useAuthorsColumn:
            return default
        names = _cell_text(row, s.AuthorsCol)
        if names is None:
            return default
        authors = [_author(a, first, last) for a in java_split(names, s.AuthorSplitChar)]
        return tuple(dict.fromkeys(authors))

    def _date(self, row: dict[str, Any]) -> date | None:
        if not self.use_date_column:
            return self.default_date
        value = row.get(self.s.PubdateCol)
        return None if is_missing(value) else value


# ------------------------------------------------------------------------------------ preprocessing


class _PreprocessingSettings(NodeSettings):
    """KNIME's PreprocessingConfigKeys2, common to the preprocessing nodes (3.1 on)."""

    document_column: str = Field(
        "",
        description="The Document column to preprocess (empty: guessed).",
        json_schema_extra=widget("column"),
    )
    replace_document: bool = Field(False, description="Replace the document column (else append a new one).")
    new_document_column_name: str = Field(
        "Preprocessed Document", description="Name of the appended document column."
    )
    preprocess_unmodifiable: bool = Field(
        False, description="Preprocess terms flagged unmodifiable too (KNIME's 'Ignore unmodifiable flag')."
    )


_PREPRO_KEYS = {
    "document_column": "Document Column",
    "replace_document": "Replace Document",
    "new_document_column_name": "New Document Column Name",
    "preprocess_unmodifiable": "Preprocess Unmodifiable",
}


def _preprocessing_mapping(
    factory: str,
    name: str,
    own: dict[str, str] | None = None,
    extra: Callable[[KnimeSettings], None] | None = None,
) -> tuple[KnimeMapping]:
    """A preprocessing node's KNIME factory (below `preprocessing.`), read as the framework's four
    keys plus the node's own ({setting: KNIME key}) and whatever `extra` reads."""

    def translate(knime: KnimeSettings) -> None:
        for setting, key in {**_PREPRO_KEYS, **(own or {})}.items():
            if key in knime.tree:
                knime.take(setting, key)
        if extra is not None:
            extra(knime)
        knime.unread()

    return (KnimeMapping(_PACKAGE + "preprocessing." + factory, name, translate),)


class _Preprocessing(Node):
    """StreamableFunctionPreprocessingNodeModel: each document of the chosen column rebuilt from
    its preprocessed terms, replacing the column or appended as a new one."""

    category = Category.MANIPULATOR
    inputs = (Port(TABLE, "Table with a Document column"),)
    outputs = (Port(TABLE, "Table with the preprocessed documents"),)

    def converter(self, settings: Any, ctx: NodeContext) -> Callable[[Term], Term | None]:
        raise NotImplementedError

    def check(self, spec: TableSpec, settings: Any, cls: type[NodeError]) -> None:
        """Checks of the node's own settings."""

    @staticmethod
    def _columns(spec: TableSpec, s: _PreprocessingSettings, cls: type[NodeError]) -> tuple[str, str]:
        """(document column, output column), guessing as KNIME does when no column is chosen."""
        docs = _document_columns(spec)
        if not docs:
            raise cls("There have to be at least 1 columns containing documents!", setting="document_column")
        column, replace, new_name = s.document_column, s.replace_document, s.new_document_column_name
        if not column:
            replace = len(docs) > 1
            column = docs[0] if len(docs) == 1 else "Preprocessed Document"
            new_name = "Preprocessed Document"
        if spec.get(column) is None:
            raise cls(
                f'Selected document column "{column}" could not be found in the input data table.',
                setting="document_column",
            )
        if replace:
            return column, column
        if new_name in spec:
            raise cls(
                f'Can\'t create new column "{new_name}" as input spec already contains such column!',
                setting="new_document_column_name",
            )
        return column, new_name

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        source, target = self._columns(spec, settings, ConfigureError)
        self.check(spec, settings, ConfigureError)
        return [spec.replace(target, DOCUMENT) if source == target else spec.append((target, DOCUMENT))]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        source, target = self._columns(table.spec, settings, NodeError)
        self.check(table.spec, settings, NodeError)
        convert = self.converter(settings, ctx)
        done: dict[int, Any] = {}  # one document repeated (a bag of words) is preprocessed once
        out: list[Document | None] = []
        for value in _values(table, source):
            if not _is_document(value):
                out.append(None)
                continue
            if id(value) not in done:
                done[id(value)] = preprocess_document(value, convert, settings.preprocess_unmodifiable)
            out.append(done[id(value)])
        df = table.df.copy(deep=False)
        df[target] = pd.Series(out, index=df.index, dtype=object)
        return [table.with_frame(df, {target: DOCUMENT})]


class CaseConverterSettings(_PreprocessingSettings):
    Case: Literal["Lower case", "Upper case"] = Field(
        "Lower case", description="The case to convert terms to."
    )


class CaseConverter(_Preprocessing):
    type_name = "case_converter"
    display_name = "Case Converter"
    description = "Converts every term of the documents to lower or upper case."
    keywords = ("text", "lower case", "upper case", "preprocessing", "normalize")
    knime = _preprocessing_mapping(
        "caseconverter.CaseConverterNodeFactory2", "Case Converter", {"Case": "Case"}
    )
    Settings = CaseConverterSettings

    def converter(self, settings: CaseConverterSettings, ctx: NodeContext) -> Callable[[Term], Term | None]:
        convert = str.lower if settings.Case == "Lower case" else str.upper
        return lambda term: term.map_words(convert)


# PunctuationErasure.punctMarks: the ASCII punctuation marks except the hyphen
_PUNCTUATION = re.compile(r"[!#$%&'\"()*+,./\\:;<=>?@^_`{|}~\[\]]+")


class PunctuationErasure(_Preprocessing):
    type_name = "punctuation_erasure"
    display_name = "Punctuation Erasure"
    description = (
        "Removes the punctuation marks !#$%&'\"()*+,./\\:;<=>?@^_`{|}~[] from every term (the hyphen stays); "
        "terms left empty are dropped."
    )
    keywords = ("text", "punctuation", "preprocessing", "clean")
    knime = _preprocessing_mapping("puncterasure.PunctuationErasureNodeFactory2", "Punctuation Erasure")
    Settings = _PreprocessingSettings

    def converter(self, settings: _PreprocessingSettings, ctx: NodeContext) -> Callable[[Term], Term | None]:
        return lambda term: term.map_words(lambda w: _PUNCTUATION.sub("", w))


class NCharsFilterSettings(_PreprocessingSettings):
    n: int = Field(3, ge=1, description="Terms with fewer characters are removed.")


class NCharsFilter(_Preprocessing):
    type_name = "n_chars_filter"
    display_name = "N Chars Filter"
    description = "Removes the terms with fewer than N characters."
    keywords = ("text", "short words", "preprocessing", "filter")
    knime = _preprocessing_mapping("ncharsfilter.NCharsFilterNodeFactory2", "N Chars Filter", {"n": "n"})
    Settings = NCharsFilterSettings

    def converter(self, settings: NCharsFilterSettings, ctx: NodeContext) -> Callable[[Term], Term | None]:
        n = settings.n
        return lambda term: term if len(term.text) >= n else None


_NUMBER = re.compile(r"^[-+]?(?:\d*[.,]{1}\d+|\d)+", re.ASCII)
_HAS_DIGIT = re.compile(r".*\d+.*", re.ASCII)


class NumberFilterSettings(_PreprocessingSettings):
    filteringMode: Literal["Filter terms representing numbers", "Filter terms containing numbers"] = Field(
        "Filter terms representing numbers",
        description="Remove the terms that are numbers (digits, . and , with a leading + or -), or any term "
        "holding a digit.",
    )


class NumberFilter(_Preprocessing):
    type_name = "number_filter"
    display_name = "Number Filter"
    description = (
        "Removes the terms that represent numbers (e.g. 12, -3.5, 1,000), or all terms containing a digit."
    )
    keywords = ("text", "numbers", "digits", "preprocessing", "filter")
    knime = _preprocessing_mapping(
        "numberfilter.NumberFilterNodeFactory2", "Number Filter", {"filteringMode": "filteringMode"}
    )
    Settings = NumberFilterSettings

    def converter(self, settings: NumberFilterSettings, ctx: NodeContext) -> Callable[[Term], Term | None]:
        regex = _HAS_DIGIT if settings.filteringMode == "Filter terms containing numbers" else _NUMBER
        return lambda term: term if regex.sub("", term.text) else None


# org.knime.ext.textprocessing/resources/stopwordlists/English-Stopwords.txt (KNIME's built-in
# English list, as read by BuildInStopwordListFactory; "down", "high", "new" and "right" appear
# twice in the file)
ENGLISH_STOP_WORDS = frozenset(
    """
a about above across after again against all almost alone along already also although always among an
and another any anybody anyone anything anywhere are area areas around as ask asked asking asks at away
b back backed backing backs be became because become becomes been before began behind being beings best
better between big both but by c came can cannot case cases certain certainly clear clearly come could d
did differ different differently do does done down downed downing downs during e each early either end
ended ending ends enough even evenly ever every everybody everyone everything everywhere f face faces
fact facts far felt few find finds first for four from full fully further furthered furthering furthers
g gave general generally get gets give given gives go going good goods got great greater greatest group
grouped grouping groups h had has have having he her here herself high higher highest him himself his
how however i if important in interest interested interesting interests into is it its itself j just k
keep keeps kind knew know known knows l large largely last later latest least less let lets like likely
long longer longest m made make making man many may me member members men might more most mostly mr mrs
much must my myself n necessary need needed needing needs never new newer newest next no nobody non
noone not nothing now nowhere number numbers o of off often old older oldest on once one only open
opened opening opens or order ordered ordering orders other others our out over p part parted parting
parts per perhaps place places point pointed pointing points possible present presented presenting
presents problem problems put puts q quite r rather really right room rooms s said same saw say says
second seconds see seem seemed seeming seems sees several shall she should show showed showing shows
side sides since small smaller smallest so some somebody someone something somewhere state states still
such sure t take taken than that the their them then there therefore these they thing things think
thinks this those though thought thoughts three through thus to today together too took toward turn
turned turning turns two u under until up upon us use used uses v very w want wanted wanting wants was
way ways we well wells went were what when where whether which while who whole whose why will with
within without work worked working works would x y year years yet you young younger youngest your yours
z
""".split()
)

# org.knime.ext.textprocessing/resources/stopwordlists/German-Stopwords.txt (KNIME's built-in German list)
GERMAN_STOP_WORDS = frozenset(
    """
ab aber aehnlich ähnlich alle allein allem aller alles allg allgemein als also am an and andere anderen
anderes auch auf aus außer author autor been bei beim bereits besonders bevor bietet bin bis bist böden
boeden bzw da dabei dadurch dafuer daher damit dann daran darauf daraus darum das dass davon davor dazu
dein deine dem den denen denn dennoch der derem deren des deshalb dessen die dies diese diesem diesen
dieser dieses dinge doch dort du dunklen durch eben eher eigenen eigenes ein eine einem einen einer eines
einfach einig einige er erst erste erster es etc etwa etwas euer eure fall finden for für ganz ganze
ganzem ganzen ganzer ganzes gar geben gegen geht gibt gleich gute guten habe haben hat hatte hatten
hattest hattet hier hinter ich ihm ihr ihre ihrem ihren ihrer ihres im immer in information ist ja je
jede jedem jeden jeder jedes jedoch jene jenem jenen jener jenes jetzt kann kannst kein keine keinem
keinen keiner keines koennen koennt kommen kommt können könnt langsam lassen leicht leider lichten machen
man mehr mehrere mein meine meist mich mit möchte moechte moeglich möglich müssen müßt muss musst nach
nachdem natürlich neben nein neu neue neuem neuen neuer neues nicht nichts noch nun nur nutzung ob oder
off ohne online per schnell schon schwierig sehen sehr sehrwohl seid sein seine seinem seinen seiner
seines seit seite seiten selber selbst sich sie sind so sodaß solch solche solchem solchen solcher
solches soll sollen sollst sollt sollte sollten solltest sonst soviel soweit sowie sowohl spielen statt
steht suchen über um und uns unser unsere unseren unseres unter version viel viele vieles vom von vor
wachen wann war warum was weiter weitere welche welchem welchen welcher welches wenig wenige weniger wenn
wer werde werden werdet weshalb wie wieder wieso wieviel wir wird wirklich wirst wo woher wohin wohl
wurde wurden zu zum zur zwischen fur
""".split()
)

BUILT_IN_STOP_WORDS = {"English": ENGLISH_STOP_WORDS, "German": GERMAN_STOP_WORDS}


class StopWordFilterSettings(_PreprocessingSettings):
    use_built_in_list: bool = Field(
        True, description="Use a built-in stop word list (else `stop_word_file`)."
    )
    built_in_list: str = Field(
        "English", description="Built-in list: " + ", ".join(BUILT_IN_STOP_WORDS) + "."
    )
    stop_word_file: str = Field(
        "", description="A text file with one stop word per line.", json_schema_extra=widget("file")
    )
    case_sensitive: bool = Field(False, description="Compare terms and stop words case sensitively.")


def _stop_word_translate(knime: KnimeSettings) -> None:
    listed = knime.tree.get("Built-in list")
    if knime.tree.get("Use built-in list", True):
        if listed is not None and listed not in BUILT_IN_STOP_WORDS:
            knime.lost(f"built-in stop word list {listed!r} is not known to knitflow")
        knime.put("stop_word_file", "", "Stop word file")  # not used; KNIME keeps whatever was typed


def _stop_word_file(path: str) -> Path:
    """The stop word file, also as a file: URL (files dropped into KNIME come as URLs)."""
    parsed = urlparse(path)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(path)


class StopWordFilter(_Preprocessing):
    type_name = "stop_word_filter"
    display_name = "Stop Word Filter"
    description = (
        "Removes the terms that are stop words: of KNIME's built-in English or German list, or of a file with "
        "one word per line; case insensitive unless asked otherwise."
    )
    keywords = ("text", "stop words", "stopwords", "preprocessing", "filter")
    knime = _preprocessing_mapping(
        "stopwordfilter.StopWordFilterNodeFactory2",
        "Stop Word Filter",
        {
            "stop_word_file": "Stop word file",
            "case_sensitive": "Case sensitive",
            "use_built_in_list": "Use built-in list",
            "built_in_list": "Built-in list",
        },
        _stop_word_translate,
    )
    Settings = StopWordFilterSettings
    path_settings = ("stop_word_file",)

    def reads(self, settings: StopWordFilterSettings) -> list[str]:
        return [] if settings.use_built_in_list or not settings.stop_word_file else [settings.stop_word_file]

    def check(self, spec: TableSpec, settings: StopWordFilterSettings, cls: type[NodeError]) -> None:
        if settings.use_built_in_list:
            if settings.built_in_list not in BUILT_IN_STOP_WORDS:
                raise cls(
                    f"Unknown built-in stop word list: {settings.built_in_list}", setting="built_in_list"
                )
        elif not _stop_word_file(settings.stop_word_file).is_file():
            raise cls(
                f"Selected stop word file: {settings.stop_word_file} cannot be accessed!",
                setting="stop_word_file",
            )

    def converter(self, settings: StopWordFilterSettings, ctx: NodeContext) -> Callable[[Term], Term | None]:
        if settings.use_built_in_list:
            words: set[str] = set(BUILT_IN_STOP_WORDS[settings.built_in_list])
        else:
            text = _stop_word_file(settings.stop_word_file).read_text(encoding="utf-8")
            words = {line.strip() for line in text.splitlines()}
        if settings.case_sensitive:
            return lambda term: None if term.text in words else term
        lowered = {w.lower() for w in words}
        return lambda term: None if term.text.lower() in lowered else term


# SnowballStemmerFactory's names and the Snowball algorithms they run (org.tartarus.snowball.ext);
# KNIME's Dutch stemmer is Snowball's original one, which snowballstemmer 3 calls dutch_porter
SNOWBALL_STEMMERS = {
    "Danish": "danish",
    "Dutch": "dutch_porter",
    "English": "english",
    "Finnish": "finnish",
    "French": "french",
    "German": "german",
    "Hungarian": "hungarian",
    "Italian": "italian",
    "Norwegian": "norwegian",
    "Porter": "porter",
    "Portuguese": "portuguese",
    "Romanian": "romanian",
    "Russian": "russian",
    "Spanish": "spanish",
    "Swedish": "swedish",
    "Turkish": "turkish",
}


def _stemmer(algorithm: str) -> Callable[[Term], Term | None]:
    import snowballstemmer

    stemmer = snowballstemmer.stemmer(algorithm)
    cache: dict[str, str] = {}

    def stem(word: str) -> str:
        if word not in cache:
            cache[word] = stemmer.stemWord(word)
        return cache[word]

    return lambda term: term.map_words(stem)


class SnowballStemmerSettings(_PreprocessingSettings):
    stemmer_name: str = Field(
        "English", description="Snowball stemmer: " + ", ".join(SNOWBALL_STEMMERS) + "."
    )


def _snowball_translate(knime: KnimeSettings) -> None:
    name = knime.tree.get("Stemmer Name")
    if name is not None and name not in SNOWBALL_STEMMERS:
        knime.lost(f"Snowball stemmer {name!r} is not known to knitflow")


class SnowballStemmer(_Preprocessing):
    type_name = "snowball_stemmer"
    display_name = "Snowball Stemmer"
    description = (
        "Stems every word with the Snowball stemmer of a language (Danish ... Turkish, and Porter), as "
        "KNIME does with the Snowball project's Java stemmers; knitflow runs the same algorithms from the "
        "snowballstemmer package (later Snowball releases changed a few rare cases)."
    )
    keywords = ("text", "stemming", "stem", "snowball", "preprocessing", "porter2")
    knime = _preprocessing_mapping(
        "snowballstemmer.SnowballStemmerNodeFactory2",
        "Snowball Stemmer",
        {"stemmer_name": "Stemmer Name"},
        _snowball_translate,
    )
    Settings = SnowballStemmerSettings
    preload = ("snowballstemmer",)

    def check(self, spec: TableSpec, settings: SnowballStemmerSettings, cls: type[NodeError]) -> None:
        if settings.stemmer_name not in SNOWBALL_STEMMERS:
            raise cls(f"Unknown Snowball stemmer: {settings.stemmer_name}", setting="stemmer_name")

    def converter(self, settings: SnowballStemmerSettings, ctx: NodeContext) -> Callable[[Term], Term | None]:
        return _stemmer(SNOWBALL_STEMMERS[settings.stemmer_name])


class PorterStemmer(_Preprocessing):
    type_name = "porter_stemmer"
    display_name = "Porter Stemmer"
    description = (
        "Stems every word with Porter's (1980) English stemming algorithm, KNIME's Porter Stemmer; knitflow "
        "runs the Snowball project's implementation of it."
    )
    keywords = ("text", "stemming", "stem", "porter", "english", "preprocessing")
    knime = _preprocessing_mapping("porterstemmer.PorterStemmerNodeFactory2", "Porter Stemmer")
    Settings = _PreprocessingSettings
    preload = ("snowballstemmer",)

    def converter(self, settings: _PreprocessingSettings, ctx: NodeContext) -> Callable[[Term], Term | None]:
        return _stemmer("porter")


# ------------------------------------------------------------------------------------ bag of words


class BagOfWordsSettings(NodeSettings):
    """KNIME's BagOfWordsConfigKeys2 (Bag Of Words Creator, 3.5 on)."""

    DocumentColumn: str = Field(
        "", description="The Document column (empty: the first one).", json_schema_extra=widget("column")
    )
    ColumnFilter: _ColumnFilter = Field(
        default_factory=_ColumnFilter, description="The input columns carried over to each term row."
    )
    TermColumn: str = Field("Term", description="Name of the term column.")


class BagOfWordsCreator(Node):
    type_name = "bag_of_words_creator"
    display_name = "Bag Of Words Creator"
    category = Category.MANIPULATOR
    description = (
        "One row per distinct term of each document (terms equal in words and tags, first occurrence order, "
        "title terms first), with the chosen input columns; the term column holds the term as KNIME prints it, "
        "word[] or word[TAG(TYPE)]. Rows of missing documents are skipped."
    )
    keywords = ("text", "bag of words", "bow", "terms", "tokens", "text mining")
    knime = _keys_mapping(
        "transformation.bow.BagOfWordsNodeFactory2",
        "Bag Of Words Creator",
        ("DocumentColumn", "ColumnFilter", "TermColumn"),
    )
    inputs = (Port(TABLE, "Table with a Document column"),)
    outputs = (Port(TABLE, "Bag of words: the chosen columns and a term column"),)
    Settings = BagOfWordsSettings

    def _check(self, spec: TableSpec, s: BagOfWordsSettings, cls: type[NodeError]) -> tuple[str, list[str]]:
        docs = _document_columns(spec)
        if not docs:
            raise cls("There have to be at least 1 columns containing documents!", setting="DocumentColumn")
        column = s.DocumentColumn if spec.get(s.DocumentColumn) is not None else docs[0]
        if spec.type_of(column) != DOCUMENT:
            raise cls(f"Column '{column}' does not contain documents.", setting="DocumentColumn")
        included = s.ColumnFilter.apply(spec)
        term = s.TermColumn.strip()
        if not term:
            raise cls("Can't create new term column! Column name can't be empty!", setting="TermColumn")
        if term in included:
            raise cls(
                f"Can't create new column '{term}' as input spec already contains column named '{term}'!",
                setting="TermColumn",
            )
        return column, included

    def configure(self, in_specs: list[Any], settings: BagOfWordsSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _, included = self._check(spec, settings, ConfigureError)
        return [spec.select(included).append((settings.TermColumn.strip(), _STRING))]

    def execute(self, inputs: list[Any], settings: BagOfWordsSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column, included = self._check(table.spec, settings, NodeError)
        positions: list[int] = []
        terms: list[str] = []
        docs = _values(table, column)
        if not all(_is_document(d) for d in docs):
            ctx.warn(
                "Input table contains missing values in document column. Missing document values will be ignored."
            )
        for i, doc in enumerate(docs):
            if not _is_document(doc):
                continue
            distinct = dict.fromkeys(doc.terms())
            positions.extend([i] * len(distinct))
            terms.extend(str(t) for t in distinct)
        df = table.df[included].iloc[positions].copy()
        df.index = row_ids(len(positions))
        df[settings.TermColumn.strip()] = pd.Series(terms, index=df.index, dtype=object)
        return [table.with_frame(df, {settings.TermColumn.strip(): _STRING})]


# ----------------------------------------------------------------------------------- frequencies


def _term_column(table: Table) -> str | None:
    """DataTableSpecVerifier.verifyTermCell: the one column of terms (a String column whose values
    are all printed terms); None for an empty table."""
    if len(table) == 0:
        return None
    found = []
    for col in table.spec.columns:
        if col.type != _STRING:
            continue
        values = [v for v in _values(table, col.name) if not is_missing(v)]
        if values and all(is_term_string(v) for v in values):
            found.append(col.name)
    if not found:
        raise NodeError("No column containing TermCells found !")
    if len(found) > 1:
        raise NodeError("Only one column conmtaining TermCells allowed !")
    return found[0]


class _FrequencySettings(NodeSettings):
    DocCol: str = Field("Document", description="The Document column.", json_schema_extra=widget("column"))


class _Frequency(Node):
    """FrequencyNodeModel: a frequency column appended to a bag of words (a Document column and
    one term column)."""

    category = Category.MANIPULATOR
    inputs = (Port(TABLE, "Bag of words: documents and terms"),)
    outputs = (Port(TABLE, "The bag of words with the frequency column"),)
    column_name = ""
    column_type = ColumnType.DOUBLE

    def column(self, settings: Any) -> tuple[str, str]:
        return self.column_name, self.column_type

    def values(self, docs: list[Any], terms: list[Any], settings: Any) -> list[Any]:
        raise NotImplementedError

    def _document_column(self, spec: TableSpec, settings: Any, cls: type[NodeError]) -> str:
        if not _document_columns(spec):
            raise cls("There have to be at least 1 columns containing documents!", setting="DocCol")
        col = spec.get(settings.DocCol)
        if col is None or col.type != DOCUMENT:
            raise cls(
                "Index of specified document column is not valid! Check your settings!", setting="DocCol"
            )
        return col.name

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        self._document_column(spec, settings, ConfigureError)
        name, col_type = self.column(settings)
        return [spec.append((unique_column_name(spec.names, name), col_type))]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        doc_column = self._document_column(table.spec, settings, NodeError)
        term_column = _term_column(table)
        name, col_type = self.column(settings)
        name = unique_column_name(table.spec.names, name)
        docs = _values(table, doc_column)
        terms = _values(table, term_column) if term_column else []
        values = self.values(docs, terms, settings)
        df = table.df.copy(deep=False)
        df[name] = _frequency_series(values, col_type, df.index)
        return [table.with_frame(df, {name: col_type})]


def _frequency_series(values: list[Any], col_type: str, index: pd.Index) -> pd.Series:
    if col_type == ColumnType.INTEGER:
        if any(v is None for v in values):
            return pd.Series(pd.array(values, dtype="Int32"), index=index)
        return pd.Series(np.array(values, dtype=np.int32), index=index)
    return pd.Series([np.nan if v is None else float(v) for v in values], index=index, dtype=np.float64)


def _valid(doc: Any, term: Any) -> bool:
    return _is_document(doc) and not is_missing(term)


class TfSettings(_FrequencySettings):
    Relative: bool = Field(True, description="Relative frequency (a Double) instead of the absolute count.")


class TermFrequency(_Frequency):
    type_name = "term_frequency"
    display_name = "TF"
    description = (
        "Appends the term frequency of each bag-of-words row: how often the term (its words and tags) occurs "
        "in the row's document, 'TF abs', or that count divided by the document's number of terms, 'TF rel'."
    )
    keywords = ("text", "tf", "term frequency", "tf-idf", "frequency", "text mining")
    knime = _keys_mapping("frequencies.tf.TfNodeFactory", "TF", ("DocCol", "Relative"))
    Settings = TfSettings

    def column(self, settings: TfSettings) -> tuple[str, str]:
        return ("TF rel", ColumnType.DOUBLE) if settings.Relative else ("TF abs", ColumnType.INTEGER)

    def values(self, docs: list[Any], terms: list[Any], settings: TfSettings) -> list[Any]:
        counts: dict[int, tuple[Counter[str], int]] = {}
        out: list[Any] = []
        for doc, term in zip(docs, terms, strict=True):
            if not _valid(doc, term):
                out.append(None)
                continue
            if id(doc) not in counts:
                count = Counter(str(t) for t in doc.terms())
                counts[id(doc)] = (count, sum(count.values()))
            count, total = counts[id(doc)]
            if settings.Relative:
                out.append(count[term] / total if total else math.nan)
            else:
                out.append(count[term])
        return out


def _idf(method: str, n_docs: int, n_term_docs: int) -> float | None:
    """Frequencies.inverseDocumentFrequency and its normalized / probabilistic variants (log10);
    NaN (a missing cell) where KNIME's formula has none."""
    if method == "normalized":
        return math.log10(n_docs / n_term_docs)
    if method == "probabilistic":
        return None if n_docs == n_term_docs else math.log10((n_docs - n_term_docs) / n_term_docs)
    return math.log10(1 + n_docs / n_term_docs)


class IdfSettings(_FrequencySettings):
    Idfoptions: Literal["smooth", "normalized", "probabilistic"] = Field(
        "smooth",
        description="smooth: log10(1 + N/n); normalized: log10(N/n); probabilistic: log10((N - n)/n), N documents, "
        "n of them with the term.",
    )


class InverseDocumentFrequency(_Frequency):
    type_name = "inverse_document_frequency"
    display_name = "IDF"
    description = (
        "Appends the inverse document frequency 'IDF' of each bag-of-words row's term: with N the number of "
        "distinct documents of the table and n the number of them the term appears with, log10(1 + N/n) "
        "(smooth), log10(N/n) (normalized) or log10((N - n)/n) (probabilistic, missing for n = N)."
    )
    keywords = ("text", "idf", "inverse document frequency", "tf-idf", "frequency", "text mining")
    knime = _keys_mapping("frequencies.idf.IdfNodeFactory", "IDF", ("DocCol", "Idfoptions"))
    Settings = IdfSettings
    column_name = "IDF"

    def values(self, docs: list[Any], terms: list[Any], settings: IdfSettings) -> list[Any]:
        all_docs: set[Document] = set()
        term_docs: dict[str, set[Document]] = {}
        for doc, term in zip(docs, terms, strict=True):
            if _valid(doc, term):
                all_docs.add(doc)
                term_docs.setdefault(term, set()).add(doc)
        return [
            _idf(settings.Idfoptions, len(all_docs), len(term_docs[term])) if _valid(doc, term) else None
            for doc, term in zip(docs, terms, strict=True)
        ]


class DocumentFrequency(_Frequency):
    type_name = "document_frequency"
    display_name = "DF"
    description = "Appends the document frequency 'DF' of each bag-of-words row's term: the number of documents it appears with."
    keywords = ("text", "df", "document frequency", "frequency", "text mining")
    knime = _keys_mapping("frequencies.df.DfNodeFactory", "DF", ("DocCol",))
    Settings = _FrequencySettings
    column_name = "DF"
    column_type = ColumnType.INTEGER

    def values(self, docs: list[Any], terms: list[Any], settings: _FrequencySettings) -> list[Any]:
        term_docs: dict[str, set[str]] = {}
        for doc, term in zip(docs, terms, strict=True):
            if _valid(doc, term):
                term_docs.setdefault(term, set()).add(doc.uuid)
        return [len(term_docs[t]) if _valid(d, t) else None for d, t in zip(docs, terms, strict=True)]


# --------------------------------------------------------------------------------------- vectors


def _feature(term: str, ignore_tags: bool) -> str:
    return term_text(term) if ignore_tags else term


def _vector_values(table: Table, value_column: str, use_bits: bool) -> list[float]:
    if use_bits:
        return [1.0] * len(table)
    return [0.0 if is_missing(v) else float(v) for v in _values(table, value_column)]


def _check_value_column(spec: TableSpec, use_bits: bool, value_column: str, cls: type[NodeError]) -> None:
    if use_bits:
        return
    col = spec.get(value_column)
    if col is None or not col.is_numeric():
        raise cls(f"Column '{value_column}' does not exist or is not numeric.", setting="Value_Col")


def _vector_table(
    key: tuple[str, str], keys: list[Any], rows: list[list[float]], labels: list[str], collection: str | None
) -> Table:
    """One row per vector: the `key` (name, type) column holding `keys`, then the vector as one
    list column named `collection`, or (None) a Double column per label, the names made unique."""
    name, key_type = key
    ids = row_ids(len(rows))
    key_column = pd.Series(keys, index=ids, dtype=object)
    if collection is not None:
        vectors = pd.Series([tuple(r) for r in rows], index=ids, dtype=object)
        df = pd.DataFrame({name: key_column, collection: vectors})
        return Table(df, {name: key_type, collection: ColumnType.list_of("Double")})
    taken = {name}
    names = []
    for label in labels:
        names.append(unique_column_name(taken, label))
        taken.add(names[-1])
    matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(names))
    df = pd.concat(
        [key_column.rename(name).to_frame(), pd.DataFrame(matrix, index=ids, columns=names)], axis=1
    )
    return Table(df, {name: key_type, **dict.fromkeys(names, ColumnType.DOUBLE)})


class _Vectors(Node):
    """DocumentVectorNodeModel2 and TermVectorNodeModel: vectors from a bag of words (a Document
    column, the term column and, unless `Boolean`, a numeric value column)."""

    category = Category.MANIPULATOR
    inputs = (Port(TABLE, "Bag of words: documents, terms and values"),)
    document_setting = ""  # the settings field naming the Document column

    def collection_spec(self, settings: Any) -> TableSpec:
        """The output table's spec with `As_Collection` (else it depends on the data)."""
        raise NotImplementedError

    def _check(self, spec: TableSpec, settings: Any, cls: type[NodeError]) -> None:
        document_column = getattr(settings, self.document_setting)
        _need_document_column(spec, document_column, cls, self.document_setting)
        _check_value_column(spec, settings.Boolean, settings.Value_Col, cls)

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        unknown = [UNKNOWN] * len(self.outputs)
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return unknown
        self._check(spec, settings, ConfigureError)
        return [self.collection_spec(settings), *unknown[1:]] if settings.As_Collection else unknown

    def _bag_of_words(
        self, table: Table, settings: Any
    ) -> tuple[list[Any], list[Any], list[float], list[int]]:
        """(documents, terms, values, the rows with a document and a term)."""
        self._check(table.spec, settings, NodeError)
        term_column = _term_column(table)
        docs = _values(table, getattr(settings, self.document_setting))
        terms = _values(table, term_column) if term_column else []
        values = _vector_values(table, settings.Value_Col, settings.Boolean)
        return docs, terms, values, [i for i in range(len(docs)) if _valid(docs[i], terms[i])]


class DocumentVectorSettings(NodeSettings):
    """KNIME's DocumentVectorConfigKeys2 (Document Vector, 3.x)."""

    Document_Col: str = Field(
        "Document", description="The Document column.", json_schema_extra=widget("column")
    )
    Ignore_Tags: bool = Field(True, description="Terms differing in their tags only are one feature.")
    Boolean: bool = Field(
        True, description="1 where the term occurs (else the value of `Value_Col`), 0 elsewhere."
    )
    Value_Col: str = Field(
        "",
        description="Numeric column of the vector values (e.g. TF abs).",
        json_schema_extra=widget("column"),
    )
    As_Collection: bool = Field(
        False, description="One list column 'Document Vector' instead of a column per term."
    )


def _runs(docs: list[Any]) -> list[tuple[int, int]]:
    """Row ranges of consecutive rows of one document (the vector nodes read a bag of words row by
    row and start a new vector where the document changes)."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(docs) + 1):
        if i == len(docs) or docs[i] != docs[start]:
            runs.append((start, i))
            start = i
    return runs


class DocumentVector(_Vectors):
    type_name = "document_vector"
    display_name = "Document Vector"
    description = (
        "Turns a bag of words into one vector per document: a Double column per distinct term (first "
        "occurrence order; the term text when tags are ignored, else the printed term) holding 1/0 or the "
        "value of a numeric column, or all of them as a list 'Document Vector'. Consecutive rows of one "
        "document make one vector. The model output keeps the feature space."
    )
    keywords = ("text", "document vector", "document term matrix", "vectorize", "features", "bag of words")
    knime = _keys_mapping(
        "transformation.documentvector.DocumentVectorNodeFactory2",
        "Document Vector",
        ("Document_Col", "Ignore_Tags", "Boolean", "Value_Col", "As_Collection"),
    )
    outputs = (
        Port(TABLE, "Document vectors"),
        Port(
            MODEL,
            "Document vector model",
            "The feature space (the terms), for applying it to other documents.",
        ),
    )
    Settings = DocumentVectorSettings
    document_setting = "Document_Col"

    def collection_spec(self, settings: DocumentVectorSettings) -> TableSpec:
        return TableSpec.of(
            [(settings.Document_Col, DOCUMENT), ("Document Vector", ColumnType.list_of("Double"))]
        )

    def execute(self, inputs: list[Any], settings: DocumentVectorSettings, ctx: NodeContext) -> list[Any]:
        docs, terms, values, keep = self._bag_of_words(inputs[0], settings)
        features = list(dict.fromkeys(_feature(terms[i], settings.Ignore_Tags) for i in keep))
        index = {f: j for j, f in enumerate(features)}
        kept_docs = [docs[i] for i in keep]
        rows, out_docs = [], []
        for start, end in _runs(kept_docs):
            vector = [0.0] * len(features)
            for i in keep[start:end]:
                vector[index[_feature(terms[i], settings.Ignore_Tags)]] = values[i]
            rows.append(vector)
            out_docs.append(kept_docs[start])
        model = Model(
            "document_vector",
            {"features": features, **settings.model_dump()},
            f"{len(features)} terms",
        )
        collection = "Document Vector" if settings.As_Collection else None
        return [_vector_table((settings.Document_Col, DOCUMENT), out_docs, rows, features, collection), model]


class TermVectorSettings(NodeSettings):
    """KNIME's Term Vector keys."""

    Document_Column: str = Field(
        "Document", description="The Document column.", json_schema_extra=widget("column")
    )
    ignore_tags: bool = Field(True, description="Terms differing in their tags only are one term.")
    Boolean: bool = Field(
        True, description="1 where the term occurs in the document (else `Value_Col`), 0 elsewhere."
    )
    Value_Col: str = Field(
        "", description="Numeric column of the vector values.", json_schema_extra=widget("column")
    )
    As_Collection: bool = Field(
        False, description="One list column 'Term Vector' instead of a column per document."
    )


class TermVector(_Vectors):
    type_name = "term_vector"
    display_name = "Term Vector"
    description = (
        "Turns a bag of words into one vector per distinct term (first occurrence order): a Double column per "
        "document (named by its title, made unique) holding 1/0 or the value of a numeric column, or all of them "
        "as a list 'Term Vector'."
    )
    keywords = ("text", "term vector", "term document matrix", "vectorize", "bag of words")
    knime = _keys_mapping(
        "transformation.termvector.TermVectorNodeFactory",
        "Term Vector",
        ("Document_Column", "Ignore Tags", "Boolean", "Value_Col", "As_Collection"),
    )
    outputs = (Port(TABLE, "Term vectors"),)
    Settings = TermVectorSettings
    document_setting = "Document_Column"

    def collection_spec(self, settings: TermVectorSettings) -> TableSpec:
        return TableSpec.of([("Term", _STRING), ("Term Vector", ColumnType.list_of("Double"))])

    def execute(self, inputs: list[Any], settings: TermVectorSettings, ctx: NodeContext) -> list[Any]:
        docs, terms, values, keep = self._bag_of_words(inputs[0], settings)
        doc_index = {d: j for j, d in enumerate(dict.fromkeys(docs[i] for i in keep))}
        vectors: dict[str, list[float]] = {}
        for i in keep:
            term = f"{term_text(terms[i])}[]" if settings.ignore_tags else terms[i]
            vectors.setdefault(term, [0.0] * len(doc_index))[doc_index[docs[i]]] = values[i]
        titles = [doc.title for doc in doc_index]
        collection = "Term Vector" if settings.As_Collection else None
        return [_vector_table(("Term", _STRING), list(vectors), list(vectors.values()), titles, collection)]


# ----------------------------------------------------------------------------------------- misc


class CategoryToClassSettings(NodeSettings):
    document_column: str = Field(
        "Document", description="The Document column.", json_schema_extra=widget("column")
    )


class CategoryToClass(Node):
    type_name = "category_to_class"
    display_name = "Category To Class"
    category = Category.MANIPULATOR
    description = (
        "Appends a String column 'Document class' with each document's category (missing when it has none), "
        "e.g. as the target of a classifier trained on document vectors."
    )
    keywords = ("text", "category", "class", "label", "document")
    knime = _keys_mapping(
        "misc.categorytoclass.CategoryToClassNodeFactory", "Category To Class", ("Document Column",)
    )
    inputs = (Port(TABLE, "Table with a Document column"),)
    outputs = (Port(TABLE, "The table with the document class column"),)
    Settings = CategoryToClassSettings

    def configure(
        self, in_specs: list[Any], settings: CategoryToClassSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _need_document_column(spec, settings.document_column, ConfigureError, "document_column")
        return [spec.append((unique_column_name(spec.names, "Document class"), _STRING))]

    def execute(self, inputs: list[Any], settings: CategoryToClassSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column = _need_document_column(table.spec, settings.document_column, NodeError, "document_column")
        name = unique_column_name(table.spec.names, "Document class")
        classes = [
            d.categories[0] if _is_document(d) and d.categories else None for d in _values(table, column)
        ]
        df = table.df.copy(deep=False)
        df[name] = pd.Series(classes, index=df.index, dtype=object)
        return [table.with_frame(df, {name: _STRING})]
