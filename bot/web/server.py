"""The chat widget's page, served by the project itself (no CDN): python -m bot.web.

Serves web/public/ (the page, the embed script and its styles) and the pinned
rasa-webchat bundle from web/node_modules/, with headers that keep a health page private
and safe: a content security policy that runs only these scripts (nothing a message
contains can run) and lets the browser talk to nothing but the bot, no referrer, no
sniffing. The widget itself talks to the Rasa server's socket.io channel.
"""
from __future__ import annotations

import argparse
import html
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot import settings

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "web" / "public"
WEBCHAT_BUNDLE = ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
STATIC = {
    "/triage-widget.js": (PUBLIC / "triage-widget.js", "application/javascript"),
    "/triage-widget.css": (PUBLIC / "triage-widget.css", "text/css"),
    "/vendor/rasa-webchat.js": (WEBCHAT_BUNDLE, "application/javascript"),
}


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


def make_app(socket_url: str, emergency_number: str) -> web.Application:
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

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/health", health)
    app.router.add_get("/favicon.ico", lambda _: web.Response(status=204))
    for route in STATIC:
        app.router.add_get(route, static)
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
