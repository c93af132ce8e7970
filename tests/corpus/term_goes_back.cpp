// tests/corpus/term_goes_back.cpp — a follower that takes any leader's term.
//
// The mistake: AppendEntries sets currentTerm to the sender's term before
// anything else, "the leader's term is the term", also when it is older
// than ours. A leader cut off in an old term that comes back takes the
// others back to its term: currentTerm goes down, and with it the vote of a
// term already voted in.
//
// What the lab says: the Go checks look at one moment at a time, and
// TestReElection2A passes. With LAB_STRICT=1 the tester compares the terms
// each instance answered, in the order the answers came, and fails when
// one goes down: in most runs of that test, and in the run of seed 1 below,
// the very run the Go checks pass. (In TestRejoin2B both fail, on the
// consequence: two commands applied at one index.) There the applier fails
// the test at once; in the 2026 edition (tester/edition.hpp) the error is
// recorded and the test body fails with it at its next check.
//
// expect sim LAB_SEED=1 TestReElection2A within 60s: \.\.\. Passed
// expect sim LAB_SEED=1 LAB_STRICT=1 TestReElection2A within 60s: strict: server \d's term went down from \d+ to \d+ \(the same instance, no restart\)
// expect sim LAB_SEED=1 TestRejoin2B within 60s: ^  apply error: commit index=\d+ server=\d \d+ != server=\d \d+$
// expect sim LAB_SEED=1 LAB_EDITION=2026 TestRejoin3B within 60s: ^  commit index=\d+ server=\d \d+ != server=\d \d+ \(activity 'root'
#include "tests/corpus/base.hpp"

struct TermGoesBack : corpus::Peer {
  using Peer::Peer;
  void AppendEntries(const corpus::AppendEntriesArgs& args, corpus::AppendEntriesReply* reply) override {
    {
      lab::MutexLock lk(mu_);
      if (args.Term < currentTerm_) {
        currentTerm_ = args.Term;  // BUG: an older leader's term replaces ours
        setRole(raftapi::Role::Follower);
      }
    }
    Peer::AppendEntries(args, reply);
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<TermGoesBack>(std::move(peers), me, std::move(ps), std::move(ch));
}
