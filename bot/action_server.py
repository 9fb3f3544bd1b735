"""``python -m bot.action_server``: the action server (rasa_sdk's own app), bound to loopback, with bounded bodies.

What ``rasa run actions`` (``rasa_sdk.endpoint.run``) does, with the same options and logging, except:

- it listens on ``--interface``, 127.0.0.1 by default (rasa_sdk always takes ``$SANIC_HOST`` or 0.0.0.0): only the
  Rasa server on this machine calls it, and it has no authentication of its own;
- a body over ``--max-body`` bytes is answered 413, and so is a ``Content-Encoding: deflate`` body that inflates
  to more (rasa_sdk inflates it with ``zlib.decompress``, without limit). The default is 1 MiB, not the public
  Rasa server's 64 KB: every action call carries the whole conversation (about 4 KB a turn; the domain, 29 KB,
  only to actions that ask for it, none here: endpoints.yml), so 64 KB would break a long conversation;
- a ``/webhook`` body that is not a JSON object (or not valid deflate data) is answered 400, not 500;
- an unexpected error is answered 500 without the request (rasa_sdk echoes the whole action call, which holds
  the conversation, and the Rasa server writes that answer to its log); errors Sanic knows (404, 405, 413...)
  keep their own status (rasa_sdk's catch-all handler turned them into 500).
"""
from __future__ import annotations

import json
import logging
import zlib
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from common.settings import SettingsError, settings

logger = logging.getLogger("bot.action_server")  # also when run as __main__

INTERFACE = "127.0.0.1"
MAX_BODY = 1024 * 1024  # bytes, before and after inflating


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def inflate(body: bytes, max_body: int) -> bytes:
    """The deflate (zlib) ``body`` inflated; ``ValueError`` if it is not complete zlib data, ``OverflowError`` if it
    inflates to more than ``max_body`` bytes (inflating stops there)."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(body, max_body + 1)
    except zlib.error as exc:
        raise ValueError("the body is not valid deflate data") from exc
    if len(data) > max_body:
        raise OverflowError(f"the inflated body exceeds {max_body} bytes")
    if not inflater.eof or inflater.unused_data:
        raise ValueError("the body is not valid deflate data")
    return data


def harden(app: Sanic, max_body: int = MAX_BODY) -> Sanic:
    """Bound ``app``'s bodies (raw and inflated), check that an action call is a JSON object, and answer errors
    without echoing the request."""
    app.config.REQUEST_MAX_SIZE = max_body
    app.config.FALLBACK_ERROR_FORMAT = "json"  # Sanic's own errors (413...) as JSON, not an HTML page

    async def check_action_call(request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST" or request.path != "/webhook":
            return None
        if request.stream is not None and request.stream.request_body:
            # The body was not read: Sanic is answering an error (413) and runs the middleware first.
            return None
        body = request.body
        if request.headers.get("Content-Encoding") == "deflate":
            try:
                body = inflate(body, max_body)
            except OverflowError as exc:
                return error(413, str(exc))
            except ValueError as exc:
                return error(400, str(exc))
            # The handler reads the inflated body (rasa_sdk inflates only when this header is there).
            request.body = body
            del request.headers["Content-Encoding"]
        try:
            call = json.loads(body)
        except (ValueError, RecursionError):
            return error(400, "the body is not JSON")
        if not isinstance(call, dict):
            return error(400, "the body is not a JSON object")
        request.parsed_json = call  # what request.json returns in the handler
        return None

    async def on_error(request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, SanicException):  # 404, 405, 413...: Sanic's own answer
            return app.error_handler.default(request, exception)
        logger.error("action server error on %s %s", request.method, request.path, exc_info=exception)
        return error(500, "internal error")

    app.register_middleware(check_action_call, "request")
    app.error_handler.add(Exception, on_error)  # replaces rasa_sdk's, which echoes the request
    return app


def main(argv: Optional[List[str]] = None) -> None:
    parser = create_argument_parser()  # rasa_sdk's: --port, --actions, --cors, --ssl-*, --auto-reload, logging
    parser.prog = "python -m bot.action_server"
    parser.add_argument("--interface", default=INTERFACE, help="network interface to listen on (loopback)")
    parser.add_argument("--max-body", type=int, default=MAX_BODY,
                        help="largest request body in bytes, also after inflating a deflate body (413 beyond)")
    args = parser.parse_args(argv)
    try:
        settings()  # the actions read them on first use: a bad one stops the start instead, naming the variable
    except SettingsError as error:
        parser.error(str(error))

    # As rasa_sdk.__main__.main_from_args (what `rasa run actions` calls) sets up logging.
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()

    # As rasa_sdk.endpoint.run, on our interface and with our bounds.
    app = harden(create_app(args.actions or "actions", cors_origins=args.cors, auto_reload=args.auto_reload),
                 args.max_body)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    protocol = "https" if ssl_context else "http"
    logger.info("action server on %s://%s:%s (bodies up to %d bytes)", protocol, args.interface, args.port,
                args.max_body)
    app.run(args.interface, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
