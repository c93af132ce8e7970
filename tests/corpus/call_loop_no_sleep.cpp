// tests/corpus/call_loop_no_sleep.cpp — a leader's heartbeat loop without a sleep.
//
// The mistake: the leader sends heartbeats in a loop and forgets the pause
// between rounds. On a reliable, connected network a Call takes no virtual
// time, so in sim the clock never moves: without the watchdog the test would
// spin for ever. In real time (and in Go) it burns a core and floods the
// network; the tests still pass, slowly.
//
// What the lab says (sim): the run fails as a LIVELOCK that names the
// busiest activities (here "S<n> heartbeats", where it was started and its
// last lab:: call) and the virtual time; the timeline is written.
// In real time the test passes (with some 400,000 RPCs in 3 s).
//
// corpus: smoke
// expect sim TestInitialElection2A within 40s: livelock at t=.*busiest .S\d heartbeats
// expect real TestInitialElection2A within 40s: \.\.\. Passed
#include "tests/corpus/base.hpp"

struct NoSleepHeartbeats : corpus::Peer {
  using Peer::Peer;
  void heartbeats(int term) override {
    while (!killed()) {
      {
        lab::MutexLock lk(mu_);
        if (role_ != raftapi::Role::Leader || currentTerm_ != term) return;
      }
      for (int p = 0; p < static_cast<int>(peers_.size()); p++)
        if (p != me_) sendAppend(p);  // BUG: no lab::sleep_for between rounds
    }
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<NoSleepHeartbeats>(std::move(peers), me, std::move(ps), std::move(ch));
}
