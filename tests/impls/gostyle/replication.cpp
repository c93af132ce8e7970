// tests/impls/gostyle/replication.cpp — log replication (2B, 2C): the leader's
// AppendEntries on each heartbeat tick and after each Start, the follower's
// handler with the fast log backup, and the commit rule.
#include <algorithm>
#include <string>

#include "lab/select.hpp"
#include "raftapi/debug.hpp"
#include "tests/impls/gostyle/raft.hpp"

namespace gostyle {

// A tick of the heartbeat ticker. Leaders: "repeat during idle periods to
// prevent election timeouts" — to every peer on every tick, even one with an
// append still out: a reply may take seconds (a long-reordered network
// delays replies, not requests), and a follower that hears nothing for an
// election timeout starts an election.
void Raft::heartbeat() {
  if (role_ != Role::Leader) return;
  for (int p = 0; p < static_cast<int>(peers_.size()); p++)
    if (p != me_) sendAppendEntries(p);
}

// Leaders: "If last log index >= nextIndex for a follower: send
// AppendEntries RPC with log entries starting at nextIndex" (at most
// kMaxEntriesPerAppend of them; none makes a heartbeat).
void Raft::sendAppendEntries(int peer) {
  const int prev = nextIndex_[peer] - 1;
  AppendEntriesArgs args;
  args.Term = currentTerm_;
  args.LeaderId = me_;
  args.PrevLogIndex = prev;
  args.PrevLogTerm = log_[prev].Term;
  const auto first = log_.begin() + prev + 1;
  const auto last =
      first + static_cast<std::ptrdiff_t>(std::min<std::size_t>(kMaxEntriesPerAppend, log_.end() - first));
  args.Entries.assign(first, last);
  args.LeaderCommit = commitIndex_;
  inflight_[peer]++;

  auto self = shared_from_this();
  lab::go("S" + std::to_string(me_) + " AppendEntries to S" + std::to_string(peer), [self, peer, args] {
    AppendResult r{peer, args.Term, args.PrevLogIndex, static_cast<int>(args.Entries.size()), false, {}};
    r.ok = self->peers_[peer]->Call("Raft.AppendEntries", args, &r.reply);
    lab::select(lab::send(self->appendResults_, r), lab::recv(self->done_));
  });
}

void Raft::onAppendResult(const AppendResult& r) {
  const int p = r.peer;
  inflight_[p]--;
  if (!r.ok) return;  // lost: the next heartbeat tries again
  if (r.reply.Term > currentTerm_) {
    becomeFollower(r.reply.Term);
    return;
  }
  if (role_ != Role::Leader || r.term != currentTerm_) return;  // the answer to an older leadership
  if (r.reply.Success) {
    // "If successful: update nextIndex and matchIndex for follower". Replies
    // may come out of order: neither ever goes back.
    const int match = r.prevLogIndex + r.entries;
    matchIndex_[p] = std::max(matchIndex_[p], match);
    nextIndex_[p] = std::max(nextIndex_[p], match + 1);
    maybeCommit();
    if (nextIndex_[p] <= lastIndex()) sendAppendEntries(p);
    return;
  }
  // "If AppendEntries fails because of log inconsistency: decrement
  // nextIndex and retry" — a whole term at a time, from the follower's hints.
  int next = r.reply.XLen;
  if (r.reply.XTerm != -1) {
    int i = std::min(r.prevLogIndex, lastIndex());
    while (i > 0 && log_[i].Term > r.reply.XTerm) i--;
    next = log_[i].Term == r.reply.XTerm ? i + 1 : r.reply.XIndex;
  }
  nextIndex_[p] = std::clamp(next, matchIndex_[p] + 1, lastIndex() + 1);
  DLOG(kLog1, "S%d backs S%d up to I%d", me_, p, nextIndex_[p]);
  sendAppendEntries(p);
}

// Leaders: "If there exists an N such that N > commitIndex, a majority of
// matchIndex[i] >= N, and log[N].term == currentTerm: set commitIndex = N".
void Raft::maybeCommit() {
  for (int n = lastIndex(); n > commitIndex_ && log_[n].Term == currentTerm_; n--) {
    int count = 0;
    for (int m : matchIndex_)
      if (m >= n) count++;
    if (count * 2 > static_cast<int>(peers_.size())) {
      commitIndex_ = n;
      applyCommitted();
      return;
    }
  }
}

// AppendEntries RPC, receiver implementation (Figure 2):
// 1. Reply false if term < currentTerm.
// 2. Reply false if log doesn't contain an entry at prevLogIndex whose term
//    matches prevLogTerm (with XTerm/XIndex/XLen for the leader).
// 3. If an existing entry conflicts with a new one (same index, different
//    terms), delete it and all that follow it.
// 4. Append any new entries not already in the log.
// 5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
//    index of last new entry).
// An append from the current leader resets the election timer.
AppendEntriesReply Raft::handleAppendEntries(const AppendEntriesArgs& args) {
  AppendEntriesReply reply;
  if (args.Term < currentTerm_) {
    reply.Term = currentTerm_;
    return reply;
  }
  if (args.Term > currentTerm_ || role_ != Role::Follower) becomeFollower(args.Term);
  reply.Term = currentTerm_;
  resetElectionTimer();

  if (args.PrevLogIndex > lastIndex()) {
    reply.XLen = lastIndex() + 1;
    return reply;
  }
  if (log_[args.PrevLogIndex].Term != args.PrevLogTerm) {
    reply.XTerm = log_[args.PrevLogIndex].Term;
    int i = args.PrevLogIndex;
    while (i > 1 && log_[i - 1].Term == reply.XTerm) i--;
    reply.XIndex = i;
    reply.XLen = lastIndex() + 1;
    return reply;
  }

  bool changed = false;
  for (std::size_t k = 0; k < args.Entries.size(); k++) {
    const int index = args.PrevLogIndex + 1 + static_cast<int>(k);
    if (index <= lastIndex() && log_[index].Term == args.Entries[k].Term) continue;
    // Only an entry that conflicts cuts the log: an old, reordered append
    // must not drop entries a newer one brought.
    log_.resize(index);
    log_.insert(log_.end(), args.Entries.begin() + static_cast<std::ptrdiff_t>(k), args.Entries.end());
    changed = true;
    break;
  }
  if (changed) persist();
  reply.Success = true;

  const int lastNew = args.PrevLogIndex + static_cast<int>(args.Entries.size());
  if (std::min(args.LeaderCommit, lastNew) > commitIndex_) {
    commitIndex_ = std::min(args.LeaderCommit, lastNew);
    applyCommitted();
  }
  return reply;
}

}  // namespace gostyle
