"""Factories whose translations are tested by index or by pattern in the node families' own tests
(e.g. `Joiner.knime[1]`, `ColorAppender{version}NodeFactory`): named here, so the importer's
coverage check (every mapping is exercised by an archive node or a named test) sees them, and
checked to lead to the node type those tests exercise."""

from __future__ import annotations

import pytest

from engine.knime import knime_index

FACTORIES = {
    "org.knime.base.node.preproc.joiner.Joiner2NodeFactory": "joiner",
    "org.knime.base.node.preproc.joiner3.Joiner3NodeFactory": "joiner",
    "org.knime.base.node.preproc.append.row.AppendedRowsNodeFactory": "concatenate",
    "org.knime.base.node.preproc.append.row.AppendedRowsWithOptionalInNodeFactory": "concatenate",
    "org.knime.base.node.preproc.duplicates.DuplicateRowFilterNodeFactory": "duplicate_row_filter",
    "org.knime.base.node.preproc.equalsizesampling.EqualSizeSamplingNodeFactory": "equal_size_sampling",
    "org.knime.base.node.preproc.filter.rowref.RowFilterRefNodeFactory": "reference_row_filter",
    "org.knime.base.node.preproc.filter.rowref.RowSplitRefNodeFactory": "reference_row_splitter",
    "org.knime.base.node.preproc.rank.RankNodeFactory": "rank",
    "org.knime.base.node.preproc.rank.RankNodeFactory2": "rank",
    "org.knime.base.node.viz.property.color.ColorAppender2NodeFactory": "color_appender",
    "org.knime.base.node.viz.property.color.ColorAppender3NodeFactory": "color_appender",
    "org.knime.bigdata.fileformats.parquet.reader.ParquetReaderNodeFactory": "parquet_reader",
    "org.knime.bigdata.fileformats.parquet.writer.ParquetWriterNodeFactory": "parquet_writer",
    "org.knime.bigdata.fileformats.parquet.writer2.ParquetWriter2NodeFactory": "parquet_writer",
    "org.knime.bigdata.fileformats.parquet.writer3.ParquetWriter3NodeFactory": "parquet_writer",
    "org.knime.ext.poi3.node.io.filehandling.excel.reader.ExcelTableReaderNodeFactory": "excel_reader",
    "org.knime.ext.poi3.node.io.filehandling.excel.writer.ExcelTableWriterNodeFactory": "excel_writer",
    "org.knime.base.node.mine.decisiontree2.learner2.DecisionTreeLearnerNodeFactory2": "decision_tree_learner",
    "org.knime.base.node.mine.treeensemble2.node.gradientboosting.predictor.regression."
    "GradientBoostingRegressionPredictorNodeFactory": "gradient_boosted_trees_predictor_regression",
    "org.knime.base.node.mine.treeensemble2.node.gradientboosting.predictor.regression."
    "GradientBoostingRegressionPredictorNodeFactory2": "gradient_boosted_trees_predictor_regression",
}


@pytest.mark.parametrize("factory", sorted(FACTORIES))
def test_factory_leads_to_its_node_type(factory: str) -> None:
    cls, _ = knime_index()[factory]
    assert cls.type_name == FACTORIES[factory]
