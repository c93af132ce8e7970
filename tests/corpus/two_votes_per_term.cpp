// tests/corpus/two_votes_per_term.cpp — a vote that is not one per term.
//
// The mistake: RequestVote grants every candidate of the current term whose
// log is up to date, without looking at votedFor. Figure 2 allows one vote
// per term ("votedFor is null or candidateId"); with two, two candidates of
// one term can both win it.
//
// What the lab says: the Go checks see two leaders only when one round of
// checkOneLeader() finds both still leading, which is rare (the first
// heartbeat of one deposes the other): TestManyElections2A passes. With
// LAB_STRICT=1 the tester remembers the leader of every term it has seen,
// over the whole run, and fails at the second server that answers as leader
// of a term already led: in about half the runs of that test, and in the run
// of seed 1 below, the very run the Go checks pass.
//
// expect sim LAB_SEED=1 TestManyElections2A within 60s: \.\.\. Passed
// expect sim LAB_SEED=1 LAB_STRICT=1 TestManyElections2A within 60s: strict: two leaders in term \d+: server \d and server \d
#include "tests/corpus/base.hpp"

struct TwoVotes : corpus::Peer {
  using Peer::Peer;
  void RequestVote(const corpus::RequestVoteArgs& args, corpus::RequestVoteReply* reply) override {
    lab::MutexLock lk(mu_);
    if (args.Term > currentTerm_) becomeFollower(args.Term);
    reply->Term = currentTerm_;
    const bool upToDate =
        args.LastLogTerm > lastTerm() || (args.LastLogTerm == lastTerm() && args.LastLogIndex >= lastIndex());
    if (args.Term == currentTerm_ && upToDate) {  // BUG: votedFor_ is not checked
      votedFor_ = args.CandidateId;
      lastHeard_ = lab::now();
      reply->VoteGranted = true;
    }
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<TwoVotes>(std::move(peers), me, std::move(ps), std::move(ch));
}
