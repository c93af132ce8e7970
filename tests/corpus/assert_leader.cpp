// tests/corpus/assert_leader.cpp — an assert that Start() is only ever
// called on the leader.
//
// The mistake: the student assumes the service calls Start() on the leader
// only. Raft's contract is the opposite: any peer may be asked, and a
// follower answers isLeader = false. The tester asks every server.
//
// What the lab says: assert() aborts; the test fails with SIGABRT, the
// activity, the test, the seed and the stack, then the process ends.
//
// expect sim TestBasicAgree2B within 40s: SIGABRT \(abort\(\)
// expect real TestBasicAgree2B within 40s: SIGABRT \(abort\(\)
#include <cassert>

#include "tests/corpus/base.hpp"

struct AssertLeader : corpus::Peer {
  using Peer::Peer;

  raftapi::StartResult Start(labgob::Command command) override {
    auto r = Peer::Start(std::move(command));
    assert(r.isLeader);  // BUG: followers are asked too
    return r;
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<AssertLeader>(std::move(peers), me, std::move(ps), std::move(ch));
}
