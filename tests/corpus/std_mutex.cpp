// tests/corpus/std_mutex.cpp — a std::mutex instead of a lab::Mutex.
//
// The mistake: the vote count is guarded by a std::mutex, locked at the top
// of askVote, so it is held across the RequestVote Call. In sim every
// activity is a fiber on one thread: the second askVote of the candidate
// blocks that thread on a std::mutex that only the first (suspended inside
// its Call) can release, and the whole simulation would stop for good. The
// sim backend's libc guard catches the contended lock. An uncontended
// std::mutex (never held across a lab:: call) is not seen at run time in
// either backend; scripts/check-rules (make lab) names it at build time.
// In real time the askVotes queue up behind the lock and the test passes.
// Whether the candidate's two askVotes overlap in sim depends on the
// schedule, so the runs are pinned by seed: with LAB_SEED=1 they do (as in
// about two runs of three); with LAB_SEED=15 they do not, and the test
// passes without a word.
//
// The std::mutex here is the mistake on purpose: this file is a broken
// student Raft kept as a test of what the lab reports, never code to copy.
//
// check-rules: std::mutex
// expect sim LAB_SEED=1 TestInitialElection2A within 40s: pthread_mutex_lock on a mutex held elsewhere \(contended std::mutex\?\)
// expect sim LAB_SEED=15 TestInitialElection2A within 40s: \.\.\. Passed
// expect real TestInitialElection2A within 40s: \.\.\. Passed
#include <mutex>

#include "tests/corpus/base.hpp"

struct StdMutexVotes : corpus::Peer {
  using Peer::Peer;
  std::mutex votesMu_;  // BUG: a std::mutex (use lab::Mutex)
  int votes_ = 1;

  void askVote(int p, corpus::RequestVoteArgs args, std::shared_ptr<int>) override {
    std::lock_guard<std::mutex> g(votesMu_);
    corpus::RequestVoteReply reply;
    if (!peers_[p]->Call("Raft.RequestVote", args, &reply)) return;
    lab::MutexLock lk(mu_);
    if (reply.Term > currentTerm_) becomeFollower(reply.Term);
    if (role_ != raftapi::Role::Candidate || currentTerm_ != args.Term || !reply.VoteGranted) return;
    if (++votes_ * 2 > static_cast<int>(peers_.size())) becomeLeader();
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<StdMutexVotes>(std::move(peers), me, std::move(ps), std::move(ch));
}
