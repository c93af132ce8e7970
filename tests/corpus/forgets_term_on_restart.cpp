// tests/corpus/forgets_term_on_restart.cpp — nothing saved, so a restart forgets.
//
// The mistake: the peer never writes its state to the Persister (this is the
// corpus base as it is: it keeps Figure 2's "persistent state" in memory
// only). A restarted server comes back in term 0 with no vote and an empty
// log, and may vote again in a term it already voted in.
//
// What the lab says: the Go tests fail later, on what follows from it (a
// command applied at an index that already had another). With LAB_STRICT=1
// the tester asks each new instance its term right after Make: one below a
// term the server had led in before its crash fails at once (a leader saved
// that term before asking for votes).
//
// expect sim LAB_STRICT=1 TestPersist12C within 60s: strict: server \d restarted in term 0, below term \d+ in which it had led before its crash
#include "tests/corpus/base.hpp"

struct ForgetsTerm : corpus::Peer {
  using Peer::Peer;  // BUG: no persist(), no readPersist() at Make
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<ForgetsTerm>(std::move(peers), me, std::move(ps), std::move(ch));
}
