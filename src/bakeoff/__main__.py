"""`python -m bakeoff` and the `bakeoff` script: the CLI, where Ctrl-C at any moment, the
imports of its first second included, ends with one line and exit code 130, not a traceback."""

import sys


def main() -> None:
    try:
        from bakeoff.cli import main as cli

        cli()
    except KeyboardInterrupt:
        sys.stderr.write("bakeoff: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
