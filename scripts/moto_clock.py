"""moto's server mode with a clock that can be set back, for an estate that has to look old.

AWS stamps a resource with the time it was created (a volume's CreateTime, a snapshot's StartTime, an image's
CreationDate); moto stamps it with its own clock. To build an estate whose resources are months old, the caller
sets the clock back, creates them, and sets it right again:

    POST /_clock {"offset_seconds": -8640000}   # from now on, moto's "now" is 100 days ago (and ticks)
    POST /_clock {"offset_seconds": 0}          # the real time again

Everything else is moto's own server (`moto_server -H HOST -p PORT`). Needs freezegun (pip install freezegun).
"""

import argparse
import json
import os
import signal
import sys
from datetime import datetime, timedelta, timezone

from freezegun import freeze_time
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

CLOCK_PATH = "/_clock"


class Clock:
    def __init__(self):
        self._frozen = None

    def set_offset(self, seconds):
        if self._frozen is not None:
            self._frozen.stop()
            self._frozen = None
        if seconds:
            start = datetime.now(timezone.utc) + timedelta(seconds=seconds)
            self._frozen = freeze_time(start, tick=True)
            self._frozen.start()
        return datetime.now(timezone.utc)


def with_clock(app, clock):
    def serve(environ, start_response):
        if environ.get("PATH_INFO") != CLOCK_PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
            return [b"POST {\"offset_seconds\": N}\n"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            offset = float(body.get("offset_seconds", 0))
        except (ValueError, AttributeError) as error:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"{error}\n".encode()]
        now = clock.set_offset(offset)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"now": now.isoformat()}).encode()]

    return serve


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto_server does: moto builds some URLs from it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, with_clock(app, Clock()), threaded=True)


if __name__ == "__main__":
    main()
