"""The web app: the search page, the article, story and entity pages and the JSON API (the
dashboard and feeds come from pipeline/web/dashboard.py). Every request reads the archive
through its own read-only connection, pinned when the request starts (pipeline/web/db.py),
so a run published meanwhile shows up on the next request, and a run holding the lock
never blocks a reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import duckdb
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.search import SearchFilters, count, highlight, query_terms, search
from pipeline.web import queries
from pipeline.web.db import connection

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 10
# Errors under these paths are answered in JSON (the API, the dashboard's feeds); elsewhere with a page.
JSON_PATHS = ("/api/", "/feeds")
API_MAX_LIMIT = 100


@dataclass(frozen=True)
class SearchForm:
    """The search page's and the API's query parameters as given (empty strings for unset
    fields, so the form can be filled in again), and the filters they make."""

    q: str = ""
    outlet: str = ""
    lang: str = ""
    entity: str = ""
    wire: str = ""
    since: str = ""
    until: str = ""
    include_duplicates: bool = False

    def filters(self) -> SearchFilters:
        return SearchFilters(outlet=self.outlet or None, language=self.lang or None,
                             since=parse_day(self.since, "since"), until=parse_day(self.until, "until"),
                             entity=self.entity or None, wire_service=self.wire or None)

    def params(self, **changes) -> str:
        """The query string of this search (for paging links), unset fields left out."""
        values = {"q": self.q, "outlet": self.outlet, "lang": self.lang, "entity": self.entity,
                  "wire": self.wire, "since": self.since, "until": self.until,
                  "include_duplicates": "1" if self.include_duplicates else "", **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


class BadParameter(ValueError):
    pass


def parse_day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"{name} must be a day as YYYY-MM-DD, not {value!r}") from None


def search_form(q: str = "", outlet: str = "", lang: str = "", entity: str = "", wire: str = "",
                since: str = "", until: str = "", include_duplicates: str = "") -> SearchForm:
    """FastAPI dependency: the search parameters, all optional strings (a form sends
    empty fields), checked when the filters are made."""
    return SearchForm(q=q.strip(), outlet=outlet, lang=lang, entity=entity.strip(), wire=wire,
                      since=since, until=until,
                      include_duplicates=include_duplicates.lower() in ("1", "true", "yes", "on"))


def run_search(con: duckdb.DuckDBPyConnection, form: SearchForm, limit: int, offset: int) -> dict:
    """Hits of one page of a search, each with its story size (and duplicates when asked),
    and the total over the same filtered search."""
    filters = form.filters()
    if not form.q:
        return {"total": 0, "hits": [], "terms": []}
    hits = search(con, form.q, filters, limit=limit, offset=offset)
    total = count(con, form.q, filters)
    ids = [h["article_id"] for h in hits]
    sizes = queries.story_sizes(con, ids)
    duplicates = queries.duplicates_of(con, ids) if form.include_duplicates else {}
    for h in hits:
        h["story_size"] = sizes[h["article_id"]]
        if form.include_duplicates:
            h["duplicates"] = duplicates[h["article_id"]]
    return {"total": total, "hits": hits, "terms": query_terms(con, form.q)}


def one_or_404(found: dict | None, what: str, key: str) -> dict:
    """What a page or API route looked up, or a 404 naming what is not in the archive."""
    if found is None:
        raise HTTPException(404, f"no {what} {key!r} in the archive")
    return found


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PATHS)


def create_app(archive: Path) -> FastAPI:
    app = FastAPI(title="newsarchive", summary="Search the news archive: pages, article views and a JSON API.",
                  docs_url="/docs")
    app.state.archive = Path(archive)
    templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates = templates  # for the dashboard's pages too
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException):
        """JSON under /api and /feeds, a plain page elsewhere: never a traceback."""
        if wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return page(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                    status_code=exc.status_code)

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, exc: BadParameter):
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return page(request, "error.html", {"status": 422, "detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        if wants_json(request):
            return await request_validation_exception_handler(request, exc)
        detail = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        return page(request, "error.html", {"status": 422, "detail": detail}, status_code=422)

    # --- pages ---------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, summary="Search page")
    def search_page(request: Request, form: SearchForm = Depends(search_form),
                    page_number: int = Query(1, alias="page", ge=1),
                    con: duckdb.DuckDBPyConnection = Depends(connection)):
        offset = (page_number - 1) * PAGE_SIZE
        found = run_search(con, form, PAGE_SIZE, offset)
        for h in found["hits"]:
            h["snippet_html"] = Markup(highlight(h["snippet"], found["terms"]))
        return page(request, "search.html", {
            "form": form,
            "outlets": queries.outlets(con),
            "languages": queries.languages(con),
            "wire_services": queries.wire_services(con),
            "hits": found["hits"],
            "total": found["total"],
            "first": offset + 1,
            "prev_url": f"/?{form.params(page=page_number - 1)}" if page_number > 1 else None,
            "next_url": f"/?{form.params(page=page_number + 1)}" if offset + PAGE_SIZE < found["total"] else None,
        })

    @app.get("/articles/{article_id}", response_class=HTMLResponse, summary="Article page")
    def article_page(request: Request, article_id: str, con: duckdb.DuckDBPyConnection = Depends(connection)):
        found = one_or_404(queries.article(con, article_id), "article", article_id)
        text = found["document"]["text"] or ""
        return page(request, "article.html", {
            **found,
            "paragraphs": [p.strip() for p in text.split("\n\n") if p.strip()],
            "story": queries.story_of(con, found["story_id"], leave_out=article_id),
        })

    @app.get("/stories/{story_id}", response_class=HTMLResponse, summary="Story page")
    def story_page(request: Request, story_id: str, con: duckdb.DuckDBPyConnection = Depends(connection)):
        found = one_or_404(queries.story(con, story_id), "story", story_id)
        # each member says which article it matched: named by that article's title
        titles = {m["article_id"]: m["title"] for m in found["members"]}
        return page(request, "story.html", {**found, "titles": titles})

    @app.get("/entities/{name:path}", response_class=HTMLResponse, summary="Entity page")
    def entity_page(request: Request, name: str, con: duckdb.DuckDBPyConnection = Depends(connection)):
        found = one_or_404(queries.entity(con, name), "entity", name)
        return page(request, "entity.html", {**found, "asked": name})

    # --- JSON API ------------------------------------------------------------------------

    @app.get("/api/search", summary="Ranked search (BM25), as `newsarchive search --json`")
    def api_search(form: SearchForm = Depends(search_form), limit: int = Query(10, ge=1, le=API_MAX_LIMIT),
                   offset: int = Query(0, ge=0), con: duckdb.DuckDBPyConnection = Depends(connection)) -> dict:
        found = run_search(con, form, limit, offset)
        return {"query": form.q, "total": found["total"], "limit": limit, "offset": offset, "results": found["hits"]}

    @app.get("/api/articles/{article_id}", summary="One article: its document fields and every tag")
    def api_article(article_id: str, con: duckdb.DuckDBPyConnection = Depends(connection)) -> dict:
        return one_or_404(queries.article(con, article_id), "article", article_id)

    @app.get("/api/stories/{story_id}", summary="One story: its articles and why each belongs")
    def api_story(story_id: str, con: duckdb.DuckDBPyConnection = Depends(connection)) -> dict:
        return one_or_404(queries.story(con, story_id), "story", story_id)

    @app.get("/api/entities/{name:path}", summary="One entity under its archive-wide name")
    def api_entity(name: str, con: duckdb.DuckDBPyConnection = Depends(connection)) -> dict:
        return one_or_404(queries.entity(con, name), "entity", name)

    from pipeline.web import dashboard  # imported here: it may use what this module defines

    app.include_router(dashboard.router)
    return app
