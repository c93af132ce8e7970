// Helpers shared by both backends of lab::. Internal to lab/.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lab/lab.hpp"

namespace lab::detail {

inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;

inline std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// "12.345678"
std::string format_seconds(Duration d);

// "raft/raft.cpp:77": a source location as the reports print it.
std::string site(const Where& loc);
// True for a location inside the runtime itself (lab/...), which says
// nothing to a student: reports then print the operation's label instead.
bool inside_lab(const Where& loc);

// A lock that never enters the kernel: safe on the simulation thread, where
// the libc guards watch pthread_mutex_lock. For tiny critical sections only.
class SpinLock {
 public:
  void lock() {
    while (f_.test_and_set(std::memory_order_acquire)) {
    }
  }
  void unlock() { f_.clear(std::memory_order_release); }

 private:
  std::atomic_flag f_ = ATOMIC_FLAG_INIT;
};

// What an abort of the process prints about a run in progress: its seed
// and the failures it had recorded. Every run registers one for its life;
// record() is called with every failure the run records.
class RunRecord {
 public:
  RunRecord(std::uint64_t seed, std::string test);
  ~RunRecord();
  // The run has returned (its record stays while stuck activities live on):
  // no longer in progress for the abort and crash paths. Idempotent.
  void end();
  std::uint64_t seed() const { return seed_; }
  const std::string& test() const { return test_; }
  RunRecord(const RunRecord&) = delete;
  RunRecord& operator=(const RunRecord&) = delete;
  void record(const std::string& failure);

 private:
  friend void print_runs();
  friend void print_crash_runs();
  const std::uint64_t seed_;
  const std::string test_;
  SpinLock mu_;
  std::vector<std::string> failures_;
};

// Prints, for every run in progress, "lab: seed <n> ..." and each failure it
// recorded, to stderr. For the abort paths.
void print_runs();

// The live activities of the calling activity's run, as the time-limit
// report lists them ("\n    'sender' (#2) blocked in Chan::send on c ...").
// For tests that must wait until another activity is blocked.
std::string live_activities();

// Prints "lab: <msg>", then print_runs(), and aborts the process.
[[noreturn]] void abort_process(const std::string& msg);

// --- crashes (common.cpp) ---------------------------------------------------------
//
// A fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT), exit/_Exit/_exit/
// quick_exit called while a run is in progress: the process cannot go on, so
// it prints the story (what happened, the activity, its time, the test, the
// seed, the failures already recorded, the activity's symbolized stack) to
// stdout and stderr and ends with kCrashStatus. SIGINT prints the seed line
// and the running test, then ends the process as SIGINT does.

// The exit status of a process ended by a crash report.
inline constexpr int kCrashStatus = 86;

// Backend hook (guard.cpp in sim, scheduler.cpp in real): who runs on this
// thread and its time, without locks; in sim it also turns the libc guards off.
struct CrashWhere {
  char who[200];  // "activity 'S1 ticker' (#7)"
  char when[80];  // "virtual t=1.234567" or "t=1.234567 (real time)"; may be empty
};
void crash_where(CrashWhere& w);

// Installs the handlers (each lab::run calls it: Boost.Test puts its own back
// after each test case) and an alternate signal stack for the calling thread.
void install_crash_handlers();
// An alternate signal stack for the calling thread (a stack overflow is
// reported too); once per thread.
void thread_altstack();

// print_runs' failures, to stdout and stderr, for the crash story.
void print_crash_runs();
// True between a run's start and its return.
bool run_in_progress();
// exit(status) and its kin, called during a run: the crash story, then the end.
[[noreturn]] void exit_called(const char* fn, int status);

// "std::out_of_range: vector::_M_range_check: ..." for the exception being
// handled (call from a catch block).
std::string current_exception_story();

// The lab::Mutexes an activity holds, most recent last: a few in place,
// without allocating (a lock and an unlock are on every RPC's path); beyond
// kMax only counted.
class HeldLocks {
 public:
  bool empty() const { return tracked_ + extra_ == 0; }
  void add(const Mutex* m) {
    if (tracked_ < kMax)
      at_[tracked_++] = m;
    else
      ++extra_;
  }
  void remove(const Mutex* m) {
    for (int i = tracked_ - 1; i >= 0; --i)
      if (at_[i] == m) {
        for (int j = i; j + 1 < tracked_; ++j) at_[j] = at_[j + 1];
        --tracked_;
        return;
      }
    if (extra_ > 0) --extra_;
  }
  // The most recently locked one but `except`; null if none (or only
  // untracked ones) is held.
  const Mutex* other_than(const Mutex* except) const {
    for (int i = tracked_ - 1; i >= 0; --i)
      if (at_[i] != except) return at_[i];
    return nullptr;
  }
  bool only(const Mutex* m) const { return tracked_ == 1 && extra_ == 0 && at_[0] == m; }

 private:
  static constexpr int kMax = 6;
  const Mutex* at_[kMax] = {};
  int tracked_ = 0;
  int extra_ = 0;
};

// One live activity in a report.
struct ReportLine {
  std::uint64_t id;
  std::string name;
  std::string state;  // "blocked in ...", "running ..."
};
// "\n    'x' (#1) <state>" per activity, identical ones (same name and state)
// grouped: "\n    37 × 'x' (#4, #9, #12, … #311) <state>". In order of first id.
std::string group_report(const std::vector<ReportLine>& lines);

// A blocking call (`what`, at `where`) made while holding a lab::Mutex
// locked at `locked_at`: a warning once per pair of sites, or with
// LAB_STRICT=1 a failure of the run (lab::fail; only when `may_fail`).
void report_lock_held(const char* what, const char* label, const Where& where, const Where& locked_at,
                      const std::string& activity, bool may_fail);

}  // namespace lab::detail
