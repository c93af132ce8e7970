// Table tests of Raft's pure arithmetic (raft/quorum.hpp).
#include <boost/test/unit_test.hpp>

#include <vector>

#include "raft/quorum.hpp"

BOOST_AUTO_TEST_SUITE(RaftQuorum, *boost::unit_test::label("unit"))

BOOST_AUTO_TEST_CASE(quorumMatchIndex_isTheMajoritysLowest) {
  struct Row {
    std::vector<int> match;
    int want;
  };
  const Row rows[] = {
      {{0, 0, 0}, 0},    {{5, 0, 0}, 0},       {{5, 3, 0}, 3},       {{5, 3, 4}, 4},
      {{7, 7, 7}, 7},    {{1, 2, 3, 4, 5}, 3}, {{9, 9, 0, 0, 0}, 0}, {{9, 9, 9, 0, 0}, 9},
      {{2, 8, 4, 6}, 4},  // 4 servers: a majority is 3
      {{}, 0},
  };
  for (const auto& r : rows) BOOST_TEST(raft::quorumMatchIndex(r.match) == r.want);
}

BOOST_AUTO_TEST_CASE(advanceCommitIndex_countsOnlyCurrentTermEntries) {
  struct Row {
    int commitIndex, quorumIndex, termAtQuorum, currentTerm, want;
  };
  const Row rows[] = {
      {0, 1, 1, 1, 1},  // first entry of the term, on a majority
      {3, 5, 2, 2, 5},  // commits 4 and 5 together
      {3, 5, 1, 2, 3},  // Figure 8: an old term's entry is not committed by counting
      {5, 5, 2, 2, 5},  // nothing new
      {6, 5, 2, 2, 6},  // never backwards
  };
  for (const auto& r : rows)
    BOOST_TEST(raft::advanceCommitIndex(r.commitIndex, r.quorumIndex, r.termAtQuorum, r.currentTerm) == r.want);
}

BOOST_AUTO_TEST_CASE(logIsUpToDate_comparesLastTermThenLength) {
  struct Row {
    int candTerm, candIndex, myTerm, myIndex;
    bool want;
  };
  const Row rows[] = {
      {2, 1, 1, 9, true},   // higher last term wins, however short
      {1, 9, 2, 1, false},  // lower last term loses, however long
      {2, 5, 2, 5, true},   // equal is up-to-date
      {2, 6, 2, 5, true},  {2, 4, 2, 5, false}, {0, 0, 0, 0, true},
  };
  for (const auto& r : rows) BOOST_TEST(raft::logIsUpToDate(r.candTerm, r.candIndex, r.myTerm, r.myIndex) == r.want);
}

BOOST_AUTO_TEST_SUITE_END()
