// tests/impls/gostyle/election.cpp — leader election (2A): the election timer
// starts one, RequestVote gathers votes, a majority makes a leader. All of it
// runs on the main loop, but the Calls, which run in their own activities.
#include <string>

#include "lab/select.hpp"
#include "raftapi/debug.hpp"
#include "tests/impls/gostyle/raft.hpp"

namespace gostyle {

// Rules for Servers, Followers: "If election timeout elapses without receiving
// AppendEntries RPC from current leader or granting vote to candidate:
// convert to candidate". Candidates: increment currentTerm, vote for self,
// reset election timer, send RequestVote RPCs to all other servers.
void Raft::startElection() {
  if (role_ == Role::Leader) return;
  currentTerm_++;
  votedFor_ = me_;
  votes_ = 1;
  persist();
  setRole(Role::Candidate);
  resetElectionTimer();
  DLOG(kVote, "S%d starts an election in T%d", me_, currentTerm_);
  const RequestVoteArgs args{currentTerm_, me_, lastIndex(), lastTerm()};
  for (int p = 0; p < static_cast<int>(peers_.size()); p++)
    if (p != me_) sendRequestVote(p, args);
  if (votes_ * 2 > static_cast<int>(peers_.size())) becomeLeader();  // a cluster of one
}

// The Call in its own activity; the answer goes back to the main loop. A lost
// request or reply is simply not reported: the election timer covers it.
void Raft::sendRequestVote(int peer, RequestVoteArgs args) {
  auto self = shared_from_this();
  lab::go("S" + std::to_string(me_) + " RequestVote to S" + std::to_string(peer), [self, peer, args] {
    RequestVoteReply reply;
    if (!self->peers_[peer]->Call("Raft.RequestVote", args, &reply)) return;
    lab::select(lab::send(self->voteResults_, VoteResult{peer, args.Term, reply}), lab::recv(self->done_));
  });
}

void Raft::onVoteResult(const VoteResult& v) {
  if (v.reply.Term > currentTerm_) {
    becomeFollower(v.reply.Term);
    return;
  }
  // A vote from an older election, or after this one was decided, counts for nothing.
  if (role_ != Role::Candidate || v.term != currentTerm_ || !v.reply.VoteGranted) return;
  DLOG(kVote, "S%d <- S%d vote in T%d", me_, v.peer, currentTerm_);
  if (++votes_ * 2 > static_cast<int>(peers_.size())) becomeLeader();
}

// Candidates: "If votes received from majority of servers: become leader".
// Leaders: "Upon election: send initial empty AppendEntries RPCs
// (heartbeat) to each server"; nextIndex and matchIndex start over.
void Raft::becomeLeader() {
  setRole(Role::Leader);
  electionTimer_.Stop();
  DLOG(kLead, "S%d leads T%d with log through I%d", me_, currentTerm_, lastIndex());
  for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
    nextIndex_[p] = lastIndex() + 1;
    matchIndex_[p] = p == me_ ? lastIndex() : 0;
  }
  for (int p = 0; p < static_cast<int>(peers_.size()); p++)
    if (p != me_) sendAppendEntries(p);
}

// RequestVote RPC, receiver implementation (Figure 2):
// 1. Reply false if term < currentTerm.
// 2. If votedFor is null or candidateId, and candidate's log is at least as
//    up-to-date as receiver's log (§5.4.1), grant vote.
// Granting a vote resets the election timer.
RequestVoteReply Raft::handleRequestVote(const RequestVoteArgs& args) {
  if (args.Term > currentTerm_) becomeFollower(args.Term);
  RequestVoteReply reply{currentTerm_, false};
  if (args.Term < currentTerm_) return reply;
  const bool upToDate =
      args.LastLogTerm > lastTerm() || (args.LastLogTerm == lastTerm() && args.LastLogIndex >= lastIndex());
  if ((votedFor_ == -1 || votedFor_ == args.CandidateId) && upToDate) {
    votedFor_ = args.CandidateId;
    persist();
    reply.VoteGranted = true;
    resetElectionTimer();
    DLOG(kVote, "S%d votes for S%d in T%d", me_, args.CandidateId, currentTerm_);
  }
  return reply;
}

}  // namespace gostyle
