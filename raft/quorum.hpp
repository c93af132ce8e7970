// raft/quorum.hpp — the pure arithmetic of Raft, kept apart so that tables can
// test it (raft/quorum_test.cpp).
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

namespace raft {

// §5.4.1: a candidate's log is at least as up-to-date as the voter's when its
// last term is higher, or the last terms are equal and it is at least as long.
inline bool logIsUpToDate([[maybe_unused]] int candLastTerm, [[maybe_unused]] int candLastIndex,
                          [[maybe_unused]] int myLastTerm, [[maybe_unused]] int myLastIndex) {
  // BEGIN SOLUTION 2B
  if (candLastTerm != myLastTerm) return candLastTerm > myLastTerm;
  return candLastIndex >= myLastIndex;
  // ELSE
  // return true;
  // END SOLUTION
}

// The highest index N such that a majority of matchIndex (one entry per
// server, the leader's own last log index included) is >= N.
inline int quorumMatchIndex([[maybe_unused]] std::vector<int> matchIndex) {
  // BEGIN SOLUTION 2B
  if (matchIndex.empty()) return 0;
  std::sort(matchIndex.begin(), matchIndex.end(), std::greater<int>());
  return matchIndex[matchIndex.size() / 2];
  // ELSE
  // return 0;
  // END SOLUTION
}

// Figure 2, Rules for Servers, Leaders, last bullet: the new commitIndex.
// Only an entry of the leader's current term is committed by counting
// replicas (§5.4.2, Figure 8); earlier entries are committed with it.
inline int advanceCommitIndex(int commitIndex, [[maybe_unused]] int quorumIndex, [[maybe_unused]] int termAtQuorumIndex,
                              [[maybe_unused]] int currentTerm) {
  // BEGIN SOLUTION 2B
  const bool ours = termAtQuorumIndex == currentTerm;
  return quorumIndex > commitIndex && ours ? quorumIndex : commitIndex;
  // ELSE
  // return commitIndex;
  // END SOLUTION
}

}  // namespace raft
