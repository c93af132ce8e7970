// tests/corpus/throw_in_applier.cpp — an exception escapes an activity.
//
// The mistake: the applier reads the entry after the last one committed
// with std::vector::at (an off-by-one), which throws std::out_of_range as
// soon as the first command commits. Nothing catches it inside the
// activity.
//
// What the lab says: the test fails with the exception's type and what(),
// and the activity; the other tests of the process go on.
//
// expect sim TestBasicAgree2B within 40s: uncaught exception std::out_of_range
// expect real TestBasicAgree2B within 40s: uncaught exception std::out_of_range
#include "tests/corpus/base.hpp"

struct ThrowInApplier : corpus::Peer {
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
      m.Command = log_.at(commitIndex_ + 1).Command;  // BUG: one past the committed end
      lk.unlock();
      applyCh_->send(std::move(m));
      lk.lock();
    }
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<ThrowInApplier>(std::move(peers), me, std::move(ps), std::move(ch));
}
