// tests/corpus/segv_in_start.cpp — a null pointer dereferenced in Start().
//
// The mistake: Start() keeps a pointer to "the entry just appended" in a
// table that only a leader fills in, and reads it on every peer. The tester
// calls Start() on every server, so a follower reads through nullptr.
//
// What the lab says: the test fails with the signal, the activity, the
// time, the test, the seed and the faulting activity's stack, then the
// process ends (a crash cannot be survived).
//
// expect sim TestBasicAgree2B within 40s: SIGSEGV \(segmentation fault
// expect real TestBasicAgree2B within 40s: SIGSEGV \(segmentation fault
#include "tests/corpus/base.hpp"

struct SegvInStart : corpus::Peer {
  using Peer::Peer;
  const corpus::LogEntry* newest_ = nullptr;  // set only while leader

  raftapi::StartResult Start(labgob::Command command) override {
    auto r = Peer::Start(std::move(command));
    volatile int term = newest_->Term;  // BUG: nullptr on every follower
    (void)term;
    return r;
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<SegvInStart>(std::move(peers), me, std::move(ps), std::move(ch));
}
