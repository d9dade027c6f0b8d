"""`newsarchive report`: the latest days first, so that --limit keeps them."""

import duckdb

from pipeline.report import report


def test_reports_show_the_latest_days_first():
    con = duckdb.connect()
    con.execute("CREATE TABLE daily_volume_by_outlet AS SELECT * FROM (VALUES "
                "(DATE '2004-01-01', 'Betty Crocker', 1, 0, 0, 0, 90), (DATE '2021-12-23', 'LAist', 1, 0, 1, 0, 900), "
                "(DATE '2021-12-23', 'AP', 2, 1, 2, 0, 800), (NULL, 'NPR', 1, 0, 0, 1, 50)) "
                "AS t(day, outlet, articles, duplicates, wire_articles, inferred_dates, words)")
    con.execute("CREATE TABLE top_entities_by_day AS SELECT * FROM (VALUES "
                "(DATE '2021-12-22', 'Joe Biden', 1), (DATE '2021-12-23', 'Vladimir Putin', 2), "
                "(DATE '2021-12-23', 'Joe Biden', 1), (DATE '2021-12-23', 'Kyiv', 11)) AS t(day, entity, rank)")
    days = report(con, "daily_volume_by_outlet", limit=2).fetchall()
    assert [(str(d[0]), d[1]) for d in days] == [("2021-12-23", "AP"), ("2021-12-23", "LAist")]
    assert [r[0] for r in report(con, "daily_volume_by_outlet").fetchall()][-1] is None  # undated last
    entities = report(con, "top_entities_by_day").fetchall()
    assert [(str(d), e) for d, e, _ in entities] == [
        ("2021-12-23", "Joe Biden"), ("2021-12-23", "Vladimir Putin"), ("2021-12-22", "Joe Biden")]  # top 10 only
