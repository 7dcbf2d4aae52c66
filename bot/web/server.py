"""The chat widget's page, served by the project itself (no CDN): python -m bot.web.

Serves web/public/ (the page, the embed script and its styles) and the pinned
rasa-webchat bundle from web/node_modules/, with headers that keep a health page private
and safe: a content security policy that runs only these scripts (nothing a message
contains can run) and lets the browser talk to nothing but the bot, no referrer, no
sniffing. The widget itself talks to the Rasa server's socket.io channel.

It also serves the handover summaries (issue 16) from the records database: /summary/<token>
(a printable page), <token>.pdf and <token>.txt. The same policy, and no-store: a shared
computer's cache keeps no copy. A token that is malformed, unknown or expired gets the same bare
404, so the answer tells nothing about which; nothing of the request is logged.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot import settings
from bot.handover import summary
from bot.storage.summary_store import SummaryStore

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "web" / "public"
WEBCHAT_BUNDLE = ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
STATIC = {
    "/triage-widget.js": (PUBLIC / "triage-widget.js", "application/javascript"),
    "/triage-widget.css": (PUBLIC / "triage-widget.css", "text/css"),
    "/vendor/rasa-webchat.js": (WEBCHAT_BUNDLE, "application/javascript"),
    "/summary-page.js": (PUBLIC / "summary-page.js", "application/javascript"),
}
SUMMARY_FORMATS = {"": "text/html", ".pdf": "application/pdf", ".txt": "text/plain"}
# Health data: never kept by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


def socket_origins(socket_url: str) -> str:
    """The http(s) and ws(s) origins of the bot's socket, for connect-src."""
    parts = urlsplit(socket_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise settings.ConfigurationError(
            f"WIDGET_SOCKET_URL must be an http(s) URL such as http://localhost:5005; "
            f"got {socket_url!r}")
    ws = "wss" if parts.scheme == "https" else "ws"
    return f"{parts.scheme}://{parts.netloc} {ws}://{parts.netloc}"


def security_headers(socket_url: str) -> dict:
    policy = ("default-src 'none'; script-src 'self'; "
              # rasa-webchat injects its stylesheet as <style> elements
              "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
              f"connect-src 'self' {socket_origins(socket_url)}; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def render_page(socket_url: str, emergency_number: str) -> str:
    page = (PUBLIC / "index.html").read_text(encoding="utf-8")
    return (page.replace("{{socket_url}}", html.escape(socket_url, quote=True))
                .replace("{{emergency_number}}", html.escape(emergency_number, quote=True)))


def summary_name(name: str):
    """(token, format suffix) of /summary/<name>, or None when it is not one."""
    for suffix in (".pdf", ".txt"):
        if name.endswith(suffix):
            return name[:-len(suffix)], suffix
    return name, ""


def render_summary(found: dict, suffix: str, token: str):
    parts = summary.sections(found["facts"], reference=found["reference"],
                             created_at=found["created_at"], expires_at=found["expires_at"])
    if suffix == ".pdf":
        return summary.as_pdf(parts)
    if suffix == ".txt":
        return summary.as_text(parts).encode("utf-8")
    return summary.as_html(parts, pdf_url=f"/summary/{token}.pdf",
                           script_url="/summary-page.js").encode("utf-8")


def make_app(socket_url: str, emergency_number: str,
             summaries: SummaryStore = None) -> web.Application:
    if not WEBCHAT_BUNDLE.exists():
        raise settings.ConfigurationError(
            f"the widget bundle is missing ({WEBCHAT_BUNDLE}); run: make web")
    headers = security_headers(socket_url)
    page = render_page(socket_url, emergency_number)

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", headers=headers)

    async def static(request: web.Request) -> web.Response:
        path, content_type = STATIC[request.path]
        return web.Response(body=path.read_bytes(), content_type=content_type,
                            headers=headers)

    summaries = summaries or SummaryStore()
    private = {**headers, **NO_STORE}

    async def summary_page(request: web.Request) -> web.Response:
        token, suffix = summary_name(request.match_info["name"])
        try:
            found = await asyncio.to_thread(summaries.get, token)
            body = None if found is None else \
                await asyncio.to_thread(render_summary, found, suffix, token)
        except Exception as error:  # noqa: BLE001 - logged by type only: no health data
            logger.error("summary not served: %s", type(error).__name__)
            return web.Response(status=503, text="Service unavailable", headers=private)
        if body is None:
            return web.Response(status=404, text="Not found", headers=private)
        extra = {"Content-Disposition": 'attachment; filename="back-pain-summary.pdf"'} \
            if suffix == ".pdf" else {}
        return web.Response(body=body, content_type=SUMMARY_FORMATS[suffix],
                            charset=None if suffix == ".pdf" else "utf-8",
                            headers={**private, **extra})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/health", health)
    app.router.add_get("/favicon.ico", lambda _: web.Response(status=204))
    for route in STATIC:
        app.router.add_get(route, static)
    app.router.add_get("/summary/{name}", summary_page)
    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Serve the chat widget's page.")
    parser.add_argument("--host", default=os.environ.get("WIDGET_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WIDGET_PORT", 8080)))
    parser.add_argument("--socket-url", default=os.environ.get(
        "WIDGET_SOCKET_URL", f"http://localhost:{os.environ.get('RASA_PORT', '5005')}"),
        help="where browsers reach the Rasa server (its socket.io channel)")
    args = parser.parse_args(argv)
    try:
        app = make_app(args.socket_url, settings.emergency_number())
    except settings.ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
