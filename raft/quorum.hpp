// raft/quorum.hpp — the pure arithmetic of Raft, kept apart so that tables can
// test it (tests/raft/quorum_test.cpp).
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

namespace raft {

// §5.4.1: a candidate's log is at least as up-to-date as the voter's when its
// last term is higher, or the last terms are equal and it is at least as long.
inline bool logIsUpToDate(int candLastTerm, int candLastIndex, int myLastTerm, int myLastIndex) {
  if (candLastTerm != myLastTerm) return candLastTerm > myLastTerm;
  return candLastIndex >= myLastIndex;
}

// The highest index N such that a majority of matchIndex (one entry per
// server, the leader's own last log index included) is >= N.
inline int quorumMatchIndex(std::vector<int> matchIndex) {
  if (matchIndex.empty()) return 0;
  std::sort(matchIndex.begin(), matchIndex.end(), std::greater<int>());
  return matchIndex[matchIndex.size() / 2];
}

// Figure 2, Rules for Servers, Leaders, last bullet: the new commitIndex.
// Only an entry of the leader's current term is committed by counting
// replicas (§5.4.2, Figure 8); earlier entries are committed with it.
inline int advanceCommitIndex(int commitIndex, int quorumIndex, int termAtQuorumIndex, int currentTerm) {
  if (quorumIndex > commitIndex && termAtQuorumIndex == currentTerm) return quorumIndex;
  return commitIndex;
}

}  // namespace raft
