// porcupine/run.hpp — the non-generic half of a check: the verdict type, the
// options, and the runner that checks the partitions of a history, in
// parallel threads or one after another, under a time or step budget.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace porcupine {

enum class CheckResult : std::uint8_t {
  Ok,       // linearizable
  Illegal,  // not linearizable
  Unknown,  // the budget ran out before an answer
};

std::string toString(CheckResult r);  // "Ok", "Illegal", "Unknown"
std::ostream& operator<<(std::ostream& os, CheckResult r);

struct CheckOptions {
  // Wall-clock budget, 0 = none. With several threads it is one deadline for
  // the whole check; with threads = 1 each partition gets the whole budget.
  std::chrono::nanoseconds timeout{0};
  // Deterministic budget, 0 = none: search steps allowed per partition (a
  // step tries one operation). Same history, same budget, same answer.
  std::uint64_t maxSteps = 0;
  // 0: as many threads as cores, at most one per partition; 1: every
  // partition in the caller's thread, with no thread and no lock at all.
  int threads = 0;
};

// Why a partition's search ended.
enum class PartOutcome : std::uint8_t { Ok, Illegal, Stopped };

// What a search polls to know whether to give up. Read by one search only;
// the flag it shares with the other searches is atomic.
class Budget {
 public:
  Budget(const std::atomic<bool>& cancelled, std::chrono::steady_clock::time_point deadline, bool hasDeadline,
         std::uint64_t maxSteps)
      : cancelled_(cancelled), deadline_(deadline), hasDeadline_(hasDeadline), maxSteps_(maxSteps) {}

  // True when the search must stop, after `steps` steps. Cheap enough to
  // call every step: the clock is read one call in 256.
  bool exhausted(std::uint64_t steps) const {
    if (maxSteps_ != 0 && steps >= maxSteps_) return true;
    if ((steps & 255) != 0) return false;
    if (cancelled_.load(std::memory_order_relaxed)) return true;
    return hasDeadline_ && std::chrono::steady_clock::now() >= deadline_;
  }

 private:
  const std::atomic<bool>& cancelled_;
  std::chrono::steady_clock::time_point deadline_;
  bool hasDeadline_;
  std::uint64_t maxSteps_;
};

// Runs search(i, budget) for each partition i < count and answers each one's
// outcome. Unless keepGoing, the first Illegal cancels the searches still
// running and those not started (they answer Stopped). An exception thrown by
// a search stops the others and comes out of this call, in the caller's thread.
std::vector<PartOutcome> runPartitions(std::size_t count, const CheckOptions& options, bool keepGoing,
                                       const std::function<PartOutcome(std::size_t, const Budget&)>& search);

// The verdict of a whole history from its partitions' outcomes: Illegal if
// any is, else Unknown if any was stopped, else Ok.
CheckResult combine(const std::vector<PartOutcome>& outcomes);

}  // namespace porcupine
