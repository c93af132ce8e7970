// porcupine/viewer.hpp — a checked history as one self-contained HTML page
// (the CSS, the script and the data are inline; nothing is fetched).
//
//   visualize(model, info, path[, title])   write the page of a verbose check
//   viewData(model, info) / writeViewer(data, path) / renderViewer(data)
//                                           the same in two steps, the data
//                                           being plain text (model-free)
//
// The page draws one lane per client id (id -1 too) and one per annotation
// tag, time running to the right (compressed: equal gaps between distinct
// timestamps), each operation a box from its call to its return. On each
// partition it draws the longest linearization found: a mark at each
// operation's linearization point, joined in order. Where a partition is
// not linearizable the drawn prefix ends at the break: the operations that
// could have come next are marked in red, each with why it cannot
// (its output is impossible in that state, or every way on from it fails).
// Hovering shows an operation's description, times, and the states before
// and after it; clicking an operation (or opening the page at
// #op=<partition>-<operation>) shows the longest prefix that contains it.
// One partition is in focus (at first the first one that is not
// linearizable), the others are faded. Annotations are boxes in their lane,
// or bands across every lane.
#pragma once

#include <string>
#include <vector>

#include "porcupine/checker.hpp"

namespace porcupine {

struct ViewOperation {
  int clientId = 0;
  Time call = 0, ret = 0;
  std::string description;
};

// A linearizable prefix: operation ids in order, each with the state after it.
struct ViewPrefix {
  std::vector<int> ops;
  std::vector<std::string> states;
  // The operations that could have come next (their call is no later than
  // the first return among the operations left), and for each whether the
  // model rejects it from the prefix's last state (else it was a dead end).
  std::vector<int> next;
  std::vector<bool> nextRejected;
};

struct ViewPartition {
  std::string name;     // model.describePartition, or "#<index>"
  std::string outcome;  // "Ok", "Illegal", "Unknown" (search stopped)
  std::string initialState;
  std::vector<ViewOperation> operations;
  std::vector<ViewPrefix> prefixes;  // longest first
  std::vector<int> largest;          // per operation: index in prefixes, -1 = none
};

struct ViewData {
  std::string title = "Linearizability check";
  std::string result;  // the whole history's: "Ok", "Illegal", "Unknown"
  std::vector<ViewPartition> partitions;
  std::vector<Annotation> annotations;
};

// The page's HTML, and writing it to path (false, with *error, on failure).
std::string renderViewer(const ViewData& data);
bool writeViewer(const ViewData& data, const std::string& path, std::string* error = nullptr);

namespace detail {
std::string partOutcomeName(PartOutcome o);
}

template <class In, class Out, class St>
ViewData viewData(const Model<In, Out, St>& model, const LinearizationInfo<In, Out>& info) {
  const Model<In, Out, St> m = detail::readyModel(model);
  ViewData data;
  std::vector<PartOutcome> outcomes;
  for (const auto& part : info.partitions) {
    outcomes.push_back(part.outcome);
    ViewPartition& view = data.partitions.emplace_back();
    view.name = m.describePartition && !part.operations.empty() ? m.describePartition(part.operations)
                                                                : "#" + std::to_string(data.partitions.size() - 1);
    view.outcome = detail::partOutcomeName(part.outcome);
    view.initialState = m.describeState(m.init());
    for (const auto& op : part.operations) {
      view.operations.push_back({op.clientId, op.call, op.ret, m.describeOperation(op.input, op.output)});
    }
    view.largest = part.largest;
    const int n = static_cast<int>(part.operations.size());
    for (const auto& seq : part.partials) {
      ViewPrefix& prefix = view.prefixes.emplace_back();
      prefix.ops = seq;
      std::vector<bool> in(n, false);
      St state = m.init();
      for (int id : seq) {
        in[id] = true;
        const auto& op = part.operations[id];
        auto next = m.step(state, op.input, op.output);
        if (!next) {
          prefix.states.push_back("<the model rejects this step>");
          continue;
        }
        state = std::move(*next);
        prefix.states.push_back(m.describeState(state));
      }
      bool any = false;
      Time firstReturn = 0;
      for (int id = 0; id < n; ++id) {
        if (in[id]) continue;
        if (!any || part.operations[id].ret < firstReturn) firstReturn = part.operations[id].ret;
        any = true;
      }
      for (int id = 0; id < n; ++id) {
        if (in[id] || part.operations[id].call > firstReturn) continue;
        prefix.next.push_back(id);
        prefix.nextRejected.push_back(!m.step(state, part.operations[id].input, part.operations[id].output));
      }
    }
  }
  data.result = toString(combine(outcomes));
  data.annotations = info.annotations;
  return data;
}

template <class In, class Out, class St>
bool visualize(const Model<In, Out, St>& model, const LinearizationInfo<In, Out>& info, const std::string& path,
               const std::string& title = "", std::string* error = nullptr) {
  ViewData data = viewData(model, info);
  if (!title.empty()) data.title = title;
  return writeViewer(data, path, error);
}

}  // namespace porcupine
