// Internals shared by the files of the real-threads backend (lab/real/*.cpp):
// the state of a run (RunState) and of each activity, and the helpers more
// than one file needs.
//
// The real-threads backend of lab::. Activities run on a cached pool of
// threads; timers are Boost.Asio steady_timers on one I/O thread;
// cancellation is a std::stop_source per activity, whose callbacks wake a
// cancelled waiter at once (no polling).
//
// Where to look:
//   scheduler.cpp  the thread pool and the timer thread, starting and ending
//                  activities, go/after/sleep_for/yield/now
//   sync.cpp       Mutex, CondVar, BlockingLabel
//   run.cpp        lab::run and its time limit, cancellation with the report
//                  of what is left alive, shutdown, fail, rand, trace
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "lab/common.hpp"
#include "lab/lab.hpp"

namespace lab::detail {

using Clock = std::chrono::steady_clock;
struct RunState;

struct Activity {
  std::string name;
  std::uint64_t id = 0;
  std::shared_ptr<RunState> run;
  std::stop_source stop;
  std::atomic<const char*> blocked_in{nullptr};  // what it waits on, for reports
  std::atomic<const char*> label{nullptr};       // set by lab::BlockingLabel
  std::function<void()> fn;  // what it runs; dropped before it stops counting as live
  bool root = false;
  Where started_at = Where::none();  // where go() or after() was called; empty for the root
  CondVar sleep_cv;           // sleep_for waits here; nobody notifies it
  Mutex sleep_mu;

  // Touched by its own thread only. Cancellation throws only while
  // killed_objs == throw_at (see the sim backend's FiberRec).
  int killed_objs = 0;
  int throw_at = 0;
  bool may_throw() const { return killed_objs == throw_at; }
  HeldLocks held;  // the lab::Mutexes it holds

  // For the time limit's report: lab:: calls so far, and the last one with a
  // site (written by its own thread, read by the report's).
  std::atomic<std::uint64_t> ops{0};
  std::atomic<const char*> last_what{nullptr};
  std::atomic<const char*> last_file{nullptr};
  std::atomic<std::uint_least32_t> last_line{0};
  void note_op(const char* what, const Where* where) {
    ops.store(ops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (where && label.load(std::memory_order_relaxed) == nullptr) {
      last_what.store(what, std::memory_order_relaxed);
      last_file.store(where->file, std::memory_order_relaxed);
      last_line.store(where->line, std::memory_order_relaxed);
    }
  }
};

struct RunState : std::enable_shared_from_this<RunState> {
  explicit RunState(const Options& o) : opt(o), record(o.seed, o.test), rng(o.seed), start(Clock::now()) {}
  const Options opt;
  RunRecord record;  // what an abort of the process prints about this run

  std::mutex m;                  // guards everything below but rng
  std::condition_variable cv;    // run() waits here
  std::map<std::uint64_t, Activity*> live;  // ordered by id, for reports
  std::set<boost::asio::steady_timer*> timers;
  bool root_done = false;
  bool stopping = false;
  Outcome outcome = Outcome::Passed;
  std::vector<std::string> failures;
  std::uint64_t next_id = 0;
  std::uint64_t next_after = 0;
  std::uint64_t trace_hash = kFnvOffset;
  std::uint64_t trace_lines = 0;

  std::mutex rng_mu;
  std::mt19937_64 rng;
  const Clock::time_point start;
};

inline thread_local Activity* tl_act = nullptr;

// scheduler.cpp: when the process started; lab::now() outside a run counts from it.
extern const Clock::time_point process_start;

// Polls ready() for up to `budget`: first with a CPU pause, then yielding
// the core to whoever else is runnable. True once ready() held.
template <class F>
bool spin_until(F ready, Clock::duration budget) {
  if (budget <= Clock::duration::zero()) return ready();
  const auto end = Clock::now() + budget;
  for (unsigned i = 0;; i++) {
    if (ready()) return true;
    if (i < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      if ((i & 7) == 0 && Clock::now() >= end) return ready();
      std::this_thread::yield();
    }
  }
}

// scheduler.cpp: the I/O thread that runs every after() timer.
boost::asio::io_context& io();

// --- activities -----------------------------------------------------------------

inline Activity& require_activity(const char* what) {
  if (tl_act == nullptr) abort_process(std::string(what) + " called outside lab::run (no activity on this thread)");
  return *tl_act;
}

// A cancellation point: throws Killed if the activity is cancelled, unless
// it is in cleanup code (see lab.hpp).
inline void throw_if_killed(Activity& a) {
  if (a.stop.stop_requested() && a.may_throw()) throw Killed{};
}

// Reports a blocking call made while holding a lab::Mutex other than `except`.
void check_held_slow(Activity& a, const Mutex* except, const char* what, const Where& where);
inline void check_held(Activity& a, const Mutex* except, const char* what, const Where& where) {
  if (a.held.empty() || a.held.only(except)) return;
  check_held_slow(a, except, what, where);
}

// scheduler.cpp: requires rs->m. Starts fn as a new activity of the run.
void spawn_locked(const std::shared_ptr<RunState>& rs, std::string name, std::function<void()> fn, bool root,
                  Where where = Where::none());

// run.cpp: "activity 'x', t=1.000000", for failure messages.
std::string stamp(RunState& rs, const std::string& name);

// run.cpp: requires rs.m. Cancels the run: every activity but `except`, and
// its timers.
void cancel_locked(RunState& rs, Activity* except);

// run.cpp: requires rs.m. Records a failure and cancels the run.
void record_failure_locked(RunState& rs, std::string msg, Outcome why);

// run.cpp: requires rs.m. One line per live activity but `except`: what it is blocked in.
std::string live_report_locked(RunState& rs, const Activity* except = nullptr);

// Marks the calling activity as blocked in `op` for reports, for one scope.
// The outermost mark wins: sleep_for waits on a CondVar, and is reported as
// sleep_for.
class Blocked {
 public:
  Blocked(Activity& a, const char* op) : a_(a), outer_(a.blocked_in.load(std::memory_order_relaxed) == nullptr) {
    if (outer_) a_.blocked_in.store(op, std::memory_order_relaxed);
  }
  ~Blocked() {
    if (outer_) a_.blocked_in.store(nullptr, std::memory_order_relaxed);
  }

 private:
  Activity& a_;
  const bool outer_;
};

}  // namespace lab::detail
