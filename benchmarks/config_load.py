"""Speed of reading and changing a large feeds.toml, and of importing a large OPML file.

    python benchmarks/config_load.py [--sizes 1000,5000,20000,100000] [--limit 60]

For each size N it writes a feeds.toml of N feeds (name, url, tags, countries; a comment every tenth
feed) and an OPML file of N outlines in 20 folders, then times, each in a fresh interpreter (so one slow
step cannot hold up the rest; `--limit` seconds each, then reported as over the limit):
- tomllib only: `tomllib.loads` of that file's text, which every load starts with;
- load: `load_config` of the N-feed file; target < 1 s at 20,000 feeds;
- load, error at the end: the same file with a bad country code in its last feed (the error's line
  number is checked, so finding it must stay exact);
- add: `add_feed` of one new feed to the N-feed file (parse, append, re-validate, write);
- remove: `remove_feed` of the feed in the middle of the N-feed file;
- import: `import_opml` of the N-outline file into an empty feeds.toml.
Times grow linearly with N when nothing is quadratic: compare the per-1,000 column across sizes. The CPU
column is the child's own CPU time, which other work on the machine inflates less than the wall clock.
"tomllib only" is the parse alone, the floor under "load".
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


def feeds_toml(count: int, *, bad_last: bool = False) -> str:
    parts = ["# a large feed list\n[settings]\nkeep_days = 30\n"]
    for n in range(count):
        comment = f"# feed number {n}\n" if n % 10 == 0 else ""
        countries = '"Armenia"' if bad_last and n == count - 1 else '"AM", "GE"'
        parts.append(f'\n{comment}[[feeds]]\nname = "Feed {n}"\nurl = "https://site{n}.example/feed.xml"\n'
                     f'tags = ["folder {n % 20}"]\ncountries = [{countries}]\n')
    return "".join(parts)


def opml(count: int) -> str:
    folders: dict[int, list[str]] = {}
    for n in range(count):
        folders.setdefault(n % 20, []).append(
            f'      <outline type="rss" text="Outline {n}" xmlUrl="https://other{n}.example/rss"/>')
    body = "\n".join(f'    <outline text="Folder {f}">\n' + "\n".join(lines) + "\n    </outline>"
                     for f, lines in folders.items())
    return f'<?xml version="1.0"?>\n<opml version="2.0"><head><title>big</title></head><body>\n{body}\n</body></opml>\n'


IMPORTS = ("import tomllib\n"
           "from newsreader.config import ConfigError, load_config\n"
           "from newsreader.config.edit import add_feed, remove_feed\n"
           "from newsreader.config.opml import import_opml\n"
           "from newsreader.config.types import FeedConfig\n")
STEPS = {
    "tomllib only": "tomllib.loads(open(ARGS[0], encoding='utf-8').read())",
    "load": "load_config(ARGS[0])",
    "load, error at the end": (
        "try:\n    load_config(ARGS[0])\nexcept ConfigError as error:\n"
        "    assert error.line == int(ARGS[1]), (error.line, ARGS[1])\nelse:\n    raise SystemExit('no error')"
    ),
    "add": "add_feed(ARGS[0], FeedConfig(name='New', url='https://new.example/feed'))",
    "remove": "remove_feed(ARGS[0], ARGS[1])",
    "import": "import_opml(ARGS[0], ARGS[1])",
}


def timed(step: str, args: list[str], limit: float) -> tuple[float, float] | str | None:
    """(seconds, CPU seconds) the step took; None past the limit; the error's last line if it failed."""
    code = ("import sys, time\nARGS = sys.argv[1:]\n" + IMPORTS
            + "t0, c0 = time.perf_counter(), time.process_time()\n" + STEPS[step]
            + "\nprint(time.perf_counter() - t0, time.process_time() - c0)\n")
    try:
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    if run.returncode != 0:
        return (run.stderr.strip().splitlines() or ["failed"])[-1]
    wall, cpu = run.stdout.split()[-2:]
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000,100000")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed for one step")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    print(f"{'step':<24}{'feeds':>8}{'seconds':>10}{'CPU s':>8}{'per 1,000':>11}")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for size in sizes:
            good = feeds_toml(size)
            bad = feeds_toml(size, bad_last=True)
            bad_line = bad.count("\n")  # the countries line is the file's last
            (root / "bad.toml").write_text(bad)
            (root / "big.opml").write_text(opml(size))
            for step in STEPS:
                (root / "feeds.toml").write_text(good)
                (root / "empty.toml").unlink(missing_ok=True)
                args = {
                    "tomllib only": [str(root / "feeds.toml")],
                    "load": [str(root / "feeds.toml")],
                    "load, error at the end": [str(root / "bad.toml"), str(bad_line)],
                    "add": [str(root / "feeds.toml")],
                    "remove": [str(root / "feeds.toml"), f"Feed {size // 2}"],
                    "import": [str(root / "big.opml"), str(root / "empty.toml")],
                }[step]
                result = timed(step, args, options.limit)
                if isinstance(result, str):
                    print(f"{step:<24}{size:>8}  {result}", flush=True)
                elif result is None:
                    print(f"{step:<24}{size:>8}{'> ' + format(options.limit, 'g'):>10}", flush=True)
                else:
                    wall, cpu = result
                    print(f"{step:<24}{size:>8}{wall:>10.3f}{cpu:>8.3f}{wall / size * 1000:>11.4f}", flush=True)


if __name__ == "__main__":
    main()
