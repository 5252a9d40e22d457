"""python -m cfnews.pipeline.demo [--port N] [--feeds-out FILE]: serve the demo site until Ctrl-C and
write (or print) a feeds.yaml that points the pipeline at it."""
from __future__ import annotations

import argparse
import sys
import threading

from cfnews.pipeline.demo.site import DemoSite
from cfnews.pipeline.feeds_file import dump_feeds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cfnews.pipeline.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)")
    parser.add_argument("--feeds-out", help="write the demo feeds.yaml here instead of stdout")
    args = parser.parse_args(argv)
    with DemoSite(port=args.port) as site:
        text = dump_feeds(site.feeds)
        if args.feeds_out:
            with open(args.feeds_out, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
        print(f"demo site serving at {site.base_url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
