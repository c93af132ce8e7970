// porcupine/checker.hpp — is a concurrent history linearizable with respect
// to a sequential model?
//
//   checkOperations(model, history[, options])         -> CheckResult
//   checkOperationsVerbose(model, history[, options])  -> {CheckResult, LinearizationInfo}
//   checkEvents / checkEventsVerbose                   the same for Event histories
//
// The history is split by model.partition and the parts are checked
// independently (in parallel threads unless options.threads == 1). The
// answer is Illegal as soon as one part is; Unknown when a budget
// (options.timeout, options.maxSteps) ran out first; else Ok.
//
// The verbose forms also say how far each part got: for a linearizable part
// one linearization; otherwise, per operation, the longest linearizable
// prefix found that contains it (the viewer draws these). In verbose mode an
// Illegal part does not stop the others, so that each can be shown.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "porcupine/model.hpp"
#include "porcupine/run.hpp"
#include "porcupine/search.hpp"

namespace porcupine {

// Free text placed on the viewer's time axis by the caller (test phases,
// partitions, crashes...). It goes in the lane of clientId, or in a lane of
// its own named tag when tag is set, or across all lanes when global.
// (The empty initializers let callers name only the fields they set.)
struct Annotation {
  int clientId = 0;
  std::string tag{};
  bool global = false;
  Time start = 0;
  Time end = 0;  // <= start: a point in time
  std::string description{};
  std::string details{};          // shown on hover
  std::string textColor{};        // any CSS colour; "" = default
  std::string backgroundColor{};  // any CSS colour; "" = default
};

template <class In, class Out>
struct LinearizationInfo {
  struct Partition {
    History<In, Out> operations;  // operation id = index here
    PartOutcome outcome = PartOutcome::Stopped;
    // Distinct linearizable prefixes found, longest first. For an Ok part,
    // exactly one: a complete linearization.
    std::vector<std::vector<int>> partials;
    // Per operation: the index in partials of the longest that contains it,
    // or -1 when none does.
    std::vector<int> largest;
  };
  std::vector<Partition> partitions;
  std::vector<Annotation> annotations;

  void addAnnotations(const std::vector<Annotation>& more) {
    annotations.insert(annotations.end(), more.begin(), more.end());
  }
  // Per partition, the partial linearizations as operation ids.
  std::vector<std::vector<std::vector<int>>> partialLinearizations() const {
    std::vector<std::vector<std::vector<int>>> out;
    for (const auto& p : partitions) out.push_back(p.partials);
    return out;
  }
  // The same as operations.
  std::vector<std::vector<History<In, Out>>> partialLinearizationsOperations() const {
    std::vector<std::vector<History<In, Out>>> out;
    for (const auto& p : partitions) {
      auto& lists = out.emplace_back();
      for (const auto& seq : p.partials) {
        auto& ops = lists.emplace_back();
        for (int id : seq) ops.push_back(p.operations.at(id));
      }
    }
    return out;
  }
};

namespace detail {

template <class In, class Out, class St>
Model<In, Out, St> readyModel(const Model<In, Out, St>& model) {
  if (!model.init || !model.step) throw std::invalid_argument("porcupine: a model needs init and step");
  Model<In, Out, St> m = model.withDefaults();
  if (!m.equal) throw std::invalid_argument("porcupine: a model whose state has no == needs equal");
  return m;
}

// The distinct sequences longest[] refers to, longest first (ties in the
// order they were found), and each operation's index among them.
template <class Part>
void collectPartials(SearchResult& r, Part& part) {
  std::vector<int> used;
  for (int s : r.longest) {
    if (s >= 0) used.push_back(s);
  }
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  std::stable_sort(used.begin(), used.end(),
                   [&](int a, int b) { return r.sequences[a].size() > r.sequences[b].size(); });
  part.partials.clear();
  for (int s : used) part.partials.push_back(std::move(r.sequences[s]));
  part.largest.assign(part.operations.size(), -1);
  for (int i = static_cast<int>(part.partials.size()) - 1; i >= 0; --i) {
    for (int id : part.partials[i]) part.largest[id] = i;
  }
}

template <class In, class Out, class St>
std::pair<CheckResult, LinearizationInfo<In, Out>> check(const Model<In, Out, St>& model,
                                                         const History<In, Out>& history, const CheckOptions& options,
                                                         bool verbose) {
  const Model<In, Out, St> m = readyModel(model);
  LinearizationInfo<In, Out> info;
  for (auto& part : m.partition(history)) info.partitions.push_back({std::move(part), PartOutcome::Stopped, {}, {}});
  for (const auto& part : info.partitions) {
    for (const auto& op : part.operations) {
      if (op.ret < op.call) {
        throw std::invalid_argument("porcupine: an operation of client " + std::to_string(op.clientId) + " returns (" +
                                    std::to_string(op.ret) + ") before its call (" + std::to_string(op.call) + ")");
      }
    }
  }
  std::vector<detail::SearchResult> results(info.partitions.size());
  const auto outcomes = runPartitions(info.partitions.size(), options, verbose, [&](std::size_t i, const Budget& b) {
    results[i] = searchPartition(m, info.partitions[i].operations, verbose, b);
    return results[i].outcome;
  });
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    info.partitions[i].outcome = outcomes[i];
    if (verbose) collectPartials(results[i], info.partitions[i]);
  }
  if (!verbose) info.partitions.clear();
  return {combine(outcomes), std::move(info)};
}

}  // namespace detail

template <class In, class Out, class St>
CheckResult checkOperations(const Model<In, Out, St>& model, const History<In, Out>& history,
                            const CheckOptions& options = {}) {
  return detail::check(model, history, options, false).first;
}

template <class In, class Out, class St>
std::pair<CheckResult, LinearizationInfo<In, Out>> checkOperationsVerbose(const Model<In, Out, St>& model,
                                                                          const History<In, Out>& history,
                                                                          const CheckOptions& options = {}) {
  return detail::check(model, history, options, true);
}

template <class In, class Out, class St>
CheckResult checkEvents(const Model<In, Out, St>& model, const std::vector<Event<In, Out>>& events,
                        const CheckOptions& options = {}) {
  return checkOperations(model, eventsToOperations(events), options);
}

template <class In, class Out, class St>
std::pair<CheckResult, LinearizationInfo<In, Out>> checkEventsVerbose(const Model<In, Out, St>& model,
                                                                      const std::vector<Event<In, Out>>& events,
                                                                      const CheckOptions& options = {}) {
  return checkOperationsVerbose(model, eventsToOperations(events), options);
}

}  // namespace porcupine
