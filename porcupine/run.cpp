// The partition runner (see run.hpp). Workers take partitions from a shared
// counter; nothing is shared between searches but that counter and the
// cancellation flag, so no lock is needed: the results are read after join.
#include "porcupine/run.hpp"

#include <algorithm>
#include <exception>
#include <thread>

namespace porcupine {

std::string toString(CheckResult r) {
  switch (r) {
    case CheckResult::Ok:
      return "Ok";
    case CheckResult::Illegal:
      return "Illegal";
    case CheckResult::Unknown:
      return "Unknown";
  }
  return "?";
}

std::vector<PartOutcome> runPartitions(std::size_t count, const CheckOptions& options, bool keepGoing,
                                       const std::function<PartOutcome(std::size_t, const Budget&)>& search) {
  std::vector<PartOutcome> outcomes(count, PartOutcome::Stopped);
  std::atomic<bool> cancelled{false};
  const bool hasDeadline = options.timeout.count() > 0;
  auto deadlineFrom = [&](std::chrono::steady_clock::time_point t) {
    return hasDeadline ? t + std::chrono::duration_cast<std::chrono::steady_clock::duration>(options.timeout) : t;
  };

  std::size_t workers = options.threads > 0 ? static_cast<std::size_t>(options.threads)
                                            : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, count);
  if (workers <= 1) {
    // In the caller's thread: each partition has its own deadline, so a slow
    // partition cannot use up the time of the ones after it.
    for (std::size_t i = 0; i < count && !cancelled.load(std::memory_order_relaxed); ++i) {
      Budget budget(cancelled, deadlineFrom(std::chrono::steady_clock::now()), hasDeadline, options.maxSteps);
      outcomes[i] = search(i, budget);
      if (outcomes[i] == PartOutcome::Illegal && !keepGoing) cancelled = true;
    }
    return outcomes;
  }

  const Budget budget(cancelled, deadlineFrom(std::chrono::steady_clock::now()), hasDeadline, options.maxSteps);
  std::atomic<std::size_t> nextPart{0};
  // An exception from a model (in a worker) stops the check and is thrown
  // again in the caller's thread, after every worker has ended.
  std::vector<std::exception_ptr> errors(workers);
  auto work = [&](std::size_t w) {
    try {
      for (;;) {
        const std::size_t i = nextPart.fetch_add(1);
        if (i >= count || cancelled.load(std::memory_order_relaxed)) return;
        outcomes[i] = search(i, budget);
        if (outcomes[i] == PartOutcome::Illegal && !keepGoing) cancelled = true;
      }
    } catch (...) {
      errors[w] = std::current_exception();
      cancelled = true;
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) threads.emplace_back(work, w);
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return outcomes;
}

std::ostream& operator<<(std::ostream& os, CheckResult r) { return os << toString(r); }

CheckResult combine(const std::vector<PartOutcome>& outcomes) {
  if (std::find(outcomes.begin(), outcomes.end(), PartOutcome::Illegal) != outcomes.end()) return CheckResult::Illegal;
  if (std::find(outcomes.begin(), outcomes.end(), PartOutcome::Stopped) != outcomes.end()) return CheckResult::Unknown;
  return CheckResult::Ok;
}

}  // namespace porcupine
