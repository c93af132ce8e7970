// lab — the runtime in Go's role. Everything concurrent in labrpc/, raft/ and
// tests/ goes through it, never through std::thread, std::mutex,
// std::condition_variable, std::this_thread::sleep_for or thread_local state.
// One API, two backends chosen at build time:
//
//   real (default)  activities are threads from a cached pool, time is
//                   std::chrono::steady_clock, timers are Boost.Asio timers.
//   sim (-DLAB_SIM) activities are fibers on one OS thread, time is virtual
//                   and advances only when every activity is blocked, every
//                   random choice comes from the run's seed.
//
// The verbs:
//
//   lab::Result r = lab::run(opts, [] { ... });   // a test body; see below
//   lab::go("name", fn);          // Go's `go fn()`: a new activity
//   lab::go(fn);                  // the same, named after the caller's file:line
//   lab::after(d, fn);            // Go's time.AfterFunc: fn runs as a new activity after d
//   lab::sleep_for(d);            // Go's time.Sleep
//   lab::now();                   // time since the run began (virtual in sim)
//   lab::yield();                 // let others run (in sim: also lets virtual time pass)
//   lab::Mutex / lab::MutexLock   // annotated for Clang -Wthread-safety
//   lab::CondVar                  // wait(mu), wait_for(mu, d), wait_until(mu, t), notify_*
//   lab::Chan<T>                  // Go channel, unbuffered by default (lab/chan.hpp)
//   lab::rand_u64(), lab::rand_intn(n)   // the run's seeded random source
//   lab::fail("message")          // fail the run from any activity
//   lab::ShutdownGuard g;         // on scope exit: cancel and join every other activity
//   lab::CleanupScope c;          // cleanup code: lab:: calls block, never throw Killed
//   lab::cancellable(fn);         // runs fn; a cancellation ends fn, not the caller
//
// Lifetime. lab::run owns every activity started inside it. When the root
// returns, fails, or the time limit passes, every activity still alive is
// cancelled: its next lab:: call that waits or polls (sleep_for, yield, a
// CondVar wait, a channel operation that waits, labrpc's Call, go, after)
// throws lab::Killed, which unwinds its stack. run() returns only when all of
// them have ended, so nothing outlives the test. Never swallow lab::Killed:
// a `catch (...)` must rethrow it. The root's own locals die when it returns,
// before that cancellation: guard state other activities use with a
// lab::ShutdownGuard declared after it. Calls that never wait (now, unlock,
// notify, rand, trace; Mutex::lock while the mutex is free) never throw.
//
// Cleanup may block. While a cancelled activity unwinds a lab::Killed (its
// destructors run), while it destroys what its function captured, and inside
// a lab::CleanupScope, its lab:: calls do not throw: a wait waits, as it would
// in a live run, so a destructor may join what it started. Such waits are
// bounded by Options::grace (virtual time in sim); an activity still blocked
// then is abandoned and reported, after the run's first failure. Code that
// cleans up something it does not trust (the tester calling each Raft's
// Kill()) runs it through lab::cancellable: there a cancelled run's
// lab::Killed ends fn and cancellable returns false.
//
// No silent hang. In sim, virtual time moves only when every activity waits;
// an activity that never waits (a Call retry loop on a reliable link, a loop
// polling Chan::recv_for(0)) would hold the clock still for ever. The
// watchdog (the thread in lab::run) watches the virtual clock: frozen for
// LAB_FROZEN_MS of wall time (default 5000) while activities keep switching
// or calling lab::, the run fails as a LIVELOCK naming the busiest
// activities (context switches and lab:: calls, where each was started, its
// last lab:: call) and the virtual time; the test then fails as
// any other, and the timeline is written. An activity that keeps looping
// after that is parked for good and reported as abandoned. No virtual time is
// charged to any call, so a seed's trace is what it was. A thread that makes
// no progress at all for LAB_WATCHDOG_MS (default 2000: a spin without lab::
// calls, a blocking OS call) cannot be recovered: the process aborts. Every
// abort (watchdog, libc guards, misuse) first prints "lab: ..." lines with the
// seed of each run in progress and the failures it had recorded. In real
// time, such loops burn CPU and the time limit's report names the busiest.
//
// Blocking while holding a lab::Mutex — a labrpc Call, a channel operation
// that waits, lab::sleep_for, a CondVar wait on another mutex — stalls every
// activity that needs that mutex. It is reported with the call site and
// where the mutex was locked: a "lab: warning:" line on stderr, once per
// pair of sites; with LAB_STRICT=1 in the environment, a failure of the run.
//
// Misuse is an error with a message that names the activity and the time,
// never a hang: a recursive lock, an unlock by a non-owner, a send on a closed
// channel, a lab:: call outside a run in the sim backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/annotations.hpp"

namespace lab {

// Time since the run began: virtual in sim, steady_clock in real.
using Duration = std::chrono::nanoseconds;

// Where a lab:: call was made: a defaulted `Where where = {}` parameter
// takes the caller's file and line (std::source_location's role; Clang 14
// with libstdc++ has no std::source_location). For the reports.
struct Where {
  constexpr Where(const char* f = __builtin_FILE(), unsigned l = __builtin_LINE()) : file(f), line(l) {}
  static constexpr Where none() { return Where("", 0); }
  const char* file;
  unsigned line;
};

// Thrown by blocking lab:: calls in an activity that has been cancelled.
// Deliberately not a std::exception, so `catch (const std::exception&)` does
// not swallow it. It is sticky: the next blocking call throws again. The
// runtime counts the live Killed objects of each activity: while one is on
// its way out, the activity is cleaning up and its lab:: calls do not throw.
struct Killed {
  Killed() noexcept;
  Killed(const Killed&) noexcept;
  Killed& operator=(const Killed&) = default;
  ~Killed();
};

struct Options {
  std::uint64_t seed = 1;                      // decides every lab:: random choice
  Duration time_limit = std::chrono::seconds(120);
  std::string name = "root";                   // name of the root activity
  std::string test;                            // the test it runs, for crash reports ("Suite/Test")
  // How long cancelled activities may take to end, waits in their cleanup
  // code included, before run() gives up and reports them as abandoned
  // (real time in real, virtual time in sim).
  Duration grace = std::chrono::seconds(10);
};

// Livelock (sim only): virtual time stood still while activities kept running.
enum class Outcome { Passed, Failed, Deadlock, TimeLimit, Livelock };
const char* to_string(Outcome o);

struct Result {
  Outcome outcome = Outcome::Passed;
  std::vector<std::string> failures;  // each: "<message> (activity '<name>', t=<s>)"
  std::uint64_t seed = 0;
  Duration elapsed{};                 // time of the run: virtual in sim
  std::uint64_t trace_hash = 0;       // FNV-1a over every lab::trace() line
  std::uint64_t trace_lines = 0;
  std::uint64_t spawned = 0;          // activities started, the root included
  std::uint64_t stuck = 0;            // activities that ignored cancellation
  bool ok() const { return outcome == Outcome::Passed; }
  std::string summary() const;        // one line per failure, or "passed"
};

// Runs root as the first activity of a fresh run and returns when every
// activity of the run has ended.
Result run(const Options& opts, std::function<void()> root);

// Starts fn as a new activity. The name shows in failure and deadlock
// reports, with `where` (the caller's line); without a name, the activity is
// named after it ("go@raft/raft.cpp:77"). In a cancelled activity, throws
// lab::Killed instead (outside cleanup; in cleanup code it does nothing).
void go(std::string name, std::function<void()> fn, Where where = {});
void go(std::function<void()> fn, Where where = {});

// Starts fn as a new activity after d. Pending timers are dropped when the run ends.
void after(Duration d, std::function<void()> fn, Where where = {});

void sleep_for(Duration d, Where where = {});
Duration now();
void yield(Where where = {});

// The start of an operation that may block, for code built on lab:: (labrpc's
// Call calls it first): a cancellation point like sleep_for, a lab:: call
// for the sim watchdog, and a blocking call for the held-lab::Mutex check.
// `what` must outlive the run ("labrpc Call").
void checkpoint(const char* what, Where where = {});

// Runs fn on the calling activity as a step that a cancellation may cut
// short even in cleanup code: fn's lab:: calls throw lab::Killed if the run
// is being cancelled, and cancellable catches it and returns false (true if
// fn returned). For cleanup code that calls code it does not trust to return
// (the tester calls every Raft's Kill() so): a Kill() that waits for ever
// then ends at its wait instead of holding the whole run.
bool cancellable(const std::function<void()>& fn);

// For one scope, the calling activity's lab:: calls do not throw
// lab::Killed, and cancellation does not cut its waits short: a wait ends as
// in a live run, or when the run's grace is over (see the top). For
// destructors and other cleanup code that may run in a cancelled activity;
// the unwinding of a lab::Killed and the end of an activity are already so.
class CleanupScope {
 public:
  CleanupScope();
  ~CleanupScope();
  CleanupScope(const CleanupScope&) = delete;
  CleanupScope& operator=(const CleanupScope&) = delete;

 private:
  int prev_;
};

// Cancels every other activity of the run and waits until they have ended;
// pending after() timers are dropped and activities started later never run.
// The caller goes on. When the root simply returns, its locals are destroyed
// before run() cancels the rest, so state that other activities use must
// outlive them: hold a ShutdownGuard declared after that state.
void shutdown();

class ShutdownGuard {
 public:
  ShutdownGuard() = default;
  ~ShutdownGuard() { shutdown(); }
  ShutdownGuard(const ShutdownGuard&) = delete;
  ShutdownGuard& operator=(const ShutdownGuard&) = delete;
};

// Names, for one scope, what the calling activity may block on, so that
// deadlock and time-limit reports read "blocked in Chan::recv on applyCh
// (CondVar::wait)" rather than only the primitive. `what` must outlive the
// scope. Counts as a lab:: call for the sim watchdog; never throws.
class BlockingLabel {
 public:
  explicit BlockingLabel(const char* what);
  ~BlockingLabel();
  BlockingLabel(const BlockingLabel&) = delete;
  BlockingLabel& operator=(const BlockingLabel&) = delete;

 private:
  const char* prev_;
};

// Fails the run: records msg with the current activity and time, cancels
// every activity, and throws lab::Killed in the caller. In cleanup code,
// where a throw would end the process, the caller is parked instead and
// reported as abandoned when the run ends.
[[noreturn]] void fail(std::string msg);

// The run's seeded random source. rand_intn(n) is uniform on [0, n), n > 0.
std::uint64_t rand_u64();
std::int64_t rand_intn(std::int64_t n);

// Adds a line to the run's trace; the hash of the trace is in Result. In sim,
// one seed gives one trace, byte for byte. trace_enabled() says whether
// tracing is worth the formatting: true in sim, false in real, where the
// order of events is not reproducible anyway.
void trace(std::string_view line);
bool trace_enabled();

// Name of the calling activity ("" outside a run).
std::string activity_name();
// Seconds since the run began, formatted "12.345678", for messages.
std::string time_string();
// True when called from inside a run.
bool in_run();
// "real" or "sim".
const char* backend();

// Seed for a test: LAB_SEED from the environment if set, else a fresh random one.
std::uint64_t seed_from_env();

// Strict mode: LAB_STRICT set in the environment to anything but "" or "0".
// It turns the lab's warnings into failures (blocking with a lock held) and
// turns on the tester's extra checks (tester/strict.hpp).
bool strict();

}  // namespace lab

#if defined(LAB_SIM)
#include "lab/sim/sync.hpp"
#else
#include "lab/real/sync.hpp"
#endif

namespace lab {

// RAII lock on a lab::Mutex, known to Clang's thread-safety analysis.
// unlock()/lock() release and retake it in between, for example around a Call.
class LAB_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu, Where where = {}) LAB_ACQUIRE(mu) : mu_(mu) { mu_.lock(where); }
  ~MutexLock() LAB_RELEASE() {
    if (held_) mu_.unlock();
  }
  void unlock() LAB_RELEASE() {
    held_ = false;
    mu_.unlock();
  }
  void lock(Where where = {}) LAB_ACQUIRE() {
    mu_.lock(where);
    held_ = true;
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
  bool held_ = true;
};

}  // namespace lab
