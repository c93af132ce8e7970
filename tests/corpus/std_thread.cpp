// tests/corpus/std_thread.cpp — the election timer on a std::thread.
//
// The mistake: the ticker is started with std::thread(...).detach() instead
// of lab::go. The thread is not an activity of the test: in sim it is not a
// fiber of the simulation, in real time it is not known to the run, and it
// outlives the test.
//
// What the lab says: the thread's first lab:: call ends the process (it
// cannot be made an activity after the fact) with a "lab:" line naming the
// call, then the seed of the run in progress and the failures it had
// recorded; Boost.Test reports the SIGABRT.
//
// The std::thread here is the mistake on purpose: this file is a broken
// student Raft kept as a test of what the lab reports, never code to copy.
//
// check-rules: std::thread
// expect sim TestInitialElection2A within 40s: lab:: primitive used outside a running simulation .*: lab::
// expect real TestInitialElection2A within 40s: lab::go called outside lab::run
#include <thread>

#include "tests/corpus/base.hpp"

struct StdThreadTicker : corpus::Peer {
  using Peer::Peer;
  void startActivities() override {
    auto self = shared_from_this();
    std::thread([self, this] { ticker(); }).detach();  // BUG: use lab::go
    lab::go(name("applier"), [self, this] { applier(); });
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<StdThreadTicker>(std::move(peers), me, std::move(ps), std::move(ch));
}
