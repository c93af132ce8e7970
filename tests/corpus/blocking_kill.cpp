// tests/corpus/blocking_kill.cpp — a Kill() that waits for ever.
//
// The mistake: Kill() waits on a lab::CondVar for the ticker to say it has
// stopped, but the ticker never says so. Here, also, no peer ever starts an
// election, so TestInitialElection2A fails ("expected one leader, got
// none") and the tester then calls Kill() on every peer during the failed
// test's cleanup. Go's Kill must return; so must this one.
//
// What the lab says: the test's own failure, as without the bug; the
// blocked Kill() is cut short (the tester runs it as cancellable cleanup),
// so the message, the seed and the timeline are kept and the next tests run.
//
// corpus: smoke
// expect sim TestInitialElection2A within 40s: expected one leader, got none
// expect real TestInitialElection2A within 40s: expected one leader, got none
#include "tests/corpus/base.hpp"

struct BlockingKill : corpus::Peer {
  using Peer::Peer;
  lab::CondVar stopped_;
  bool tickerDone_ LAB_GUARDED_BY(mu_) = false;

  void ticker() override {}  // never elects anyone (and never sets tickerDone_)

  void Kill() override {
    lab::MutexLock lk(mu_);
    dead_ = true;
    while (!tickerDone_) stopped_.wait(mu_);  // BUG: nobody notifies
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<BlockingKill>(std::move(peers), me, std::move(ps), std::move(ch));
}
