// tests/corpus/quick_exit_ticker.cpp — _Exit(0) left in the ticker.
//
// The mistake: a debugging shortcut ("stop here once an election happened")
// left in: the ticker calls _Exit(0) after a while. _Exit skips every
// handler a normal exit runs, so the test binary would simply vanish with
// status 0 in the middle of a test.
//
// What the lab says: the test fails with "_Exit(0) called by activity ...",
// the test and the seed, then the process ends with the lab's own status.
//
// expect sim TestInitialElection2A within 40s: _Exit\(0\) called by activity
// expect real TestInitialElection2A within 40s: _Exit\(0\) called by activity
#include <cstdlib>

#include "tests/corpus/base.hpp"

struct QuickExitTicker : corpus::Peer {
  using Peer::Peer;

  void ticker() override {
    lab::sleep_for(std::chrono::seconds(1));
    std::_Exit(0);  // BUG: a debugging stop left in
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<QuickExitTicker>(std::move(peers), me, std::move(ps), std::move(ch));
}
