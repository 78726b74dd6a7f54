#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""spdx.py: every source file of the tree carries its licence as an SPDX line.

  spdx.py TOP          list the files under TOP that lack the line; exit 1 if any
  spdx.py --fix TOP    add it where it is missing (C: line 1, scripts: after #!)

Source files: *.c, *.h, *.py, *.sh, *.cmake, *.gp, CMakeLists.txt and the
extensionless scripts that start with #! (.ci/run, tests/bench/run). Fuzz
corpora, build folders and docs/ are data, not source.
"""
import os
import sys

TAG = "SPDX-License-Identifier: ISC"
SKIP_DIRS = {".git", "corpus", "docs", "__pycache__"}
EXTS = {".c", ".h", ".py", ".sh", ".cmake", ".gp"}


def sources(top):
    for root, dirs, files in os.walk(top):
        # a build tree is whatever folder holds a CMakeCache.txt
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not
                         os.path.exists(os.path.join(root, d, "CMakeCache.txt")))
        for f in sorted(files):
            path = os.path.join(root, f)
            ext = os.path.splitext(f)[1]
            if ext in EXTS or f == "CMakeLists.txt":
                yield path
            elif ext == "" and os.access(path, os.X_OK):
                with open(path, "rb") as fh:
                    if fh.read(2) == b"#!":
                        yield path


def has_tag(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return TAG in f.read(600)


def add_tag(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines(True)
    if path.endswith((".c", ".h")):
        lines.insert(0, "/* %s */\n" % TAG)
    else:
        lines.insert(1 if lines and lines[0].startswith("#!") else 0, "# %s\n" % TAG)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(lines))


def main(argv):
    fix = "--fix" in argv
    args = [a for a in argv[1:] if a != "--fix"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    top = args[0]
    files = list(sources(top))
    missing = [p for p in files if not has_tag(p)]
    if fix:
        for p in missing:
            add_tag(p)
        print("spdx: added the line to %d files" % len(missing))
        return 0
    for p in missing:
        print("spdx: no '%s' line: %s" % (TAG, os.path.relpath(p, top)))
    print("spdx: %d source files checked, %d without the line" % (
        len(files), len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
