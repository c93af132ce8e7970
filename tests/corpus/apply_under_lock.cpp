// tests/corpus/apply_under_lock.cpp — a send on applyCh with the lock held.
//
// The mistake: the applier keeps mu_ while it sends on applyCh. The service
// on the other end may call back into Raft before it takes the next
// message: in 2D the tester's applier calls Snapshot() every 10 entries,
// Snapshot() takes mu_, and the applier waits for that receive with mu_
// held. Nothing moves again: every activity waits on mu_ or on the channel.
//
// What the lab says: first a "lab: warning:" line for the send on applyCh
// with the lock held (a failure with LAB_STRICT=1); then, as the peers'
// tickers still sleep and wake, no deadlock is seen: the test runs to its
// 120 s time limit (virtual in sim: about a second of wall time), and the
// TIME-LIMIT report lists every activity and where it waits (the peer's
// applier in "Chan::send on applyCh", the tester's applier and the rest in
// Mutex::lock). In real time the same, after 120 s of wall time: not run
// here.
//
// expect sim TestSnapshotBasic2D within 60s: TIME-LIMIT
// expect sim LAB_STRICT=1 TestSnapshotBasic2D within 60s: blocking with a lock held: Chan::send on applyCh
#include "tests/corpus/base.hpp"

struct ApplyUnderLock : corpus::Peer {
  using Peer::Peer;
  void applier() override {
    lab::MutexLock lk(mu_);
    while (!dead_) {
      if (lastApplied_ >= commitIndex_) {
        applyCond_.wait(mu_);
        continue;
      }
      raftapi::ApplyMsg m;
      m.CommandValid = true;
      m.CommandIndex = ++lastApplied_;
      m.Command = log_[lastApplied_].Command;
      applyCh_->send(std::move(m));  // BUG: mu_ is held across the send
    }
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<ApplyUnderLock>(std::move(peers), me, std::move(ps), std::move(ch));
}
