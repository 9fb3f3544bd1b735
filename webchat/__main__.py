"""``python -m webchat``: serve the chat script and the demo page (static files, loopback by default).

The demo page's config (the assistant's URL) is filled in from --rasa-url, so the same page works
against `make run` and against the tests' own servers.
"""
from __future__ import annotations

import argparse
import functools
import json
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
CONFIG_MARKER = "/*WEBCHAT_CONFIG*/"


class Handler(SimpleHTTPRequestHandler):
    rasa_url = "http://127.0.0.1:5005"

    def do_GET(self) -> None:  # noqa: N802
        if self.path in ("/", "/index.html", "/demo.html"):
            page = (STATIC / "demo.html").read_text(encoding="utf-8")
            config = json.dumps({"serverUrl": self.rasa_url, "title": "青森県 中小企業支援 相談アシスタント"},
                                ensure_ascii=False)
            body = page.replace(CONFIG_MARKER, f"window.aomoriChatConfig = {config};").encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m webchat")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5080)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    Handler.rasa_url = args.rasa_url
    server = ThreadingHTTPServer((args.host, args.port), functools.partial(Handler, directory=str(STATIC)))
    print(f"web chat demo page: http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
