// tests/corpus/lock_across_call.cpp — the peer's lock held across a Call.
//
// The mistake: sendAppend keeps mu_ locked while it waits for the
// AppendEntries reply. Every activity that needs mu_ (the RPC handlers, the
// ticker, GetState) waits as long as the Call does; on an unreliable network
// that is seconds, and two peers calling each other this way deadlock.
//
// What the lab says: a "lab: warning:" line naming the Call's site and
// where the mutex was locked, once per pair of sites; the test goes on.
// With LAB_STRICT=1 the test fails: "blocking with a lock held: labrpc Call
// at <site> while holding the lab::Mutex locked at <site>".
//
// corpus: smoke
// expect sim TestInitialElection2A within 40s: lab: warning: labrpc Call at tests/corpus/lock_across_call.cpp:\d+ while holding the lab::Mutex
// expect real TestInitialElection2A within 40s: lab: warning: labrpc Call at tests/corpus/lock_across_call.cpp:\d+ while holding the lab::Mutex
// expect sim LAB_STRICT=1 TestInitialElection2A within 40s: blocking with a lock held: labrpc Call at tests/corpus/lock_across_call
// expect real LAB_STRICT=1 TestInitialElection2A within 40s: blocking with a lock held: labrpc Call at tests/corpus/lock_across_call
#include "tests/corpus/base.hpp"

struct LockAcrossCall : corpus::Peer {
  using Peer::Peer;
  void sendAppend(int p) override {
    lab::MutexLock lk(mu_);
    if (role_ != raftapi::Role::Leader) return;
    corpus::AppendEntriesArgs args = appendArgs(p);
    corpus::AppendEntriesReply reply;
    if (!peers_[p]->Call("Raft.AppendEntries", args, &reply)) return;  // BUG: mu_ is held
    onAppendReply(p, args, reply);
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<LockAcrossCall>(std::move(peers), me, std::move(ps), std::move(ch));
}
