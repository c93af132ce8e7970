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
//
// Lifetime. lab::run owns every activity started inside it. When the root
// returns, fails, or the time limit passes, every activity still alive is
// cancelled: its next blocking lab:: call (sleep, wait, channel operation)
// throws lab::Killed, which unwinds its stack. run() returns only when all of
// them have ended, so nothing outlives the test. Never swallow lab::Killed:
// a `catch (...)` must rethrow it. The root's own locals die when it returns,
// before that cancellation: guard state other activities use with a
// lab::ShutdownGuard declared after it.
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

// Thrown by blocking lab:: calls in an activity that has been cancelled.
// Deliberately not a std::exception, so `catch (const std::exception&)` does
// not swallow it. It is sticky: the next blocking call throws again.
struct Killed {};

struct Options {
  std::uint64_t seed = 1;                      // decides every lab:: random choice
  Duration time_limit = std::chrono::seconds(120);
  std::string name = "root";                   // name of the root activity
  // How long run() waits for cancelled activities to end before it gives up
  // and reports them as stuck (real backend; sim needs no grace).
  Duration grace = std::chrono::seconds(10);
};

enum class Outcome { Passed, Failed, Deadlock, TimeLimit };
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

// Starts fn as a new activity. The name shows in failure and deadlock reports.
void go(std::string name, std::function<void()> fn);
void go(std::function<void()> fn);

// Starts fn as a new activity after d. Pending timers are dropped when the run ends.
void after(Duration d, std::function<void()> fn);

void sleep_for(Duration d);
Duration now();
void yield();

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
// (CondVar::wait)" rather than only the primitive. `what` must outlive the scope.
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
// every activity, and throws lab::Killed in the caller.
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
  explicit MutexLock(Mutex& mu) LAB_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() LAB_RELEASE() {
    if (held_) mu_.unlock();
  }
  void unlock() LAB_RELEASE() {
    held_ = false;
    mu_.unlock();
  }
  void lock() LAB_ACQUIRE() {
    mu_.lock();
    held_ = true;
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
  bool held_ = true;
};

}  // namespace lab
