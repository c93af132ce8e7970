// raft/election.cpp — leader election (part 2A): the RequestVote RPC on
// both sides, the election timer, and the role changes.
#include "raft/quorum.hpp"
#include "raft/raft.hpp"

namespace raft {

// Call report_role(me_, currentTerm_, role) (raftapi/report.hpp) after every
// change of role or term: the failure timeline (LAB_VIS) draws one lane per
// server from it. raft::annotate(me_, "...") adds marks of your own there.

// BEGIN SOLUTION 2A
// Only three things reset the timer (Figure 2, Followers): an append or
// snapshot from the current leader, a vote we grant, and our own candidacy.
// Resetting it on any other message (a rejected vote request, a stale
// append) lets a peer that can never win keep the others from standing.
void Raft::resetElectionTimer() {
  electionDeadline_ =
      lab::now() + std::chrono::milliseconds(kElectionTimeoutMinMs + lab::rand_intn(kElectionTimeoutSpanMs));
}

// Rules for Servers, All Servers: "If RPC request or response contains term
// T > currentTerm: set currentTerm = T, convert to follower". Also used to
// step down within a term (a candidate that hears from the term's leader).
// Persists when the term changed: the new term, and votedFor cleared with
// it, must be on disk before any reply says so. votedFor is cleared only on
// a new term — clearing it otherwise would let us vote twice in one term.
void Raft::becomeFollower(int term) {
  const Role was = role_;
  const bool newTerm = term > currentTerm_;
  if (newTerm) {
    DLOG(kTerm, "S%d T%d -> T%d, follower", me_, currentTerm_, term);
    currentTerm_ = term;
    votedFor_ = -1;
    persist();
  }
  role_ = Role::Follower;
  // A deposed leader's deadline is stale; give the new leader time to show up.
  if (was == Role::Leader) resetElectionTimer();
  if (was != Role::Follower || newTerm) report_role(me_, currentTerm_, role_);
}

// Pre-vote (dissertation §9.6): on election timeout, first ask every server
// whether it would vote for us in currentTerm + 1, changing neither our term
// nor our vote. Only a majority of pre-votes makes us a candidate; so a
// server cut off from the others keeps its term, and does not depose the
// leader with a higher one when it comes back. A round that fails is retried
// on the next timeout.
void Raft::becomePreCandidate() {
  if (killed()) return;
  resetElectionTimer();
  role_ = Role::PreCandidate;
  preVoteRound_++;
  preVotes_ = 1;  // our own
  report_role(me_, currentTerm_, role_);
  DLOG(kTimr, "S%d election timeout, asks pre-votes for T%d", me_, currentTerm_ + 1);
  if (2 * preVotes_ > static_cast<int>(peers_.size())) {
    becomeCandidate();
    return;
  }

  RequestVoteArgs args;
  args.Term = currentTerm_ + 1;
  args.CandidateId = me_;
  args.LastLogIndex = log_.lastIndex();
  args.LastLogTerm = log_.lastTerm();
  args.PreVote = true;
  auto self = shared_from_this();
  const int round = preVoteRound_;
  for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
    if (p == me_) continue;
    lab::go("S" + std::to_string(me_) + " PreVote", [self, p, round, args] {
      RequestVoteReply reply;
      if (self->call(p, "Raft.RequestVote", args, &reply)) self->handlePreVoteReply(p, round, args, reply);
    });
  }
}

// Rules for Servers, Candidates: "On conversion to candidate, start election:
// increment currentTerm, vote for self, reset election timer, send
// RequestVote RPCs to all other servers".
void Raft::becomeCandidate() {
  if (killed()) return;
  currentTerm_++;
  votedFor_ = me_;
  role_ = Role::Candidate;
  votes_ = 1;
  persist();
  resetElectionTimer();
  report_role(me_, currentTerm_, role_);
  DLOG(kTimr, "S%d election timeout, stands in T%d", me_, currentTerm_);

  RequestVoteArgs args;
  args.Term = currentTerm_;
  args.CandidateId = me_;
  args.LastLogIndex = log_.lastIndex();
  args.LastLogTerm = log_.lastTerm();
  auto self = shared_from_this();
  for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
    if (p == me_) continue;
    lab::go("S" + std::to_string(me_) + " RequestVote", [self, p, args] {
      RequestVoteReply reply;
      if (self->call(p, "Raft.RequestVote", args, &reply)) self->handleRequestVoteReply(p, args, reply);
    });
  }
}

// "If votes received from majority of servers: become leader" — and upon
// election, send initial empty AppendEntries RPCs (heartbeat) to each server.
void Raft::becomeLeader() {
  role_ = Role::Leader;
  report_role(me_, currentTerm_, role_);
  DLOG(kLead, "S%d leader in T%d, log ..I%d", me_, currentTerm_, log_.lastIndex());
  for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
    nextIndex_[p] = log_.lastIndex() + 1;
    matchIndex_[p] = 0;
    pending_[p] = false;
    lastHeard_[p] = lab::now();  // every peer gets full-rate beats until it proves silent
  }
  matchIndex_[me_] = log_.lastIndex();
  for (int p = 0; p < static_cast<int>(peers_.size()); p++)
    if (p != me_) sendAppendEntries(p);
  tickerCv_.notify_all();
}

// A pre-vote reply. All Servers: a higher term makes us a follower, as with
// any reply; otherwise it counts only in the round that asked for it.
void Raft::handlePreVoteReply(int peer, int round, const RequestVoteArgs& args, const RequestVoteReply& reply) {
  Lock lk(*this);
  lastHeard_[peer] = lab::now();
  if (killed()) return;
  if (reply.Term > currentTerm_) {
    becomeFollower(reply.Term);
    return;
  }
  if (role_ != Role::PreCandidate || round != preVoteRound_ || currentTerm_ + 1 != args.Term || !reply.VoteGranted)
    return;
  preVotes_++;
  DLOG(kVote, "S%d <- S%d pre-vote for T%d (%d)", me_, peer, args.Term, preVotes_);
  if (2 * preVotes_ > static_cast<int>(peers_.size())) becomeCandidate();
}

void Raft::handleRequestVoteReply(int peer, const RequestVoteArgs& args, const RequestVoteReply& reply) {
  Lock lk(*this);
  lastHeard_[peer] = lab::now();
  if (killed()) return;
  if (reply.Term > currentTerm_) {
    becomeFollower(reply.Term);
    return;
  }
  // A reply from an earlier election, or we already won or lost this one:
  // counting it would give us votes that were cast in another term.
  if (role_ != Role::Candidate || currentTerm_ != args.Term || !reply.VoteGranted) return;
  votes_++;
  DLOG(kVote, "S%d <- S%d vote in T%d (%d)", me_, peer, currentTerm_, votes_);
  if (2 * votes_ > static_cast<int>(peers_.size())) becomeLeader();
}

// Pre-vote (dissertation §9.6): we would vote in args.Term if it is ahead of
// ours and the candidate's log is at least as up-to-date (§5.4), unless we
// have reason to believe a leader exists: we are the leader, or we heard
// from one within the minimum election timeout (§4.2.3).
bool Raft::grantsPreVote(const RequestVoteArgs& args) const {
  if (args.Term <= currentTerm_ || role_ == Role::Leader) return false;
  if (leaderContact_ && lab::now() - *leaderContact_ < std::chrono::milliseconds(kElectionTimeoutMinMs)) return false;
  return logIsUpToDate(args.LastLogTerm, args.LastLogIndex, log_.lastTerm(), log_.lastIndex());
}
// END SOLUTION

// The receiving side of RequestVote (Figure 2, receiver implementation):
//  1. Reply false if term < currentTerm (§5.1).
//  2. If votedFor is null or candidateId, and candidate's log is at least as
//     up-to-date as receiver's log, grant vote (§5.2, §5.4).
// Plus All Servers: a higher term makes us a follower first. The vote and
// the term are persisted before the reply leaves. A pre-vote changes no
// state, not even the term, and so persists nothing.
void Raft::RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply) {
  // BEGIN SOLUTION 2A
  Lock lk(*this);
  if (args.PreVote) {
    reply->Term = currentTerm_;
    reply->VoteGranted = grantsPreVote(args);
    if (reply->VoteGranted) DLOG(kVote, "S%d -> S%d pre-vote for T%d", me_, args.CandidateId, args.Term);
    return;
  }
  if (args.Term > currentTerm_) becomeFollower(args.Term);
  reply->Term = currentTerm_;
  reply->VoteGranted = false;
  if (args.Term < currentTerm_) return;
  if ((votedFor_ == -1 || votedFor_ == args.CandidateId) &&
      logIsUpToDate(args.LastLogTerm, args.LastLogIndex, log_.lastTerm(), log_.lastIndex())) {
    // A pre-candidate of this term that votes for someone else gives up its round.
    if (role_ == Role::PreCandidate) becomeFollower(currentTerm_);
    votedFor_ = args.CandidateId;
    persist();  // before the reply: a vote forgotten in a crash could be cast again
    // Followers: "granting vote to candidate" resets the election timer.
    resetElectionTimer();
    reply->VoteGranted = true;
    DLOG(kVote, "S%d -> S%d vote in T%d", me_, args.CandidateId, currentTerm_);
  }
  // ELSE
  // (void)args;
  // (void)reply;
  // END SOLUTION
}

}  // namespace raft
