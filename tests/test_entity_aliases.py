"""Entities across the archive (schemas/views/15_entities.sql): a short form merged into
one full name in most articles stands for it everywhere; a form split between two names
stays itself."""

import duckdb
import pytest

from schemas import SCHEMAS_DIR

# (article, entity, type, surface forms, count)
MENTIONS = [
    ("a1", "Joe Biden", "person", ["Biden", "Joe Biden"], 4),
    ("a2", "Joe Biden", "person", ["Biden", "Joe Biden"], 2),
    ("a3", "Biden", "person", ["Biden"], 3),  # only the surname: counts under the full name
    ("a4", "Hunter Biden", "person", ["Biden", "Hunter Biden"], 1),  # a third of "Biden" would not move it
    ("a1", "Boris Johnson", "person", ["Boris Johnson", "Johnson"], 2),
    ("a2", "Dwayne Johnson", "person", ["Dwayne Johnson", "Johnson"], 1),
    ("a5", "Johnson", "person", ["Johnson"], 1),  # split between two: stays itself
    ("a5", "Biden", "organisation", ["Biden"], 1),  # another type is another entity
]


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE mentions (article_id VARCHAR, entity VARCHAR, entity_type VARCHAR, "
                "surface_forms VARCHAR[], mention_count INT, first_position INT)")
    con.executemany("INSERT INTO mentions VALUES (?, ?, ?, ?, ?, 0)", MENTIONS)
    con.execute((SCHEMAS_DIR / "views" / "15_entities.sql").read_text())
    return con


def test_aliases_need_two_thirds_of_the_merges(con):
    rows = con.sql("SELECT alias, entity_type, entity, articles, merged_articles, alias_articles "
                   "FROM entity_aliases ORDER BY alias").fetchall()
    assert rows == [("Biden", "person", "Joe Biden", 2, 3, 4)]


def test_a_form_mostly_used_alone_is_no_alias(con):
    """One article merged "Putin" into "Vladimir Putin"; in three more it stands alone
    (say, another Putin): one in four is too little evidence."""
    con.executemany("INSERT INTO mentions VALUES (?, ?, 'person', ?, 1, 0)",
                    [("p1", "Vladimir Putin", ["Putin", "Vladimir Putin"]),
                     *((f"p{i}", "Putin", ["Putin"]) for i in range(2, 5))])
    assert con.sql("SELECT count(*) FROM entity_aliases WHERE alias = 'Putin'").fetchone()[0] == 0


def test_article_entities_count_a_lone_surname_under_the_full_name(con):
    rows = con.sql("SELECT article_id, entity, article_entities, mention_count FROM article_entities "
                   "WHERE entity_type = 'person' ORDER BY article_id, entity").fetchall()
    assert ("a3", "Joe Biden", ["Biden"], 3) in rows
    assert ("a5", "Johnson", ["Johnson"], 1) in rows
    by_name = con.sql("SELECT entity, count(DISTINCT article_id) FROM article_entities WHERE entity_type = 'person' "
                      "GROUP BY entity ORDER BY entity").fetchall()
    assert by_name == [("Boris Johnson", 1), ("Dwayne Johnson", 1), ("Hunter Biden", 1), ("Joe Biden", 3), ("Johnson", 1)]
