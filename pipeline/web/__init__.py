"""`newsarchive serve`: the search page, the dashboard, the feeds and the JSON API over the archive."""
