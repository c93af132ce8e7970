// porcupine/search.hpp — the search for a linearization of one partition
// (internal; checker.hpp is the interface).
//
// The history becomes a doubly linked list of its calls and returns in time
// order, calls before returns at equal times. The search walks the list from
// the front, trying to make the next call its operation's linearization
// point: if the model accepts the operation from the current state, the call
// and its return are unlinked ("lifted") and the walk restarts from the
// front. Reaching a return means that operation had to take effect before
// any later call but could not: undo the last choice ("unlift") and try the
// call after it. The history is linearizable when the list empties, and is
// not when there is nothing left to undo.
//
// Memoization: a pair (set of operations done, state) that was reached once
// leads to the same outcome again, so it is never entered twice. The set is
// a bitset with an incrementally maintained hash (one random key per
// operation, xor-ed in and out); states live in one arena that the cache,
// the undo stack and the current state all refer to by index, so a state is
// never copied after step() made it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "porcupine/model.hpp"
#include "porcupine/run.hpp"

namespace porcupine::detail {

// A fixed random-looking 64-bit key per operation (splitmix64 of its id).
inline std::uint64_t operationKey(std::uint64_t id) {
  std::uint64_t z = id * 0x9e3779b97f4a7c15ull + 0x6a09e667f3bcc909ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

inline std::uint64_t mixStateHash(std::uint64_t h) { return operationKey(h ^ 0x243f6a8885a308d3ull); }

// The outcome of one partition's search. longest[id] indexes sequences: the
// longest linearizable prefix seen that contains operation id (-1: none).
struct SearchResult {
  PartOutcome outcome = PartOutcome::Stopped;
  std::vector<std::vector<int>> sequences;
  std::vector<int> longest;
};

// The visited (operations done, state) pairs: an open-addressing hash set
// whose entries are (key, bitset in an arena, state index).
class VisitedSet {
 public:
  explicit VisitedSet(std::size_t words) : words_(words), slots_(1024) {}

  // The index of an entry equal to (bits, state) with this key, or -1.
  // sameState(i) compares the candidate state with entry i's state.
  template <class SameState>
  std::int64_t find(std::uint64_t key, const std::uint64_t* bits, SameState&& sameState) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = key & mask;; s = (s + 1) & mask) {
      const Slot& slot = slots_[s];
      if (slot.entry == 0) return -1;
      const std::uint32_t e = slot.entry - 1;
      if (slot.key == key && std::memcmp(&bits_[e * words_], bits, words_ * 8) == 0 && sameState(stateOf_[e])) {
        return e;
      }
    }
  }

  // Adds an entry known to be absent.
  void insert(std::uint64_t key, const std::uint64_t* bits, std::uint32_t state) {
    if (2 * (count_ + 1) > slots_.size()) grow();
    bits_.insert(bits_.end(), bits, bits + words_);
    stateOf_.push_back(state);
    place(key, static_cast<std::uint32_t>(++count_));
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t entry = 0;  // 1 + entry index; 0 = empty
  };

  void place(std::uint64_t key, std::uint32_t entry) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t s = key & mask;
    while (slots_[s].entry != 0) s = (s + 1) & mask;
    slots_[s] = {key, entry};
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.entry != 0) place(slot.key, slot.entry);
    }
  }

  std::size_t words_;
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint32_t> stateOf_;
  std::size_t count_ = 0;
};

// Searches one partition. ops[i] is operation id i. The model has its
// defaults filled in. When partial, records the longest prefixes (verbose).
template <class In, class Out, class St>
SearchResult searchPartition(const Model<In, Out, St>& model, const History<In, Out>& ops, bool partial,
                             const Budget& budget) {
  const int n = static_cast<int>(ops.size());
  SearchResult result;
  result.longest.assign(n, -1);

  // The list: node 0 is the head; nodes 1..2n are the calls and returns in
  // time order, calls first at equal times (intervals are closed).
  struct Node {
    int op;
    bool isCall;
    int match;  // a call's return node
    int prev, next;
  };
  std::vector<Node> list(2 * n + 1);
  {
    struct Stamp {
      Time t;
      bool isReturn;
      int op;
    };
    std::vector<Stamp> stamps;
    stamps.reserve(2 * n);
    for (int i = 0; i < n; ++i) {
      stamps.push_back({ops[i].call, false, i});
      stamps.push_back({ops[i].ret, true, i});
    }
    std::stable_sort(stamps.begin(), stamps.end(),
                     [](const Stamp& a, const Stamp& b) { return a.t != b.t ? a.t < b.t : a.isReturn < b.isReturn; });
    std::vector<int> returnNode(n);
    list[0] = {-1, false, -1, -1, 2 * n > 0 ? 1 : -1};
    for (int k = 0; k < 2 * n; ++k) {
      const int node = k + 1;
      list[node] = {stamps[k].op, !stamps[k].isReturn, -1, node - 1, node < 2 * n ? node + 1 : -1};
      if (stamps[k].isReturn) returnNode[stamps[k].op] = node;
    }
    for (int node = 1; node <= 2 * n; ++node) {
      if (list[node].isCall) list[node].match = returnNode[list[node].op];
    }
  }
  auto lift = [&](int call) {
    const Node& c = list[call];
    list[c.prev].next = c.next;
    list[c.next].prev = c.prev;  // a call is always followed by something: its return at least
    const Node& r = list[c.match];
    list[r.prev].next = r.next;
    if (r.next >= 0) list[r.next].prev = r.prev;
  };
  auto unlift = [&](int call) {
    const Node& r = list[list[call].match];
    list[r.prev].next = list[call].match;
    if (r.next >= 0) list[r.next].prev = list[call].match;
    const Node& c = list[call];
    list[c.prev].next = call;
    list[c.next].prev = call;
  };

  const std::size_t words = (static_cast<std::size_t>(n) + 63) / 64;
  std::vector<std::uint64_t> done(words, 0);
  std::uint64_t doneKey = 0;
  auto flip = [&](int op) {
    done[op / 64] ^= std::uint64_t{1} << (op % 64);
    doneKey ^= operationKey(op);
  };

  std::vector<St> states;  // the arena
  states.push_back(model.init());
  std::uint32_t state = 0;
  VisitedSet visited(words);
  struct Choice {
    int call;
    std::uint32_t stateBefore;
  };
  std::vector<Choice> stack;
  std::vector<int> refs;  // partial mode: how many operations point at each sequence

  auto recordPrefix = [&] {
    int seq = -1;
    for (const Choice& c : stack) {
      const int op = list[c.call].op;
      int& best = result.longest[op];
      if (best >= 0 && result.sequences[best].size() >= stack.size()) continue;
      if (seq < 0) {
        seq = static_cast<int>(result.sequences.size());
        std::vector<int> ids;
        ids.reserve(stack.size());
        for (const Choice& d : stack) ids.push_back(list[d.call].op);
        result.sequences.push_back(std::move(ids));
        refs.push_back(0);
      }
      if (best >= 0 && --refs[best] == 0) std::vector<int>().swap(result.sequences[best]);  // free what nobody uses
      best = seq;
      ++refs[seq];
    }
  };

  std::uint64_t steps = 0;
  int entry = list[0].next;
  while (list[0].next >= 0) {
    if (budget.exhausted(steps++)) {
      result.outcome = PartOutcome::Stopped;
      return result;
    }
    const Node& node = list[entry];
    if (node.isCall) {
      const auto& op = ops[node.op];
      std::optional<St> next = model.step(states[state], op.input, op.output);
      if (next) {
        flip(node.op);
        std::uint64_t key = doneKey;
        if (model.hash) key ^= mixStateHash(model.hash(*next));
        const bool seen =
            visited.find(key, done.data(), [&](std::uint32_t s) { return model.equal(states[s], *next); }) >= 0;
        if (!seen) {
          states.push_back(std::move(*next));
          const auto now = static_cast<std::uint32_t>(states.size() - 1);
          visited.insert(key, done.data(), now);
          stack.push_back({entry, state});
          state = now;
          lift(entry);
          entry = list[0].next;
          continue;
        }
        flip(node.op);
      }
      entry = node.next;
      continue;
    }
    // A return: its operation cannot be placed after what is linearized now.
    if (stack.empty()) {
      result.outcome = PartOutcome::Illegal;
      return result;
    }
    if (partial) recordPrefix();
    const Choice top = stack.back();
    stack.pop_back();
    state = top.stateBefore;
    flip(list[top.call].op);
    unlift(top.call);
    entry = list[top.call].next;
  }

  // Everything is linearized: the stack is the linearization.
  std::vector<int> order;
  order.reserve(stack.size());
  for (const Choice& c : stack) order.push_back(list[c.call].op);
  result.sequences.assign(1, std::move(order));
  result.longest.assign(n, 0);
  result.outcome = PartOutcome::Ok;
  return result;
}

}  // namespace porcupine::detail
