// tests/corpus/polling_select.cpp — Go's select-with-default as a polling loop.
//
// The mistake: the election timer is written as a loop that polls a channel
// with recv_for(0) (Go's `select { case <-heard: ... default: }`) until a
// deadline read from lab::now(). Nothing in the loop waits, so in sim
// virtual time never reaches the deadline. Wait instead: recv_for(timeout),
// or lab::select with a timeout case, or lab::sleep_for between checks.
//
// What the lab says (sim): a LIVELOCK naming the polling activities ("S<n>
// ticker") and their last lab:: call (the Chan::recv). In real time the loop
// burns a core per peer while the wall clock moves on.
//
// corpus: smoke
// expect sim TestInitialElection2A within 40s: livelock at t=.*busiest .S\d ticker
// expect real TestInitialElection2A within 40s: \.\.\. Passed
#include "tests/corpus/base.hpp"

struct PollingTicker : corpus::Peer {
  using Peer::Peer;
  lab::Chan<int> heard_{1, "heard"};  // a leader's heartbeat would land here

  void ticker() override {
    while (!killed()) {
      const lab::Duration deadline = lab::now() + electionTimeout();
      bool heard = false;
      while (!heard && lab::now() < deadline)  // BUG: polls, never waits
        heard = heard_.recv_for(lab::Duration::zero()).has_value();
      lab::MutexLock lk(mu_);
      if (!heard && role_ != raftapi::Role::Leader && lab::now() - lastHeard_ > std::chrono::milliseconds(300)) startElection();
    }
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<PollingTicker>(std::move(peers), me, std::move(ps), std::move(ch));
}
