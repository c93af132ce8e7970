"""Which files of the lab are the student's, and which the harness's.

The manifest `student-paths` at the root of the tree lists what the student
owns: one path per line, relative to the root, a folder with a trailing /;
blank lines and # comments are ignored. Everything else belongs to the
harness. scripts/handout and scripts/grade (teachers' tools) import this
module from their own folder; scripts/test-tools reads the manifest too.

    student_paths(root)          the manifest's entries
    is_student(rel, paths)       whether a path relative to the root is the student's
    student_files(root, paths)   the student's files under root, as they are on disk
    harness_files(root, paths)   the harness files a student gets (see TEACHER_ONLY)
    untracked(root)              the files git does not track yet (nor ignores)
"""
import fnmatch
import os
import subprocess

MANIFEST = "student-paths"

# Never handed out, never part of a grading build: the teachers' tools and
# their tests, notes and CI; other Raft implementations (tests/impls/, and
# the corpus of broken ones in tests/corpus/ with its runner: whole Rafts,
# some close to working; the hostile submissions of tests/hostile/; the
# mutants of tests/mutants/, changes to the reference; the rsm of Lab 4A, below). README.md is left out because the handout writes
# the student's own.
TEACHER_ONLY = [
    "scripts/grade", "scripts/rubric.json", "scripts/handout", "scripts/labtree.py", "scripts/sandbox.py",
    "scripts/gradescope", "scripts/rubric-gradescope.json", "scripts/test-tools", "scripts/test-timeline", "scripts/test-corpus",
    "scripts/test-hostile", "scripts/mutants", "tests/tools/", "tests/encoding/", "tests/impls/", "tests/corpus/",
    "tests/hostile/", "tests/mutants/", "scripts/test-editions", "tests/editions/",
    "docs/", ".ci/", "README.md",
    # Lab 4A's rsm is the reference whole, with no skeleton cut yet: kept
    # back, with its tests, until the handout cuts kvraft/rsm/ as a student path.
    "kvraft/rsm/", "tests/rsm/",
    # Lab 4B's key/value server and Clerk likewise, with their tests.
    "kvraft/server.hpp", "kvraft/server.cpp", "kvraft/client.hpp", "kvraft/client.cpp", "tests/kvraft/",
]

# Build products and caches, wherever they are.
JUNK = ["build", "*.o", "*.d", "*.log", "__pycache__", "*.pyc", ".git"]


class ManifestError(Exception):
    pass


def student_paths(root):
    path = os.path.join(root, MANIFEST)
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise ManifestError("cannot read the manifest of student paths: %s" % e)
    paths = []
    for no, line in enumerate(lines, 1):
        p = line.split("#", 1)[0].strip()
        if not p:
            continue
        if os.path.isabs(p) or ".." in p.split("/"):
            raise ManifestError("%s:%d: %r must be a path inside the tree" % (path, no, p))
        paths.append(p)
    if not paths:
        raise ManifestError("%s lists no path" % path)
    return paths


def is_student(rel, paths):
    rel = rel.replace(os.sep, "/")
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in paths)


def _is_junk(name):
    return any(fnmatch.fnmatch(name, j) for j in JUNK)


def _walk(root, top=""):
    """Files under root/top (relative to root), junk left out."""
    start = os.path.join(root, top)
    if os.path.isfile(start):
        return [top]
    found = []
    for base, dirs, files in os.walk(start):
        dirs[:] = sorted(d for d in dirs if not _is_junk(d))
        rel = os.path.relpath(base, root)
        found += [os.path.normpath(os.path.join(rel, f)) for f in sorted(files) if not _is_junk(f)]
    return found


def student_files(root, paths):
    """The student's files present under root (a manifest entry may be missing)."""
    files = []
    for p in paths:
        if os.path.exists(os.path.join(root, p)):
            files += _walk(root, p.rstrip("/"))
    return sorted(set(files))


def _git_files(root, *args):
    out = subprocess.run(["git", "-C", root, "ls-files", "-z"] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout
    return [f for f in out.decode().split("\0") if f]


def untracked(root):
    try:
        return set(_git_files(root, "--others", "--exclude-standard"))
    except (OSError, subprocess.CalledProcessError):
        return set()


def harness_files(root, paths):
    """Every file of the lab that is neither the student's nor teacher-only.
    In a git checkout: the files git tracks plus the new ones it does not
    ignore, as they are in the working tree (what make would build; a file
    git tracks counts even where its name looks like a build product, such as
    the checker's corpus logs); in any other folder, every file that is not a
    build product."""
    try:
        files = _git_files(root, "--cached", "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError):
        files = _walk(root)  # without the junk
    keep = set()
    for f in files:
        if (os.path.isfile(os.path.join(root, f)) and not is_student(f, paths)
                and not is_student(f, TEACHER_ONLY)):
            keep.add(f)
    return sorted(keep)
