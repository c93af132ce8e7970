// tests/corpus/race_getstate.cpp — GetState() reads the term without the lock.
//
// The mistake: "it is only a read of an int", so GetState() skips mu_ while
// the ticker and the RPC handlers change currentTerm_ and role_ under it.
// That is a data race: undefined behaviour in C++, and the tester may see a
// term and a role that never held together.
//
// What the lab says: in sim (one thread) and in real without a sanitizer
// the test passes; under ThreadSanitizer the first report is this race, at
// this file's GetState, against the write in the base's becomeFollower or
// ticker:
//
//   make build/tsan/corpus/race_getstate
//   TSAN_OPTIONS=halt_on_error=1 build/tsan/corpus/race_getstate --run_test='*/TestInitialElection2A'
//
// expect sim TestInitialElection2A within 40s: \.\.\. Passed
#include "tests/corpus/base.hpp"

struct RaceGetState : corpus::Peer {
  using Peer::Peer;

  // LAB_NO_TSA: Clang's analysis (make tsa) would reject this read; here it is
  // off, as it is for a student who never runs it.
  raftapi::State GetState() override LAB_NO_TSA {
    return {currentTerm_, role_ == raftapi::Role::Leader};  // BUG: no lock
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<RaceGetState>(std::move(peers), me, std::move(ps), std::move(ch));
}
