"""Running the lab's test binaries (Boost.Test) and reading what they print.

scripts/lab-report, scripts/stress and scripts/grade import this module (from
their own folder), so that the three agree on the build variants, on how one
test or one part is run, and on what a line of a test's output means.

    BACKENDS                    the variants: build/<backend>/raft_tests
    BACKEND_ENV[backend]        the sanitizer options a variant runs with
    command(binary, what)       argv running a test, a part (2A) or a Boost filter
    selector(what)              the --run_test value for one of those
    parse_list(text)            Suite/Test names from `--list_content` output
    classify(line)              (kind, value): what one output line is
    failure_lines(lines)        the failures' messages, in the test's words
    Verdict                     the verdict channel (tests/support/verdict.cpp): a run's
                                pass or fail, which the test's output cannot forge
    judge(status, verdict, t)   the one rule scripts/grade and scripts/stress decide by
    RpcWatch                    a warning when a test's RPC count is far above the Go handout's
    Scenarios                   over many runs: in how many each test's scenarios happened
"""
import os
import re
import secrets
import signal
import tempfile

BACKENDS = ["sim", "real", "tsan", "asan", "asan-sim"]

# What `make tsan` and `make asan` set: stop at the first report, with stacks.
BACKEND_ENV = {
    "tsan": {"TSAN_OPTIONS": "halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0 die_after_fork=0"},
    "asan": {"UBSAN_OPTIONS": "print_stacktrace=1 halt_on_error=1"},
    "asan-sim": {"UBSAN_OPTIONS": "print_stacktrace=1 halt_on_error=1"},
}


def run_args(report="short"):
    """Boost.Test options for a run whose output is read by these tools: one
    line per test entered and left, no colour, and the closing report at the
    given level (short: `*** No errors detected`; no: nothing)."""
    return ["--log_level=test_suite", "--report_level=" + report, "--color_output=no"]


def selector(what):
    """The --run_test value for a part label (2A), a bare test name
    (TestBackup2B, looked up in every suite) or anything Boost takes as it is."""
    if re.fullmatch(r"\d[A-Z]", what):
        return "@" + what
    if re.fullmatch(r"Test\w*", what):
        return "*/" + what
    return what


def command(binary, what=None, report="short"):
    cmd = [binary] + run_args(report)
    return cmd + ["--run_test=" + selector(what)] if what else cmd


def parse_list(text):
    """The tests in `<binary> --list_content` output, as Suite/Test paths
    (leaves only: a name that prefixes another is a suite)."""
    names, path = [], []
    for line in text.splitlines():
        m = re.match(r"^( *)(\w+)\*?\s*$", line)
        if not m:
            continue
        depth = len(m.group(1)) // 4
        path = path[:depth] + [m.group(2)]
        names.append("/".join(path))
    return [n for n in names if not any(o.startswith(n + "/") for o in names)]


def short(test):
    return test.rsplit("/", 1)[-1]


# One line of output, in the order classify tries them.
_START = re.compile(r'Entering test case "(\w+)"')
_END = re.compile(r'Leaving test case "(\w+)"(?:; testing time: (\d+)(us|ms|s))?')
_NOISE = re.compile(r'(Entering|Leaving) test (suite|module) |is skipped because|^Running \d+ test cases?\.\.\.'
                    r'|^\*\*\* No errors')
_ERROR = re.compile(r'(?:fatal )?error: in "[^"]*": (.*)')
_ABORT = re.compile(r'(fatal )?error: in |^\*\*\*')
_REPORT = re.compile(r'^Test module ')
_UNIT = {"us": 1e6, "ms": 1e3, "s": 1.0}


def classify(line):
    """What one line (without its newline) is, as (kind, value):

    start     a test begins; value: its name
    end       a test ends; value: (name, seconds or None)
    seed      `seed <n> (<backend> backend): ...` (LAB_SEED=<n> replays this run, in sim); value: the line
    timeline  `timeline: <path>` (tester/timeline.hpp); value: the line
    trace     `trace <hash> (<n> lines)` (tests/support/run.hpp); value: the line
    noise     Boost's framing: suites and module entered or left, skipped tests,
              `Running N test cases...`, `*** No errors detected`
    error     a failed check, `... error: in "<test>": <message>`; value: the message
    abort     any other line Boost prints when a test fails (`*** ...`); value: the line
    report    the closing report of --report_level=short (`Test module ...`)
    text      anything else: the test's own output, a message's continuation lines
    """
    m = _START.search(line)
    if m:
        return "start", m.group(1)
    m = _END.search(line)
    if m:
        secs = float(m.group(2)) / _UNIT[m.group(3)] if m.group(2) else None
        return "end", (m.group(1), secs)
    for kind, prefix in (("seed", "seed "), ("timeline", "timeline: "), ("trace", "trace ")):
        if line.startswith(prefix):
            return kind, line
    if _NOISE.search(line):
        return "noise", line
    m = _ERROR.search(line)
    if m:
        return "error", m.group(1)
    if _ABORT.search(line):
        return "abort", line
    if _REPORT.match(line):
        return "report", line
    return "text", line


def failure_lines(lines, follow=5):
    """The messages of the failed checks in lines, each with up to `follow`
    continuation lines (the message text a check prints under its own line)."""
    out = []
    kinds = [classify(l) for l in lines]
    for i, (kind, value) in enumerate(kinds):
        if kind != "error":
            continue
        out.append(value)
        for k, v in kinds[i + 1:i + 1 + follow]:
            if k != "text" or not v.strip():
                break
            out.append(v.strip())
    return out


class Verdict:
    """The runner's side of the verdict channel of tests/support/verdict.cpp.

        v = Verdict()                 before starting the binary
        Popen(..., env=dict(env, **v.env()), pass_fds=v.fds())
        v.started()                   after Popen: closes the parent's copies
        ends = v.read()               after the run: {test: "passed" | "failed" | None (no end)}

    A fresh key per run, handed over through a pipe (never the environment,
    which /proc/<pid>/environ would show); lines without it are ignored and
    counted in v.forged."""

    MAX_BYTES = 1 << 20  # a test writes two lines; anything past this is not ours

    def __init__(self):
        self.key = secrets.token_hex(16)
        fd, self.path = tempfile.mkstemp(prefix="lab-verdict-")
        os.close(fd)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self.key_r, w = os.pipe()
        os.write(w, self.key.encode())
        os.close(w)
        self.forged = 0

    def env(self):
        return {"LAB_VERDICT_FD": str(self.fd), "LAB_VERDICT_KEY_FD": str(self.key_r)}

    def fds(self):
        return (self.fd, self.key_r)

    def started(self):
        """Closes the parent's copies, once: a second close could hit a
        descriptor number reused meanwhile (another run's, in a thread)."""
        fds, self.fd, self.key_r = (self.fd, self.key_r), None, None
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def read(self):
        self.started()
        try:
            with open(self.path, "rb") as f:
                data = f.read(self.MAX_BYTES)
        finally:
            os.unlink(self.path)
        ends = {}
        for raw in data.decode(errors="replace").splitlines():
            words = raw.split(" ")
            if len(words) < 3 or words[0] != self.key:
                self.forged += bool(raw.strip())
                continue
            if words[1] == "start":
                ends.setdefault(words[2], None)
            elif words[1] == "end" and len(words) == 4 and words[3] in ("passed", "failed"):
                ends[words[2]] = words[3]
        return ends


def status_words(status):
    """How a process ended, in words: `exited with status 0`, `was killed by SIGSEGV`."""
    if status is None:
        return "was killed at the time limit"
    if status < 0:
        try:
            return "was killed by %s" % signal.Signals(-status).name
        except ValueError:
            return "was killed by signal %d" % -status
    return "exited with status %d" % status


def judge(status, ends, test=None):
    """(passed, why): the shared rule of scripts/grade and scripts/stress for
    one finished run. `ends` is Verdict.read(); `test` the one test the run
    was for (a Suite/Test path or a bare name; None: every test that started).
    A run passed when each of its tests said "passed" on the verdict channel
    and the process then exited with status 0. Nothing the test prints counts,
    nor an exit status alone: a test that did not report its own end failed.
    why is None for a pass or a run whose failure the test itself reported
    (its messages say why); otherwise one line."""
    if test is not None:
        mine = {t: v for t, v in ends.items() if t == test or short(t) == short(test)}
    else:
        mine = ends
    if not mine:
        if status == 0:
            return False, "no test ran: the process %s before the test began" % status_words(status)
        return False, None
    unended = [t for t, v in mine.items() if v is None]
    if unended:
        return False, "the process %s before the test ended (%s)" % (status_words(status), short(unended[0]))
    if any(v == "failed" for v in mine.values()):
        return False, None
    if status != 0:
        return False, "the test passed, then the process %s" % status_words(status)
    return True, None


# The RPC counts of the Go handout's sample output (the third figure of each
# `  ... Passed --` line), by test title; tests it does not list have none.
HANDOUT_RPCS = {
    "initial election": 58, "election after network failure": 118, "multiple elections": 624,
    "basic agreement": 16, "RPC byte count": 48, "agreement after follower reconnects": 78,
    "no agreement if too many followers disconnect": 172, "concurrent Start()s": 24,
    "rejoin of partitioned leader": 152, "leader backs up quickly over incorrect follower logs": 2080,
    "RPC counts aren't too high": 60, "basic persistence": 86, "more persistence": 952,
    "partitioned leader and one follower crash, leader restarts": 34, "Figure 8": 580,
    "unreliable agreement": 1044, "Figure 8 (unreliable)": 10700, "churn": 8864, "unreliable churn": 4220,
    "snapshots basic": 176, "install snapshots (disconnect)": 878,
    "install snapshots (disconnect+unreliable)": 1059, "install snapshots (crash)": 601,
    "install snapshots (unreliable+crash)": 687, "crash and restart all servers": 268,
}
RPC_WARN_FACTOR = 10

# Both editions' lines (tester/edition.hpp): "Test (2A): <title> ..." with
# "  ... Passed --   3.1  3   58 ...", and "Test (3A): <title> (reliable
# network)..." with "  ... Passed --  time  3.1s #peers 3 #RPCs    58 #Ops    0".
_TITLE = re.compile(r"^Test \(\d[A-Z]\): (.*?)(?: \.\.\.| \((?:un)?reliable network\)\.\.\.)?$")
_PASSED = re.compile(r"^\s*\.\.\. Passed --\s+(?:time\s+)?[\d.]+s?\s+(?:#peers\s+)?\d+\s+(?:#RPCs\s+)?(\d+)\s")


class RpcWatch:
    """Fed every output line; returns a warning line after a test's
    `  ... Passed --` line whose RPC count is RPC_WARN_FACTOR times the Go
    handout's figure for that test or more (a warning, never a failure)."""

    def __init__(self):
        self.title = None

    def feed(self, line):
        m = _TITLE.match(line)
        if m:
            self.title = m.group(1)
            return None
        m = _PASSED.match(line)
        if not m or self.title not in HANDOUT_RPCS:
            return None
        rpcs, ref = int(m.group(1)), HANDOUT_RPCS[self.title]
        if rpcs < RPC_WARN_FACTOR * ref:
            return None
        return ("  warning: %d RPCs, %.0f\u00d7 the Go handout's %d for \"%s\": a retry loop without a pause, "
                "or heartbeats far more often than needed?" % (rpcs, rpcs / ref, ref, self.title))


# The tester's scenario lines (tester/scenario.hpp), every one of them with
# LAB_SCENARIOS=1: "scenario snapshot-installed: exercised" or
# "scenario snapshot-installed: NOT exercised (no snapshot reached ...)".
_SCENARIO = re.compile(r"^scenario ([\w-]+): (exercised|NOT exercised)")


def scenario_lines(text):
    """[(name, happened)] from one run's output, in order."""
    found = []
    for line in text.splitlines():
        m = _SCENARIO.match(line)
        if m:
            found.append((m.group(1), m.group(2) == "exercised"))
    return found


class Scenarios:
    """Per test and scenario, in how many runs it happened, over the runs
    that reported it (a run that failed before the test's end() reports
    none)."""

    def __init__(self):
        self.counts = {}  # test -> scenario -> [happened, reported]

    def add(self, test, found):
        for name, happened in found:
            c = self.counts.setdefault(test, {}).setdefault(name, [0, 0])
            c[0] += 1 if happened else 0
            c[1] += 1

    def words(self, test):
        """["snapshot-installed exercised in 3/4 runs", ...] for one test."""
        return ["%s exercised in %d/%d runs" % (name, yes, n) for name, (yes, n) in self.counts.get(test, {}).items()]
