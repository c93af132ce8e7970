// tests/hostile/exit_zero.cpp — std::exit(0) in the middle of a test.
//
// The trick: end the process with status 0 before the checks that would fail
// get to run, so that a script that trusts exit status counts a pass.
//
// What the grader says: the lab reports the exit(0) itself, and the verdict
// channel has no end for the test: failed.
//
// expect score 0: exit\(0\) called by activity
#include <cstdlib>

#include "raft/base.hpp"

struct ExitInStart : corpus::Peer {
  using Peer::Peer;
  raftapi::State GetState() override { std::exit(0); }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<ExitInStart>(std::move(peers), me, std::move(ps), std::move(ch));
}
