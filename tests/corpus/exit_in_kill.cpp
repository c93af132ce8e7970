// tests/corpus/exit_in_kill.cpp — std::exit(0) in Kill().
//
// The mistake: "Kill ends this server", read as "end the program". The
// tester kills every peer when a test ends (and crashes some mid-test), so
// the process would stop with status 0 and look, to a script, like success.
//
// What the lab says: the test fails with "exit(0) called by activity ...",
// the test and the seed, then the process ends with the lab's own status.
//
// expect sim TestInitialElection2A within 40s: exit\(0\) called by activity
// expect real TestInitialElection2A within 40s: exit\(0\) called by activity
#include <cstdlib>

#include "tests/corpus/base.hpp"

struct ExitInKill : corpus::Peer {
  using Peer::Peer;

  void Kill() override {
    Peer::Kill();
    std::exit(0);  // BUG: ends the whole test process
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<ExitInKill>(std::move(peers), me, std::move(ps), std::move(ch));
}
