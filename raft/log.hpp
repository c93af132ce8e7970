// BEGIN SOLUTION 2B
// raft/log.hpp — the replicated log, indexed as the paper indexes it. Every
// offset computation lives here, so the rest of the code speaks only in log
// indexes:
//
//   log.lastIndex(), log.lastTerm()     the newest entry (or the snapshot's)
//   log.term(i), log.at(i)              entry i
//   log.append(e); log.truncateAfter(i) grow; drop everything after i
//   log.from(i, n)                      up to n entries from i on, for an append
//   log.compact(i, term)                a snapshot now covers 1..i (Figure 13)
//
// The first index is 1. Entries through lastIncludedIndex() have been
// replaced by a snapshot (Figure 13's name); only that last entry's term is
// kept, so term(lastIncludedIndex()) still answers, which is all the
// consistency check of AppendEntries needs. Without a snapshot,
// lastIncludedIndex() is 0, with term 0.
#pragma once

#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "lab/lab.hpp"
#include "raft/rpc.hpp"

namespace raft {

class Log {
 public:
  int lastIncludedIndex() const { return base_; }
  int lastIncludedTerm() const { return baseTerm_; }
  int lastIndex() const { return base_ + static_cast<int>(entries_.size()); }
  int lastTerm() const { return entries_.empty() ? baseTerm_ : entries_.back().Term; }

  // The term of entry index, for lastIncludedIndex() <= index <= lastIndex().
  int term(int index) const { return index == base_ ? baseTerm_ : at(index).Term; }
  // Entry index, for lastIncludedIndex() < index <= lastIndex().
  const LogEntry& at(int index) const { return entries_.at(offset(index)); }

  // Appends one entry. A log's terms never decrease: a leader only appends
  // entries of its own term, which is at least that of everything it holds.
  void append(LogEntry e) {
    if (e.Term < lastTerm())
      lab::fail("log: appending an entry of term " + std::to_string(e.Term) + " after one of term " +
                std::to_string(lastTerm()));
    entries_.push_back(std::move(e));
  }
  // Drops every entry after index (lastIncludedIndex() <= index <= lastIndex()).
  void truncateAfter(int index) { entries_.resize(offset(index + 1)); }
  // At most n entries starting at index, in order (none if index > lastIndex()).
  std::vector<LogEntry> from(int index, std::size_t n) const {
    const std::size_t first = offset(index);
    const std::size_t last = std::min(entries_.size(), first + n);
    return {entries_.begin() + static_cast<std::ptrdiff_t>(first),
            entries_.begin() + static_cast<std::ptrdiff_t>(last)};
  }

  // A snapshot now covers everything through index (> lastIncludedIndex()),
  // whose term is term. The entries after index stay if this log holds index
  // with that term: the snapshot is then a prefix of this log. Otherwise the
  // whole log goes, since it disagrees with the snapshot, which is committed.
  void compact(int index, int term) {
    if (index <= base_)
      lab::fail("log: compacting through " + std::to_string(index) + ", already through " + std::to_string(base_));
    if (index <= lastIndex() && this->term(index) == term)
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(offset(index + 1)));
    else
      entries_.clear();
    base_ = index;
    baseTerm_ = term;
  }

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & base_ & baseTerm_ & entries_;
  }

 private:
  // Where entry index sits in entries_ (index lastIndex() + 1 is one past the end).
  std::size_t offset(int index) const {
    if (index <= base_ || index > lastIndex() + 1)
      lab::fail("log: index " + std::to_string(index) + " outside (" + std::to_string(base_) + ", " +
                std::to_string(lastIndex() + 1) + "]");
    return static_cast<std::size_t>(index - base_ - 1);
  }

  int base_ = 0;                   // lastIncludedIndex
  int baseTerm_ = 0;               // lastIncludedTerm
  std::vector<LogEntry> entries_;  // entries_[k] has index base_ + 1 + k
};

}  // namespace raft

// A plain value on disk: no per-archive class header, no object tracking.
BOOST_CLASS_IMPLEMENTATION(raft::Log, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::Log, boost::serialization::track_never)
// END SOLUTION
