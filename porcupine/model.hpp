// porcupine/model.hpp — what the checker checks against: a sequential
// specification of an object, and the history of concurrent calls on it.
//
//   Operation<In, Out>   one call: who made it, its input and output, and the
//                        closed interval [call, ret] in which it took effect
//   Event<In, Out>       the other way to give a history: calls and returns in
//                        the order they happened, paired by id
//   Model<In, Out, St>   init() and step() are required; the rest have defaults
//                        (one partition; equal by ==; descriptions by <<)
//   NondeterministicModel<In, Out, St>::toModel()
//                        a model whose step may lead to several states, run as
//                        a deterministic model over sets of states
//
// step(state, input, output) answers the state after the operation, or
// nullopt when the output is impossible from that state. It must be pure: the
// checker calls it many times on the same arguments, and from several threads
// at once (one per partition).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace porcupine {

// Timestamps are any monotonic integer clock (ns, virtual time, event index).
using Time = std::int64_t;

template <class In, class Out>
struct Operation {
  int clientId = 0;  // the lane the viewer draws it in; the check ignores it
  In input{};
  Time call = 0;
  Out output{};
  Time ret = 0;  // >= call; [call, ret] is closed: [1, 2] and [2, 3] overlap
};

enum class EventKind : std::uint8_t { Call, Return };

// One side of an operation. A call carries the input, a return the output;
// the other field is unused. Ids pair a call with its return and need not be
// dense; only the order of the events in the history matters.
template <class In, class Out>
struct Event {
  int clientId = 0;
  EventKind kind = EventKind::Call;
  int id = 0;
  In input{};
  Out output{};
};

template <class In, class Out>
using History = std::vector<Operation<In, Out>>;

namespace detail {

template <class T>
concept Printable = requires(std::ostream& os, const T& t) {
  os << t;
};

// "%v"-like text of a value for the default descriptions.
template <class T>
std::string describeValue(const T& v) {
  if constexpr (Printable<T>) {
    std::ostringstream os;
    os << v;
    return os.str();
  } else {
    return "?";
  }
}

}  // namespace detail

template <class In, class Out, class St>
struct Model {
  using Input = In;
  using Output = Out;
  using State = St;
  using Ops = History<In, Out>;

  // Splits a history into parts that are linearizable together iff each one
  // is alone (per key, for a key/value store). Each part keeps its
  // operations' order. Default: the whole history is one part.
  std::function<std::vector<Ops>(const Ops&)> partition;
  std::function<St()> init;                                                 // required
  std::function<std::optional<St>(const St&, const In&, const Out&)> step;  // required
  std::function<bool(const St&, const St&)> equal;                          // default: ==
  // Optional: a hash of a state, consistent with equal. It spreads the
  // checker's cache of visited (operations done, state) pairs; without it
  // all states of one set of operations share a bucket.
  std::function<std::uint64_t(const St&)> hash;
  std::function<std::string(const In&, const Out&)> describeOperation;  // for the viewer
  std::function<std::string(const St&)> describeState;                  // for the viewer
  std::function<std::string(const Ops&)> describePartition;             // for the viewer, e.g. "key 'x'"

  // A copy with every absent optional member given its default.
  Model withDefaults() const {
    Model m = *this;
    if (!m.partition) m.partition = [](const Ops& h) { return std::vector<Ops>{h}; };
    if (!m.equal) {
      if constexpr (std::equality_comparable<St>) {
        m.equal = [](const St& a, const St& b) { return a == b; };
      }
    }
    if (!m.describeOperation) {
      m.describeOperation = [](const In& in, const Out& out) {
        return detail::describeValue(in) + " -> " + detail::describeValue(out);
      };
    }
    if (!m.describeState) m.describeState = [](const St& s) { return detail::describeValue(s); };
    return m;
  }
};

// A model whose operations may have several outcomes: init() and step()
// answer every possible state (step: none = the output is impossible).
// equal is required, to merge duplicate states.
template <class In, class Out, class St>
struct NondeterministicModel {
  using Ops = History<In, Out>;

  std::function<std::vector<Ops>(const Ops&)> partition;
  std::function<std::vector<St>()> init;
  std::function<std::vector<St>(const St&, const In&, const Out&)> step;
  std::function<bool(const St&, const St&)> equal;
  std::function<std::string(const In&, const Out&)> describeOperation;
  std::function<std::string(const St&)> describeState;
  std::function<std::string(const Ops&)> describePartition;

  // The deterministic model over sets of states (the power-set
  // construction): a state is the list of distinct possible states, a step
  // maps each of them and merges the results, and is illegal when none is left.
  Model<In, Out, std::vector<St>> toModel() const {
    using Set = std::vector<St>;
    auto eq = equal;
    if (!eq) {
      if constexpr (std::equality_comparable<St>) {
        eq = [](const St& a, const St& b) { return a == b; };
      }
    }
    // Keeps the first of each group of equal states, in order.
    auto merge = [eq](Set states) {
      Set out;
      for (auto& s : states) {
        if (std::none_of(out.begin(), out.end(), [&](const St& t) { return eq(s, t); })) out.push_back(std::move(s));
      }
      return out;
    };
    Model<In, Out, Set> m;
    m.partition = partition;
    m.init = [merge, init = init] { return merge(init()); };
    m.step = [merge, step = step](const Set& states, const In& in, const Out& out) -> std::optional<Set> {
      Set next;
      for (const St& s : states) {
        for (St& t : step(s, in, out)) next.push_back(std::move(t));
      }
      if (next.empty()) return std::nullopt;
      return merge(std::move(next));
    };
    m.equal = [eq](const Set& a, const Set& b) {
      if (a.size() != b.size()) return false;
      return std::all_of(a.begin(), a.end(), [&](const St& s) {
        return std::any_of(b.begin(), b.end(), [&](const St& t) { return eq(s, t); });
      });
    };
    m.describeOperation = describeOperation;
    m.describePartition = describePartition;
    auto one = describeState ? describeState : [](const St& s) { return detail::describeValue(s); };
    m.describeState = [one](const Set& states) {
      std::string text = "{";
      for (std::size_t i = 0; i < states.size(); ++i) text += (i ? ", " : "") + one(states[i]);
      return text + "}";
    };
    return m;
  }
};

// An event history as operations: each event's time is its position, so the
// checker's sort by time gives back exactly the events' order. A call without
// a return is left out (it has no place in a complete history).
template <class In, class Out>
History<In, Out> eventsToOperations(const std::vector<Event<In, Out>>& events) {
  History<In, Out> ops;
  std::vector<std::pair<int, std::size_t>> open;  // (event id, index in ops)
  std::vector<bool> returned;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.kind == EventKind::Call) {
      open.emplace_back(e.id, ops.size());
      ops.push_back({e.clientId, e.input, static_cast<Time>(i), Out{}, static_cast<Time>(i)});
      returned.push_back(false);
      continue;
    }
    auto it = std::find_if(open.begin(), open.end(), [&](const auto& p) { return p.first == e.id; });
    if (it == open.end()) continue;  // a return without a call: nothing to pair it with
    ops[it->second].output = e.output;
    ops[it->second].ret = static_cast<Time>(i);
    returned[it->second] = true;
    open.erase(it);
  }
  History<In, Out> complete;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (returned[i]) complete.push_back(std::move(ops[i]));
  }
  return complete;
}

// Groups a history by key(input), keeping the order within each group, the
// groups in increasing key order: the usual partition of a key/value store.
template <class In, class Out, class KeyOf>
std::vector<History<In, Out>> partitionByKey(const History<In, Out>& h, KeyOf key) {
  using K = std::decay_t<decltype(key(std::declval<const In&>()))>;
  std::vector<std::pair<K, std::size_t>> order;  // (key, position), sorted stably by key
  order.reserve(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) order.emplace_back(key(h[i].input), i);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<History<In, Out>> parts;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || order[i - 1].first < order[i].first) parts.emplace_back();
    parts.back().push_back(h[order[i].second]);
  }
  return parts;
}

}  // namespace porcupine
