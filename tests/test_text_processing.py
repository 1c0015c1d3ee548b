"""KNIME Text Processing: documents from strings, the preprocessing nodes, bag of words, TF / IDF /
DF, document and term vectors and Category To Class on a two-document corpus whose terms,
frequencies and vectors are worked out by hand; and the KNIME mappings of every factory on
fragments with the keys KNIME writes (as in IssouProjects/FDD_MQV's "Keywords" metanode)."""

from __future__ import annotations

import math
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError, Table
from engine.core.testing import run_node
from nodes._documents import Term, Word, simple_spans

P = "org.knime.ext.textprocessing.nodes."
STRINGS_TO_DOCUMENT = P + "transformation.stringstodocument.StringsToDocumentNodeFactory2"
STRINGS_TO_DOCUMENT_V1 = P + "transformation.stringstodocument.StringsToDocumentNodeFactory"
CASE_CONVERTER = P + "preprocessing.caseconverter.CaseConverterNodeFactory2"
PUNCTUATION_ERASURE = P + "preprocessing.puncterasure.PunctuationErasureNodeFactory2"
N_CHARS_FILTER = P + "preprocessing.ncharsfilter.NCharsFilterNodeFactory2"
NUMBER_FILTER = P + "preprocessing.numberfilter.NumberFilterNodeFactory2"
STOP_WORD_FILTER = P + "preprocessing.stopwordfilter.StopWordFilterNodeFactory2"
SNOWBALL_STEMMER = P + "preprocessing.snowballstemmer.SnowballStemmerNodeFactory2"
PORTER_STEMMER = P + "preprocessing.porterstemmer.PorterStemmerNodeFactory2"
BAG_OF_WORDS = P + "transformation.bow.BagOfWordsNodeFactory2"
TF = P + "frequencies.tf.TfNodeFactory"
IDF = P + "frequencies.idf.IdfNodeFactory"
DF = P + "frequencies.df.DfNodeFactory"
DOCUMENT_VECTOR = P + "transformation.documentvector.DocumentVectorNodeFactory2"
TERM_VECTOR = P + "transformation.termvector.TermVectorNodeFactory"
CATEGORY_TO_CLASS = P + "misc.categorytoclass.CategoryToClassNodeFactory"

CORPUS = pd.DataFrame(
    {
        "title": ["Cats", "Dogs"],
        "text": ["The cats run. Dogs run fast.", "Dogs bark at 12 cats!"],
        "author": ["John Ronald Smith, Jane Doe", None],
        "topic": ["pets", "animals"],
    }
)
SIMPLE = "OpenNLP SimpleTokenizer"
DOCS = {
    "TitleCol": "title",
    "TextCol": "text",
    "AuthorsCol": "author",
    "UseCategoryColumn": True,
    "CategoryColumn": "topic",
    "PublicationDate": "2017-12-12",
    "word_tokenizer": SIMPLE,
}
# the terms by hand: title first, SimpleTokenizer tokens
TERMS_A = ["Cats", "The", "cats", "run", ".", "Dogs", "run", "fast", "."]
TERMS_B = ["Dogs", "Dogs", "bark", "at", "12", "cats", "!"]


def documents(frame: pd.DataFrame = CORPUS, **settings: Any) -> Table:
    return run_node("strings_to_document", {**DOCS, **settings}, frame)[1]


def texts(table: Table, column: str = "Document") -> list[list[str]]:
    return [[t.text for t in doc.terms()] for doc in table.df[column]]


def bag(table: Table | None = None) -> Table:
    return run_node("bag_of_words_creator", {"DocumentColumn": "Document"}, table or documents())[1]


def fragment(tmp_path: Path, factory: str, model: dict[str, Any]) -> tuple[Any, list[str]]:
    node, report, _ = import_fragment(tmp_path, factory, model)
    return node, findings(report)


# --------------------------------------------------------------------------- Strings To Document


def test_strings_to_document_builds_documents() -> None:
    out = documents()
    assert out.columns == ["title", "text", "author", "topic", "Document"]
    assert out.spec.type_of("Document") == "Document"
    a, b = out.df["Document"]
    assert texts(out) == [TERMS_A, TERMS_B]
    assert a.title == "Cats" and a.text == "Cats The cats run. Dogs run fast."
    assert [[len(sentence) for sentence in p] for p in a.sections[1].paragraphs] == [[4, 4]]
    assert a.authors == (("John Ronald", "Smith"), ("Jane", "Doe"))
    assert b.authors == (("-", "-"),)  # missing author cell: KNIME's default author
    assert a.categories == ("pets",) and a.sources == () and a.pub_date == date(2017, 12, 12)
    assert str(a) == "Cats"
    copy = pickle.loads(pickle.dumps(a))
    assert copy == a and copy.uuid == a.uuid and hash(copy) == hash(a)


def test_strings_to_document_title_from_rowid_and_errors() -> None:
    frame = CORPUS.set_axis(["r1", "r2"])
    out = documents(frame, useTitleColumn=False, UseCategoryColumn=False, DocumentCategory="fixed")
    assert [d.title for d in out.df["Document"]] == ["r1", "r2"]
    assert out.df["Document"].iloc[0].categories == ("fixed",)
    with pytest.raises(ConfigureError, match="does not exist in input table or does not contain a String"):
        documents(TextCol="nope")
    with pytest.raises(ConfigureError, match="already contains such column"):
        documents(document_column="title")


def test_tokenizers() -> None:
    text = "don't pay 3.5$ -- e-mail!!"
    tokens = [text[s:e] for s, e in simple_spans(text)]
    assert tokens == ["don", "'", "t", "pay", "3", ".", "5", "$", "--", "e", "-", "mail", "!!"]
    frame = pd.DataFrame({"title": [""], "text": [text]})
    out = documents(frame, AuthorsCol="", useAuthorsColumn=False, UseCategoryColumn=False, CategoryColumn="")
    out_ws = documents(
        frame,
        AuthorsCol="",
        useAuthorsColumn=False,
        UseCategoryColumn=False,
        CategoryColumn="",
        word_tokenizer="OpenNLP WhitespaceTokenizer",
    )
    assert texts(out)[0] == tokens
    assert texts(out_ws)[0] == ["don't", "pay", "3.5$", "--", "e-mail!!"]
    assert out.df["Document"].iloc[0].sections[0].annotation == "Unknown"  # no title section


# ----------------------------------------------------------------------------------- preprocessing


def preprocess(node_type: str, table: Table | None = None, **settings: Any) -> Table:
    return run_node(
        node_type, {"document_column": "Document", "replace_document": True, **settings}, table or documents()
    )[1]


def test_case_converter_and_punctuation_erasure() -> None:
    lower = preprocess("case_converter")
    assert texts(lower) == [[t.lower() for t in TERMS_A], [t.lower() for t in TERMS_B]]
    upper = preprocess("case_converter", Case="Upper case")
    assert texts(upper)[1][0] == "DOGS"
    erased = preprocess("punctuation_erasure")
    assert texts(erased) == [[t for t in TERMS_A if t != "."], [t for t in TERMS_B if t != "!"]]
    # the whitespace after an erased "." goes to the term before it
    assert erased.df["Document"].iloc[0].text == "Cats The cats run Dogs run fast"
    assert erased.df["Document"].iloc[0].uuid == documents().df["Document"].iloc[0].uuid


def test_append_column_and_guessing() -> None:
    out = run_node("punctuation_erasure", {}, documents())[1]  # no column chosen: the only one, appended
    assert out.columns[-2:] == ["Document", "Preprocessed Document"]
    assert texts(out, "Document") == [TERMS_A, TERMS_B]
    assert texts(out, "Preprocessed Document")[1] == TERMS_B[:-1]
    with pytest.raises(ConfigureError, match="already contains such column"):
        run_node(
            "punctuation_erasure",
            {"document_column": "Document", "new_document_column_name": "title"},
            documents(),
        )


def test_n_chars_and_number_filter() -> None:
    assert texts(preprocess("n_chars_filter", n=4)) == [
        ["Cats", "cats", "Dogs", "fast"],
        ["Dogs", "Dogs", "bark", "cats"],
    ]
    assert texts(preprocess("number_filter"))[1] == ["Dogs", "Dogs", "bark", "at", "cats", "!"]
    frame = pd.DataFrame({"title": ["t"], "text": ["abc123 12 -3 1,5 3. x"]})
    ws = documents(
        frame,
        AuthorsCol="",
        useAuthorsColumn=False,
        UseCategoryColumn=False,
        CategoryColumn="",
        word_tokenizer="OpenNLP WhitespaceTokenizer",
    )
    assert texts(preprocess("number_filter", ws)) == [["t", "abc123", "3.", "x"]]
    containing = preprocess("number_filter", ws, filteringMode="Filter terms containing numbers")
    assert texts(containing) == [["t", "x"]]


def test_stop_word_filter(tmp_path: Path) -> None:
    # "The" is an English stop word only when case does not matter; "at" is one either way
    assert texts(preprocess("stop_word_filter")) == [
        ["Cats", "cats", "run", ".", "Dogs", "run", "fast", "."],
        ["Dogs", "Dogs", "bark", "12", "cats", "!"],
    ]
    assert texts(preprocess("stop_word_filter", case_sensitive=True))[0][1] == "The"
    words = tmp_path / "stop.txt"
    words.write_text("cats\n  Dogs \n", encoding="utf-8")
    custom = preprocess("stop_word_filter", use_built_in_list=False, stop_word_file=str(words))
    assert texts(custom) == [["The", "run", ".", "run", "fast", "."], ["bark", "at", "12", "!"]]
    with pytest.raises(ConfigureError, match="cannot be accessed"):
        preprocess("stop_word_filter", use_built_in_list=False, stop_word_file=str(tmp_path / "none.txt"))


def test_stemmers() -> None:
    frame = pd.DataFrame({"title": ["ties"], "text": ["cats agreed happily"]})
    table = documents(
        frame, AuthorsCol="", useAuthorsColumn=False, UseCategoryColumn=False, CategoryColumn=""
    )
    # Porter's paper: ties -> ti, agreed -> agre; Porter2 (English): ties -> tie
    assert texts(preprocess("snowball_stemmer", table)) == [["tie", "cat", "agre", "happili"]]
    assert texts(preprocess("porter_stemmer", table)) == [["ti", "cat", "agre", "happili"]]
    french = pd.DataFrame({"title": ["chevaux"], "text": ["continuellement"]})
    table = documents(
        french, AuthorsCol="", useAuthorsColumn=False, UseCategoryColumn=False, CategoryColumn=""
    )
    assert texts(preprocess("snowball_stemmer", table, stemmer_name="French")) == [["cheval", "continuel"]]


def test_unmodifiable_terms_are_kept() -> None:
    locked = Term((Word("The"),), (("X", "NE"),), unmodifiable=True)
    doc = documents().df["Document"].iloc[0]
    sections = (doc.sections[0].__class__((((locked,),),), "Title"),)
    table = Table(pd.DataFrame({"Document": [doc.with_sections(sections)]}), {"Document": "Document"})
    assert texts(preprocess("stop_word_filter", table)) == [["The"]]
    assert texts(preprocess("stop_word_filter", table, preprocess_unmodifiable=True)) == [[]]
    assert str(locked) == "The[X(NE)]"


# ---------------------------------------------------------------------------- bag of words, freq


def test_bag_of_words() -> None:
    out = bag()
    distinct_a = list(dict.fromkeys(TERMS_A))
    distinct_b = list(dict.fromkeys(TERMS_B))
    assert out.columns == ["title", "text", "author", "topic", "Document", "Term"]
    assert out.row_ids == [f"Row{i}" for i in range(len(distinct_a) + len(distinct_b))]
    assert out.df["Term"].tolist() == [f"{t}[]" for t in distinct_a + distinct_b]
    assert out.df["title"].tolist() == ["Cats"] * len(distinct_a) + ["Dogs"] * len(distinct_b)
    only = run_node(
        "bag_of_words_creator",
        {"ColumnFilter": {"included_names": ["Document"], "enforce_option": "EnforceInclusion"}},
        documents(),
    )[1]
    assert only.columns == ["Document", "Term"]
    with pytest.raises(ConfigureError, match="already contains column named 'title'"):
        run_node("bag_of_words_creator", {"TermColumn": "title"}, documents())


def frequencies(node_type: str, **settings: Any) -> dict[tuple[str, str], Any]:
    out = run_node(node_type, settings, bag())[1].df
    column = out.columns[-1]
    return {(d.title, t): v for d, t, v in zip(out["Document"], out["Term"], out[column], strict=True)}


def test_tf() -> None:
    absolute = frequencies("term_frequency", Relative=False)
    assert absolute[("Cats", "run[]")] == 2 and absolute[("Cats", ".[]")] == 2
    assert absolute[("Dogs", "Dogs[]")] == 2 and absolute[("Dogs", "cats[]")] == 1
    relative = frequencies("term_frequency")
    assert relative[("Cats", "run[]")] == pytest.approx(2 / len(TERMS_A))
    assert relative[("Dogs", "Dogs[]")] == pytest.approx(2 / len(TERMS_B))
    out = run_node("term_frequency", {"Relative": False}, bag())[1]
    assert out.columns[-1] == "TF abs" and out.spec.type_of("TF abs") == "Integer"


def test_idf_and_df() -> None:
    smooth = frequencies("inverse_document_frequency")
    assert smooth[("Cats", "cats[]")] == pytest.approx(math.log10(1 + 2 / 2))
    assert smooth[("Cats", "run[]")] == pytest.approx(math.log10(1 + 2 / 1))
    normalized = frequencies("inverse_document_frequency", Idfoptions="normalized")
    assert normalized[("Cats", "cats[]")] == 0.0 and normalized[("Cats", "run[]")] == pytest.approx(
        math.log10(2)
    )
    probabilistic = frequencies("inverse_document_frequency", Idfoptions="probabilistic")
    assert math.isnan(probabilistic[("Cats", "cats[]")]) and probabilistic[("Cats", "run[]")] == 0.0
    df = frequencies("document_frequency")
    assert df[("Cats", "cats[]")] == 2 and df[("Dogs", "Dogs[]")] == 2 and df[("Cats", "run[]")] == 1
    with pytest.raises(NodeError, match="No column containing TermCells"):
        run_node("document_frequency", {}, documents())


# ------------------------------------------------------------------------------------ vectors


def test_document_vector() -> None:
    out, model = run_node("document_vector", {}, bag()).outputs
    features = list(dict.fromkeys(TERMS_A + TERMS_B))
    assert out.columns == ["Document", *features] and out.row_ids == ["Row0", "Row1"]
    assert out.df.iloc[0, 1:].tolist() == [1.0 if f in TERMS_A else 0.0 for f in features]
    assert out.df.iloc[1, 1:].tolist() == [1.0 if f in TERMS_B else 0.0 for f in features]
    assert model.payload["features"] == features
    tf = run_node("term_frequency", {"Relative": False}, bag())[1]
    counts = run_node("document_vector", {"Boolean": False, "Value_Col": "TF abs"}, tf)[1]
    assert counts.df.loc["Row0", "run"] == 2.0 and counts.df.loc["Row1", "Dogs"] == 2.0
    assert counts.df.loc["Row1", "run"] == 0.0
    listed = run_node("document_vector", {"As_Collection": True, "Ignore_Tags": False}, bag())[1]
    assert listed.columns == ["Document", "Document Vector"]
    assert listed.df["Document Vector"].iloc[1] == tuple(1.0 if f in TERMS_B else 0.0 for f in features)
    with pytest.raises(ConfigureError, match="not numeric"):
        run_node("document_vector", {"Boolean": False, "Value_Col": "title"}, bag())


def test_term_vector_and_category_to_class() -> None:
    out = run_node("term_vector", {}, bag())[1]
    terms = list(dict.fromkeys(TERMS_A + TERMS_B))
    assert out.columns == ["Term", "Cats", "Dogs"]
    assert out.df["Term"].tolist() == [f"{t}[]" for t in terms]
    assert out.df.set_index("Term").loc["cats[]"].tolist() == [1.0, 1.0]
    assert out.df.set_index("Term").loc["bark[]"].tolist() == [0.0, 1.0]
    listed = run_node("term_vector", {"As_Collection": True}, bag())[1]
    assert listed.columns == ["Term", "Term Vector"] and listed.df["Term Vector"].iloc[0] == (1.0, 0.0)
    classes = run_node("category_to_class", {}, documents())[1]
    assert classes.df["Document class"].tolist() == ["pets", "animals"]


# ------------------------------------------------------------------------------------- mapping

PREPRO = {
    "Document Column": "Document",
    "Preprocess Unmodifiable": False,
    "Replace Document": True,
    "New Document Column Name": "Preprocessed Document",
}


def test_strings_to_document_mapping(tmp_path: Path) -> None:
    model = {
        "TextCol": "tags",
        "AuthorsCol": "user",
        "TitleCol": "title",
        "AuthorSplitChar": ", ",
        "DocumentSource": "",
        "DocumentCategory": "",
        "DocumentType": "UNKNOWN",
        "PublicationDate": "2017-12-12",
        "PubdateCol": None,
        "UseCategoryColumn": True,
        "UseSourceColumn": False,
        "useAuthorsColumn": True,
        "UsePubDateColumn": False,
        "CategoryColumn": "id",
        "SourceColumn": "title",
        "Number of threads": 8,
        "AuthorFirstName": "-",
        "AuthorLastName": "-",
        "Word Tokenizer": "OpenNLP English WordTokenizer",
        "Document column": "Document",
        "Title mode": "Column",
    }
    node, report, _ = import_fragment(tmp_path, STRINGS_TO_DOCUMENT, model)
    assert node.type == "strings_to_document" and findings(report) == []
    assert any("approximated" in e.message for e in report.entries)  # the tokenizer, noted
    s = node.settings
    assert s["TextCol"] == "tags" and s["useTitleColumn"] is True and s["PubdateCol"] == ""
    assert s["CategoryColumn"] == "id" and s["PublicationDate"] == "2017-12-12"
    node, found = fragment(
        tmp_path, STRINGS_TO_DOCUMENT, {**model, "Title mode": "RowID", "Word Tokenizer": SIMPLE}
    )
    assert found == [] and node.settings["useTitleColumn"] is False
    _, found = fragment(tmp_path, STRINGS_TO_DOCUMENT, {**model, "Title mode": "Empty"})
    assert any("title mode" in f for f in found)
    old = {k: model[k] for k in ("TextCol", "AuthorsCol", "TitleCol", "AuthorSplitChar", "DocumentType")}
    node, found = fragment(tmp_path, STRINGS_TO_DOCUMENT_V1, {**old, "PublicationDate": "12-12-2017"})
    assert found == [] and node.settings["PublicationDate"] == "2017-12-12"


@pytest.mark.parametrize(
    ("factory", "own", "node_type", "expected"),
    [
        (CASE_CONVERTER, {"Case": "Lower case"}, "case_converter", {"Case": "Lower case"}),
        (PUNCTUATION_ERASURE, {}, "punctuation_erasure", {}),
        (N_CHARS_FILTER, {"n": 3}, "n_chars_filter", {"n": 3}),
        (
            NUMBER_FILTER,
            {"filteringMode": "Filter terms containing numbers"},
            "number_filter",
            {"filteringMode": "Filter terms containing numbers"},
        ),
        (SNOWBALL_STEMMER, {"Stemmer Name": "French"}, "snowball_stemmer", {"stemmer_name": "French"}),
        (PORTER_STEMMER, {}, "porter_stemmer", {}),
        (
            STOP_WORD_FILTER,
            {
                "Stop word file": "C:\\Users\\Kilian",
                "Case sensitive": False,
                "Use built-in list": True,
                "Built-in list": "English",
            },
            "stop_word_filter",
            {
                "stop_word_file": "",
                "case_sensitive": False,
                "use_built_in_list": True,
                "built_in_list": "English",
            },
        ),
    ],
)
def test_preprocessing_mappings(
    tmp_path: Path, factory: str, own: dict[str, Any], node_type: str, expected: dict[str, Any]
) -> None:
    node, found = fragment(tmp_path, factory, {**PREPRO, **own})
    assert node.type == node_type and found == []
    common = {
        "document_column": "Document",
        "preprocess_unmodifiable": False,
        "replace_document": True,
        "new_document_column_name": "Preprocessed Document",
    }
    assert node.settings == {**common, **expected}
    _, found = fragment(tmp_path, factory, {**PREPRO, **own, "Deep Preprocessing": True})
    assert any("Deep Preprocessing" in f for f in found)


def test_unknown_option_values_are_findings(tmp_path: Path) -> None:
    _, found = fragment(tmp_path, SNOWBALL_STEMMER, {**PREPRO, "Stemmer Name": "Klingon"})
    assert any("Klingon" in f for f in found)
    _, found = fragment(
        tmp_path,
        STOP_WORD_FILTER,
        {**PREPRO, "Use built-in list": True, "Built-in list": "Elvish", "Case sensitive": False},
    )
    assert any("Elvish" in f for f in found)


def test_transformation_mappings(tmp_path: Path) -> None:
    bow = {
        "DocumentColumn": "Document",
        "ColumnFilter": {
            "filter-type": "STANDARD",
            "included_names": ["Document"],
            "excluded_names": ["title"],
            "enforce_option": "EnforceInclusion",
        },
        "TermColumn": "Term",
    }
    node, found = fragment(tmp_path, BAG_OF_WORDS, bow)
    assert node.type == "bag_of_words_creator" and found == []
    assert node.settings["ColumnFilter"]["included_names"] == ["Document"]
    cases: list[tuple[str, dict[str, Any], str]] = [
        (TF, {"DocCol": "Document", "Relative": False}, "term_frequency"),
        (IDF, {"DocCol": "Document", "Idfoptions": "normalized"}, "inverse_document_frequency"),
        (DF, {"DocCol": "Document"}, "document_frequency"),
        (CATEGORY_TO_CLASS, {"Document Column": "Document"}, "category_to_class"),
        (
            DOCUMENT_VECTOR,
            {
                "Value_Col": "Score",
                "Boolean": True,
                "Document_Col": "Document",
                "Ignore_Tags": True,
                "As_Collection": False,
            },
            "document_vector",
        ),
        (
            TERM_VECTOR,
            {
                "Value_Col": "Score",
                "Boolean": True,
                "Ignore Tags": True,
                "Document_Column": "Document",
                "As_Collection": True,
            },
            "term_vector",
        ),
    ]
    for factory, model, node_type in cases:
        node, found = fragment(tmp_path, factory, model)
        assert node.type == node_type and found == [], factory
    assert node.settings == {
        "Value_Col": "Score",
        "Boolean": True,
        "ignore_tags": True,
        "Document_Column": "Document",
        "As_Collection": True,
    }
