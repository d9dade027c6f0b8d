"""Entities across the archive (schemas/views/15_entities.sql): a short form merged into
one full name in most articles stands for it everywhere; a form split between two names
stays itself."""

import random

import duckdb
import pyarrow as pa
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


def test_an_article_naming_both_forms_apart_has_one_row_for_the_full_name(con):
    """The tagger did not merge "Biden" in a6 (its own row): the alias joins it to the
    full name's row of the same article, counts and first position combined."""
    con.executemany("INSERT INTO mentions VALUES (?, ?, 'person', ?, ?, ?)",
                    [("a6", "Joe Biden", ["Joe Biden"], 2, 40), ("a6", "Biden", ["Biden"], 3, 10)])
    rows = con.sql("SELECT entity, article_entities, list_sort(surface_forms), mention_count, first_position "
                   "FROM article_entities WHERE article_id = 'a6'").fetchall()
    assert rows == [("Joe Biden", ["Biden", "Joe Biden"], ["Biden", "Joe Biden"], 5, 10)]


def test_one_article_s_merge_is_no_alias(con):
    """One article merged "Smith" into "Chris Smith"; another says "Agent Smith", the malware,
    tagged "Smith": it is not his."""
    con.executemany("INSERT INTO mentions VALUES (?, ?, 'person', ?, 1, 0)",
                    [("s1", "Chris Smith", ["Chris Smith", "Smith"]), ("s2", "Smith", ["Smith"])])
    assert con.sql("SELECT count(*) FROM entity_aliases WHERE alias = 'Smith'").fetchone()[0] == 0
    assert ("s2", "Smith") in con.sql("SELECT article_id, entity FROM article_entities").fetchall()


def test_an_alias_stays_apart_where_the_article_names_another_it_could_stand_for(con):
    """a7 names Joe and Hunter Biden, and "Biden" alone, which the tagger left apart: the
    archive's alias of "Biden" for Joe Biden does not decide it for this article."""
    con.executemany("INSERT INTO mentions VALUES (?, ?, 'person', ?, ?, ?)",
                    [("a7", "Joe Biden", ["Joe Biden"], 1, 0), ("a7", "Hunter Biden", ["Hunter Biden"], 2, 30),
                     ("a7", "Biden", ["Biden"], 6, 50)])
    rows = con.sql("SELECT entity, mention_count FROM article_entities WHERE article_id = 'a7' ORDER BY entity").fetchall()
    assert rows == [("Biden", 6), ("Hunter Biden", 2), ("Joe Biden", 1)]
    # A family name written first: "Xi" beside Xi Jinping and Xi Mingze is neither's.
    con.executemany("INSERT INTO mentions VALUES (?, ?, 'person', ?, 1, 0)",
                    [("x1", "Xi Jinping", ["Xi", "Xi Jinping"]), ("x2", "Xi Jinping", ["Xi", "Xi Jinping"]),
                     ("x3", "Xi Jinping", ["Xi Jinping"]), ("x3", "Xi Mingze", ["Xi Mingze"]), ("x3", "Xi", ["Xi"]),
                     ("x4", "Xi", ["Xi"])])
    xi = con.sql("SELECT article_id, entity FROM article_entities WHERE article_id IN ('x3', 'x4') ORDER BY ALL")
    assert xi.fetchall() == [("x3", "Xi"), ("x3", "Xi Jinping"), ("x3", "Xi Mingze"), ("x4", "Xi Jinping")]
    assert ("a3", "Joe Biden") in con.sql("SELECT article_id, entity FROM article_entities").fetchall()


# The view's definition at its simplest: every row grouped. The view groups only the rows
# an alias touches; on any mentions the two must agree.
GROUPED = """
WITH mapped AS (
    SELECT m.*, CASE WHEN NOT EXISTS (
        SELECT 1 FROM mentions o WHERE o.article_id = m.article_id AND o.entity_type = m.entity_type
        AND o.entity <> a.entity AND (o.entity LIKE '% ' || m.entity
                                      OR (m.entity_type = 'person' AND o.entity LIKE m.entity || ' %'))
    ) THEN a.entity END AS canonical
    FROM mentions m LEFT JOIN entity_aliases a ON a.alias = m.entity AND a.entity_type = m.entity_type
)
SELECT article_id, coalesce(canonical, entity) AS entity, entity_type,
       list(DISTINCT entity ORDER BY entity) AS article_entities,
       list_sort(flatten(list(surface_forms))) AS surface_forms,
       sum(mention_count)::INT AS mention_count, min(first_position) AS first_position
FROM mapped GROUP BY article_id, coalesce(canonical, entity), entity_type"""


def test_article_entities_equal_every_row_grouped_on_random_mentions(con):
    rng = random.Random(5)
    usual = {"Biden": "Joe", "Putin": "Vladimir", "Johnson": "Boris", "Blinken": "Antony"}
    rows = {}
    for article in range(1200):
        for _ in range(rng.randint(1, 4)):
            surname = rng.choice(list(usual))
            full = f"{usual[surname] if rng.random() < 0.8 else 'Ann'} {surname}"
            entity = surname if rng.random() < 0.2 else full
            forms = sorted({entity, surname} if rng.random() < 0.8 else {entity})
            rows[(f"r{article}", entity)] = (forms, rng.randint(1, 5), rng.randint(0, 500))
    mentions = pa.table({"article_id": [a for a, _ in rows], "entity": [e for _, e in rows],
                         "forms": [r[0] for r in rows.values()], "n": [r[1] for r in rows.values()],
                         "position": [r[2] for r in rows.values()]})
    con.register("random_mentions", mentions)
    con.execute("DELETE FROM mentions; INSERT INTO mentions SELECT article_id, entity, 'person', forms, n, position "
                "FROM random_mentions")
    merged_apart = con.sql("SELECT count(*) FROM article_entities WHERE len(article_entities) > 1").fetchone()[0]
    # Both branches are used: aliases, and articles where a form had a row of its own.
    assert con.sql("SELECT count(*) FROM entity_aliases").fetchone()[0] >= 2 and merged_apart >= 10
    withheld = con.sql("SELECT count(*) FROM article_entities a JOIN entity_aliases x ON x.alias = a.entity").fetchone()[0]
    assert withheld >= 10  # and an alias kept apart where its article names another full name it fits
    view = con.sql("SELECT article_id, entity, entity_type, article_entities, list_sort(surface_forms), "
                   "mention_count, first_position FROM article_entities ORDER BY ALL").fetchall()
    assert view == con.sql(f"SELECT * FROM ({GROUPED}) ORDER BY ALL").fetchall()
