"""Start the chat app on the built-in corpus: the first start indexes `seeds/`, later starts reuse the index.

Usage: python app.py [--data-dir DIR] [--host 127.0.0.1] [--port 7860] [--share] [--model M] [--max-upload-mb 20]
"""

from __future__ import annotations

import argparse
import sys

from qa.chat.launcher import add_serve_options, run
from qa.config import resolve_data_dir
from qa.errors import QAError


def main(argv: list[str] | None = None) -> int:
    """Serve the chat app until interrupted; return the exit code."""
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where models, indexes, uploads and feedback are kept (default: $QA_DATA_DIR or ./.qa)")
    add_serve_options(parser)
    args = parser.parse_args(argv)
    try:
        run(args, resolve_data_dir(args.data_dir))
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
