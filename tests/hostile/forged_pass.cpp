// tests/hostile/forged_pass.cpp — print what a passing run prints, then _Exit(0).
//
// The trick: a grader that reads "*** No errors detected" from the test's
// output and a zero exit status gives full marks with no Raft at all.
//
// What the grader says: the verdict channel has the test's start and no end,
// so the test failed, "before the test ended", whatever was printed.
//
// expect score 0: before the test ended
#include <cstdio>
#include <cstdlib>

#include "raft/base.hpp"

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  std::puts("  ... Passed --   3.0  3   40    2140    0\n*** No errors detected");
  std::fflush(stdout);
  std::_Exit(0);
  return corpus::serve<corpus::Peer>(std::move(peers), me, std::move(ps), std::move(ch));
}
