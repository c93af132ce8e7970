"""Running code we do not trust: a student's build and tests, for scripts/grade.

    box = Sandbox(Limits(...))          probes what this machine allows, once
    box.describe()                      one line: what is enforced, what is not
    r = box.run(argv, out_path, timeout, cwd=..., rw=[...], bind_files=[(src, inside)], env=..., pass_fds=...)
    r.status, r.secs, r.limit           exit code, -signal or None (time); the limit hit, if any

Each run is confined by every layer the machine offers:

- bubblewrap (Debian's `bubblewrap`): new user, PID, network, IPC and UTS
  namespaces; a root filesystem holding only /usr (read-only), the folders the
  caller binds (read-only or writable) and a private /tmp. No network, no view
  of the grader's files, the reference solution, the build cache or results.
  When the PID namespace's first process ends, the kernel kills every process
  left in it, so nothing a test forks (setsid or not) outlives the test.
- an unprivileged user: as root, the run starts as `nobody` (setpriv), so even
  the namespaces hold no privilege over the host.
- a cgroup (v1 or v2, when this process may create one): a memory limit and a
  process limit for the whole tree, and, after the run, a sweep that kills any
  process still in the group.
- rlimits (always): CPU seconds, the size of any file written (the test's
  output), no core files, and RLIMIT_NPROC when no cgroup counts processes.

Why bubblewrap: it is one small Debian package, needs no daemon and no root
of its own (it uses unprivileged user namespaces), and its namespaces give the
two properties setpriv and prlimit alone cannot: a filesystem view without the
teacher's tree, and a kill of the whole process tree that a double fork or
setsid cannot escape. Where it cannot run (a container that forbids user
namespaces), the run still gets the unprivileged user, the cgroup and the
rlimits, and describe() says what is missing.
"""
import os
import resource
import shutil
import signal
import subprocess
import time

NOBODY = 65534


class Limits:
    def __init__(self, memory_mb=2048, processes=512, output_mb=64, cpu_secs=600):
        self.memory_mb = memory_mb
        self.processes = processes
        self.output_mb = output_mb
        self.cpu_secs = cpu_secs


class Result:
    def __init__(self, status, secs, limit=None, peak_mb=None):
        self.status = status  # exit code, -signal, or None when killed at the time limit
        self.secs = secs
        self.limit = limit  # "memory", "processes", "output", "cpu time", or None
        self.peak_mb = peak_mb  # the most memory the run's cgroup held, when there is one


def _cgroup_roots():
    """(kind, folder) pairs where this process may make cgroups: v2 first."""
    roots = []
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        roots.append(("v2", "/sys/fs/cgroup"))
    for c in ("memory", "pids"):
        d = os.path.join("/sys/fs/cgroup", c)
        if os.path.isdir(d) and os.access(d, os.W_OK):
            roots.append(("v1", d))
    return roots


class _Cgroup:
    """One run's cgroup(s): v2 (one folder) or v1 (memory and pids folders)."""

    def __init__(self, name, limits):
        self.dirs = []
        self.kind = None
        for kind, root in _cgroup_roots():
            if self.kind and kind != self.kind:
                continue
            d = os.path.join(root, name)
            try:
                os.mkdir(d)
            except OSError:
                continue
            self.kind = kind
            self.dirs.append(d)
            try:
                if kind == "v2":
                    self._write(d, "memory.max", limits.memory_mb << 20)
                    self._write(d, "memory.swap.max", 0, optional=True)
                    self._write(d, "pids.max", limits.processes)
                elif root.endswith("memory"):
                    self._write(d, "memory.limit_in_bytes", limits.memory_mb << 20)
                    self._write(d, "memory.memsw.limit_in_bytes", limits.memory_mb << 20, optional=True)
                else:
                    self._write(d, "pids.max", limits.processes)
            except OSError:
                self.remove()
                self.dirs, self.kind = [], None
                return

    @staticmethod
    def _write(d, f, v, optional=False):
        try:
            with open(os.path.join(d, f), "w") as fh:
                fh.write(str(v))
        except OSError:
            if not optional:
                raise

    def has(self, what):
        return any(os.path.exists(os.path.join(d, what)) for d in self.dirs)

    def join(self, pid):
        for d in self.dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def _read(self, f):
        for d in self.dirs:
            p = os.path.join(d, f)
            if os.path.exists(p):
                with open(p) as fh:
                    return fh.read()
        return ""

    def memory_hit(self):
        if self.kind == "v2":
            ev = dict(l.split() for l in self._read("memory.events").splitlines() if l.strip())
            return int(ev.get("oom_kill", 0)) > 0 or int(ev.get("max", 0)) > 0
        ctl = dict(l.split() for l in self._read("memory.oom_control").splitlines() if l.strip())
        return int(ctl.get("oom_kill", 0)) > 0 or int(self._read("memory.failcnt") or 0) > 0

    def processes_hit(self):
        if self.kind == "v2":
            ev = dict(l.split() for l in self._read("pids.events").splitlines() if l.strip())
            return int(ev.get("max", 0)) > 0
        return int(self._read("pids.events").split()[-1] if self._read("pids.events") else 0) > 0

    def peak_mb(self):
        raw = self._read("memory.peak" if self.kind == "v2" else "memory.max_usage_in_bytes").strip()
        return int(raw) / (1 << 20) if raw.isdigit() else None

    def kill_all(self):
        for _ in range(50):
            pids = set()
            for d in self.dirs:
                try:
                    with open(os.path.join(d, "cgroup.procs")) as f:
                        pids.update(int(x) for x in f.read().split())
                except OSError:
                    pass
            if not pids:
                return
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self):
        self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


class Sandbox:
    def __init__(self, limits=None, use_bwrap=True):
        self.limits = limits or Limits()
        self.root = os.geteuid() == 0
        self.user = NOBODY if self.root else os.geteuid()
        self.bwrap = shutil.which("bwrap") if use_bwrap else None
        self.missing = []
        if use_bwrap and not self.bwrap:
            self.missing.append("bubblewrap is not installed (no private filesystem view, no PID namespace)")
        elif self.bwrap and not self._bwrap_works():
            self.missing.append("bubblewrap cannot make namespaces here (no private filesystem view, "
                                "no PID namespace)")
            self.bwrap = None
        probe = _Cgroup("lab-sandbox-probe-%d" % os.getpid(), self.limits)
        self.cgroups = bool(probe.dirs)
        probe.remove()
        if not self.cgroups:
            self.missing.append("no cgroup to create (memory not limited; processes limited per user only)")
        if not self.root:
            self.missing.append("not root: runs as the grader's own user")
        self.counter = 0

    def _bwrap_works(self):
        try:
            p = subprocess.run(self._prefix([]) + ["/bin/true"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=20, preexec_fn=self._drop_only)
            self.bwrap_error = p.stderr.decode(errors="replace").strip()
            return p.returncode == 0
        except (OSError, subprocess.TimeoutExpired) as e:
            self.bwrap_error = str(e)
            return False

    def describe(self):
        layers = []
        if self.bwrap:
            layers.append("bubblewrap (no network, private filesystem and PID namespace)")
        layers.append("user %s" % ("nobody" if self.root else str(self.user)))
        limits = "limits: %d MB memory%s, %d processes, %d MB output, %d s CPU" % (
            self.limits.memory_mb, "" if self.cgroups else " (not enforced)", self.limits.processes,
            self.limits.output_mb, self.limits.cpu_secs)
        s = "sandbox: " + ", ".join(layers) + "; " + limits
        if self.missing:
            s += "; missing: " + "; ".join(self.missing)
        return s

    def _prefix(self, rw, cwd=None, files=()):
        if not self.bwrap:
            return []
        cmd = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
               "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for d in ("bin", "lib", "lib64", "sbin"):
            if os.path.islink("/" + d):
                cmd += ["--symlink", os.readlink("/" + d), "/" + d]
            elif os.path.isdir("/" + d):
                cmd += ["--ro-bind", "/" + d, "/" + d]
        for f in ("/etc/ld.so.cache", "/etc/alternatives", "/etc/passwd", "/etc/group"):
            if os.path.exists(f):
                cmd += ["--ro-bind", f, f]
        for d in rw:
            cmd += ["--bind", d, d]
        for src, dst in files:
            cmd += ["--ro-bind", src, dst]
        if cwd:
            cmd += ["--chdir", cwd]
        return cmd + ["--"]

    def _drop_only(self):
        if self.root:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

    def give(self, path):
        """Makes a folder the sandboxed user may write (as root: chown -R)."""
        if not self.root:
            return
        for base, dirs, files in os.walk(path):
            os.chown(base, NOBODY, NOBODY)
            for f in files:
                os.lchown(os.path.join(base, f), NOBODY, NOBODY)

    def run(self, argv, out_path, timeout, cwd=None, rw=(), env=None, pass_fds=(), bind_files=(),
            limits=None):
        """Runs argv confined; its output (stdout and stderr) goes to out_path.
        bind_files: (source, path inside) pairs, read-only; without bubblewrap
        the inside path in argv is replaced by its source. limits: this run's,
        instead of the sandbox's (a build writes more than a test may)."""
        self.counter += 1
        if not self.bwrap:
            inside = {dst: src for src, dst in bind_files}
            argv = [inside.get(x, x) for x in argv]
            cwd = cwd if cwd and os.path.isdir(cwd) else None
        lim = limits or self.limits
        cg = _Cgroup("lab-sandbox-%d-%d" % (os.getpid(), self.counter), lim) if self.cgroups else None

        def child():
            os.setsid()
            if cg:
                cg.join(os.getpid())
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_secs, lim.cpu_secs + 5))
            resource.setrlimit(resource.RLIMIT_FSIZE, (lim.output_mb << 20, lim.output_mb << 20))
            if not cg:
                resource.setrlimit(resource.RLIMIT_NPROC, (lim.processes, lim.processes))
            self._drop_only()

        cmd = self._prefix(list(rw), cwd, bind_files) + list(argv)
        start = time.time()
        with open(out_path, "wb") as out:
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                 cwd=None if self.bwrap else cwd, pass_fds=pass_fds, preexec_fn=child)
            try:
                rc = p.wait(timeout=max(timeout, 0.1))
            except subprocess.TimeoutExpired:
                rc = None
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if rc is None:
                p.wait()
        secs = time.time() - start
        if not cg and not self.bwrap and self.root:
            self._kill_user()
        limit = None
        if rc is not None and rc != 0:
            sig = -rc if rc < 0 else (rc - 128 if rc > 128 else 0)
            if sig == signal.SIGXFSZ or os.path.getsize(out_path) >= (lim.output_mb << 20):
                limit = "output"
            elif sig in (signal.SIGXCPU,):
                limit = "cpu time"
        peak = None
        if cg:
            peak = cg.peak_mb()
            if limit is None and cg.memory_hit():
                limit = "memory"
            elif limit is None and cg.processes_hit():
                limit = "processes"
            cg.remove()
        return Result(rc, secs, limit, peak)

    def _kill_user(self):
        """Without namespaces or cgroups: kill every process of the sandbox user."""
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)

    def limit_message(self, limit, limits=None):
        lim = limits or self.limits
        return {
            "memory": "memory limit of %d MB reached (the sandbox killed the test)" % lim.memory_mb,
            "processes": "process limit of %d reached (threads count too): fork or thread creation failed"
                         % lim.processes,
            "output": "output limit of %d MB reached: the test was stopped (is a log line printed in a loop?)"
                      % lim.output_mb,
            "cpu time": "CPU time limit of %d s reached" % lim.cpu_secs,
        }[limit]
