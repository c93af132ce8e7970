// lab::run from the caller's side: it starts the simulation thread and
// watches it (the watchdog); and the verbs that end or judge a run from inside
// it (shutdown, fail), with its seeded random source and its trace.
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "lab/common.hpp"
#include "lab/lab.hpp"
#include "lab/sim/internal.hpp"

namespace lab {
namespace detail {

// --- the watchdog ----------------------------------------------------------------

std::chrono::milliseconds env_ms(const char* name, long dflt) {
  if (const char* s = std::getenv(name); s && *s) return std::chrono::milliseconds(std::atol(s));
  return std::chrono::milliseconds(dflt);
}

// No context switch and no lab:: call for this long: stuck in the OS or spinning.
std::chrono::milliseconds watchdog_limit() { return env_ms("LAB_WATCHDOG_MS", 2000); }
// Virtual time still for this long while the run keeps going: a livelock.
std::chrono::milliseconds frozen_limit() { return env_ms("LAB_FROZEN_MS", 5000); }

std::chrono::nanoseconds thread_cpu(clockid_t cid) {
  timespec ts{};
  clock_gettime(cid, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// How long thread `tid` of this process has waited, runnable, for a CPU
// (the second field of /proc/self/task/<tid>/schedstat), or -1 when the
// kernel does not say. A thread that waits for a CPU is not stuck: on an
// overloaded machine (a class graded in parallel, a niced sweep) it may get
// none for seconds.
std::int64_t runqueue_ns(int tid) {
  if (tid <= 0) return -1;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tid);
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return -1;
  unsigned long long on_cpu = 0, waiting = 0;
  const bool ok = std::fscanf(f, "%llu %llu", &on_cpu, &waiting) == 2;
  std::fclose(f);
  return ok ? static_cast<std::int64_t>(waiting) : -1;
}

// Whether thread `tid` of this process is held up by the machine rather
// than by the code it runs: in uninterruptible sleep (state D: a disk or
// memory stall) or writing to stdout or stderr (a log going to a slow disk,
// or to a pipe nobody reads, such as a paused pager). False when /proc does
// not say.
bool held_by_the_machine(int tid) {
  if (tid <= 0) return false;
  char path[64], buf[256];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  if (std::FILE* f = std::fopen(path, "r")) {
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* end = std::strrchr(buf, ')');  // the name may hold spaces and parentheses
    if (end != nullptr && end[1] == ' ' && end[2] == 'D') return true;
  }
  std::snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
  if (std::FILE* f = std::fopen(path, "r")) {
    long nr = -1;
    unsigned long fd = 0;
    const bool ok = std::fscanf(f, "%ld %lx", &nr, &fd) == 2;
    std::fclose(f);
    if (ok && (nr == SYS_write || nr == SYS_writev) && (fd == 1 || fd == 2)) return true;
  }
  return false;
}

}  // namespace detail

using namespace detail;

// --- the free functions ------------------------------------------------------------

Result run(const Options& opts, std::function<void()> root) {
  if (tl_sim) sim_abort("lab::run called inside a running simulation");
  install_crash_handlers();
  auto sh = std::make_shared<RunShared>();
  sh->sim = std::make_unique<Sim>(opts);
  std::thread t([sh, root = std::move(root)]() mutable { sim_thread(sh, std::move(root)); });

  // The watchdog. A run that makes no context switch and no lab:: call for
  // watchdog_limit() is stuck inside the OS or spinning: the thread cannot be
  // recovered, the process aborts. A run whose virtual clock stands still for
  // frozen_limit() while it keeps going is a livelock: the simulation thread
  // is asked to fail the run (Sim::on_frozen), then to park whoever still
  // loops; if even that does not end the run, the process aborts. Both
  // count only the time the simulation thread was not waiting for a CPU,
  // nor held up by the machine (held_by_the_machine, sampled at each look).
  const auto limit = watchdog_limit();
  const auto frozen = frozen_limit();
  clockid_t cid{};
  bool have_cpu = pthread_getcpuclockid(t.native_handle(), &cid) == 0;
  Probe& probe = sh->sim->probe;
  std::uint64_t seen = probe.progress.load(std::memory_order_relaxed);
  std::int64_t vseen = probe.now_ns.load(std::memory_order_relaxed);
  auto since = std::chrono::steady_clock::now();
  auto vsince = since;
  int stage = 0;  // livelock: 1 the failure was asked for, 2 the parking
  auto stage_at = since;
  auto cpu_since = have_cpu ? thread_cpu(cid) : std::chrono::nanoseconds{};
  // The time the simulation thread spent waiting for a CPU since a moment
  // whose runqueue_ns was `then` (0 when the kernel does not say).
  while (sh->tid.load() == 0) std::this_thread::yield();  // its first act
  std::int64_t rq_since = runqueue_ns(sh->tid.load()), rq_vsince = rq_since;
  auto starved = [&](std::int64_t then) {
    const std::int64_t now = runqueue_ns(sh->tid.load(std::memory_order_relaxed));
    return std::chrono::nanoseconds(then >= 0 && now >= then ? now - then : 0);
  };
  std::chrono::steady_clock::duration held{}, vheld{};  // held up by the machine since `since`, `vsince`
  auto last_look = since;
  {
    std::unique_lock lk(sh->m);
    while (!sh->done) {
      sh->cv.wait_for(lk, std::chrono::milliseconds(50));
      if (sh->done) break;
      auto wall = std::chrono::steady_clock::now();
      if (held_by_the_machine(sh->tid.load(std::memory_order_relaxed))) {
        held += wall - last_look;
        vheld += wall - last_look;
      }
      last_look = wall;
      std::int64_t v = probe.now_ns.load(std::memory_order_relaxed);
      if (v != vseen) {
        vseen = v;
        vsince = wall;
        vheld = {};
        rq_vsince = runqueue_ns(sh->tid.load(std::memory_order_relaxed));
        stage = 0;
      }
      std::uint64_t p = probe.progress.load(std::memory_order_relaxed);
      if (p != seen) {
        seen = p;
        since = wall;
        held = {};
        rq_since = runqueue_ns(sh->tid.load(std::memory_order_relaxed));
        if (have_cpu) cpu_since = thread_cpu(cid);
        if (stage == 0 && wall - vsince >= frozen && wall - vsince - vheld - starved(rq_vsince) >= frozen) {
          probe.frozen_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(wall - vsince).count(),
                                std::memory_order_relaxed);
          probe.frozen_request.store(1, std::memory_order_relaxed);
          stage = 1;
          stage_at = wall;
        } else if (stage == 1 && wall - stage_at >= limit) {
          probe.frozen_request.store(2, std::memory_order_relaxed);
          stage = 2;
          stage_at = wall;
        } else if (stage == 2 && wall - stage_at >= limit) {
          FiberRec* r = probe.current.load(std::memory_order_relaxed);
          abort_process(
              "WATCHDOG: the simulation is in a livelock that survived its report: virtual time has stood "
              "still at t=" +
              format_seconds(Duration(v)) + " for " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wall - vsince).count()) +
              " s while activities keep switching and calling lab::, and cancelling them did not end "
              "the run; running: " +
              (r ? "'" + r->name + "' (#" + std::to_string(r->id) + ")" : std::string("(the runtime)")));
        }
        continue;
      }
      if (wall - since < limit) continue;
      const auto waited = starved(rq_since) + held;
      if (wall - since - waited < limit) continue;  // the machine's doing: no CPU, a disk, a full pipe
      double stalled = std::chrono::duration<double>(wall - since - waited).count();
      double cpu = have_cpu ? std::chrono::duration<double>(thread_cpu(cid) - cpu_since).count() : 0;
      int share = static_cast<int>(100 * cpu / stalled + 0.5);
      FiberRec* r = probe.current.load(std::memory_order_relaxed);
      std::string who = r ? "'" + r->name + "' (#" + std::to_string(r->id) + ")" : std::string("(the runtime)");
      std::string vt = format_seconds(Duration(probe.now_ns.load(std::memory_order_relaxed)));
      char head[160];
      std::snprintf(head, sizeof head, "WATCHDOG: the simulation made no progress for %.2f s; ", stalled);
      std::string msg = std::string(head) + "activity " + who + " at virtual t=" + vt + " is " +
                        (share < 20 ? "BLOCKED inside the OS (std::mutex, std::condition_variable, sleep, I/O?)"
                                    : "SPINNING without blocking or yielding (a busy loop? wait on a lab:: "
                                      "primitive or call lab::yield())") +
                        ", CPU " + std::to_string(share) + " % during the stall" +
                        (waited >= std::chrono::milliseconds(100)
                             ? " (not counting " + format_seconds(waited) + " s it waited for a CPU or the disk)"
                             : std::string());
      abort_process(msg);
    }
  }
  sh->sim->record.end();
  Result r = std::move(sh->result);
  if (r.stuck)
    t.detach();
  else
    t.join();
  return r;
}

namespace detail {

// On the simulation thread, at a lab:: call, when the watchdog asked (see
// lab::run) or the run is parking loopers.
void Sim::on_frozen(FiberRec* me) {
  int req = probe.frozen_request.load(std::memory_order_relaxed);
  if (req == 1) {
    probe.frozen_request.store(0, std::memory_order_relaxed);  // (the watchdog writes 2 only later)
    if (!stopping) {
      record_failure(livelock_report(probe.frozen_ms.load(std::memory_order_relaxed)), Outcome::Livelock);
      return;
    }
    // A livelock in cleanup code: park the loopers at once.
    probe.frozen_request.store(req = 2, std::memory_order_relaxed);
  }
  if (req == 2 && me && me->killed && !me->abandoned)
    park_forever(me, "lab:: calls in a loop that went on after the run was cancelled (a livelock)");
}

}  // namespace detail

void shutdown() {
  // Never throws: ShutdownGuard calls it from a destructor, also while its
  // activity unwinds after a cancellation.
  Sim& s = sim_or_die("lab::shutdown");
  FiberRec* me = s.current();
  s.shut = true;
  for (auto& [id, r] : s.live)
    if (r.get() != me) r->killed = true;
  for (auto& [id, r] : s.live)
    if (r.get() != me && r->waiting && r->waiting->cancellable && r->waiting->wid)
      s.wake(r->waiting->wid, Wake::Killed);
  {
    // The caller is running, so none of these is its own. Waits in others'
    // cleanup code keep their deadlines.
    auto dropped = s.drop_after_timers();
  }
  while (s.live.size() > (me ? 1u : 0u)) {
    Waiter w(s, "shutdown", false);
    s.shutdown_wid = w.wid;
    w.park();
  }
  s.shutdown_wid = 0;
}

void fail(std::string msg) {
  Sim& s = sim_or_die("lab::fail");
  FiberRec* me = s.current();
  s.record_failure(msg + " (" + s.stamp(me ? me->name : std::string()) + ")", Outcome::Failed);
  // In cleanup code a throw could leave a destructor and end the process.
  if (me && !me->may_throw()) s.park_forever(me, "lab::fail in cleanup code");
  throw Killed{};
}

std::uint64_t rand_u64() { return sim_or_die("lab::rand_u64").rng(); }

void trace(std::string_view line) {
  Sim& s = sim_or_die("lab::trace");
  s.trace_hash = fnv1a(fnv1a(s.trace_hash, line), "\n");
  ++s.trace_lines;
}

bool trace_enabled() { return true; }

}  // namespace lab
