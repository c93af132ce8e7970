// raft/replication.cpp — log replication (parts 2A heartbeats, 2B entries):
// the AppendEntries RPC on both sides and the leader's commit rule.
//
// Sending policy, per follower: an append goes out at once when there is
// something new (Start, a new commitIndex, a failed consistency check) and no
// earlier append to that follower is still waiting for its reply; otherwise
// the news waits (pending_) and goes with the next append. A heartbeat goes
// out whenever kHeartbeat passed since the last append, even if others are
// still in flight (a Call to an unreachable peer may take seconds). Each
// append carries at most kMaxEntriesPerAppend entries from nextIndex on.
#include <algorithm>

#include "raft/quorum.hpp"
#include "raft/raft.hpp"

namespace raft {

// BEGIN SOLUTION 2A
void Raft::maybeSendAppendEntries(int peer) {
  if (role_ != Role::Leader || inflight_[peer] > 0) return;
  if (pending_[peer] || nextIndex_[peer] <= lastLogIndex()) sendAppendEntries(peer);
}

// Builds the next append for peer under mu_, then calls it from a new
// activity, so that mu_ is never held across Call.
void Raft::sendAppendEntries(int peer) {
  if (killed() || role_ != Role::Leader) return;
  pending_[peer] = false;
  lastSent_[peer] = lab::now();
  if (nextIndex_[peer] <= logBase_) {
    sendInstallSnapshot(peer);
    return;
  }
  AppendEntriesArgs args;
  args.Term = currentTerm_;
  args.LeaderId = me_;
  args.PrevLogIndex = nextIndex_[peer] - 1;
  args.PrevLogTerm = termAt(args.PrevLogIndex);
  const int last = std::min(lastLogIndex(), args.PrevLogIndex + static_cast<int>(kMaxEntriesPerAppend));
  args.Entries.assign(log_.begin() + (args.PrevLogIndex + 1 - logBase_), log_.begin() + (last + 1 - logBase_));
  args.LeaderCommit = commitIndex_;
  inflight_[peer]++;
  if (!args.Entries.empty())
    DLOG(kLog1, "S%d -> S%d append I%d..I%d T%d", me_, peer, args.PrevLogIndex + 1, last, currentTerm_);
  auto self = shared_from_this();
  lab::go("S" + std::to_string(me_) + " AppendEntries", [self, peer, args = std::move(args)] {
    AppendEntriesReply reply;
    const bool ok = self->peers_[peer]->Call("Raft.AppendEntries", args, &reply);
    self->handleAppendEntriesReply(peer, args, ok, reply);
  });
}

// The leader's side of AppendEntries (Rules for Servers, Leaders):
// "If successful: update nextIndex and matchIndex for follower. If
// AppendEntries fails because of log inconsistency: decrement nextIndex and
// retry" — by a whole term at a time, using the follower's XTerm/XIndex/XLen.
void Raft::handleAppendEntriesReply(int peer, const AppendEntriesArgs& args, bool ok,
                                    const AppendEntriesReply& reply) {
  lab::MutexLock lk(mu_);
  inflight_[peer]--;
  if (ok) lastHeard_[peer] = lab::now();
  if (killed()) return;
  if (ok && reply.Term > currentTerm_) {
    becomeFollower(reply.Term);
    return;
  }
  if (role_ != Role::Leader || currentTerm_ != args.Term) return;  // stale reply
  if (ok && reply.Success) {
    const int match = args.PrevLogIndex + static_cast<int>(args.Entries.size());
    matchIndex_[peer] = std::max(matchIndex_[peer], match);
    nextIndex_[peer] = std::max(nextIndex_[peer], match + 1);
    maybeAdvanceCommit();
  } else if (ok) {
    // A rejection of an older probe (nextIndex moved since) says nothing new.
    if (args.PrevLogIndex + 1 != nextIndex_[peer]) return;
    int next;
    if (reply.XTerm == -1) {
      next = reply.XLen;  // the follower's log is too short
    } else {
      // Does the leader have XTerm? Then skip to just past its last entry of
      // that term; otherwise skip the follower's whole term.
      int last = -1;
      for (int i = lastLogIndex(); i > logBase_ && termAt(i) >= reply.XTerm; i--)
        if (termAt(i) == reply.XTerm) {
          last = i;
          break;
        }
      next = last != -1 ? last + 1 : reply.XIndex;
    }
    nextIndex_[peer] = std::max(matchIndex_[peer] + 1, std::min(next, lastLogIndex() + 1));
    DLOG(kLog1, "S%d S%d rejected prev I%d, next I%d", me_, peer, args.PrevLogIndex, nextIndex_[peer]);
    // The follower is reachable right now: probe again at once, even if
    // older appends to it are still out (they carry the rejected probe).
    sendAppendEntries(peer);
    return;
  }
  maybeSendAppendEntries(peer);
}
// END SOLUTION

// BEGIN SOLUTION 2B
// Rules for Servers, Leaders: "If there exists an N such that N > commitIndex,
// a majority of matchIndex[i] >= N, and log[N].term == currentTerm: set
// commitIndex = N". Followers learn it with the next append, sent at once.
void Raft::maybeAdvanceCommit() {
  matchIndex_[me_] = lastLogIndex();
  const int n = quorumMatchIndex(matchIndex_);
  if (n <= commitIndex_ || n <= logBase_) return;
  const int next = advanceCommitIndex(commitIndex_, n, termAt(n), currentTerm_);
  if (next == commitIndex_) return;
  DLOG(kCmit, "S%d commits I%d..I%d in T%d", me_, commitIndex_ + 1, next, currentTerm_);
  commitIndex_ = next;
  applyCv_.notify_all();
  for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
    if (p == me_) continue;
    pending_[p] = true;
    maybeSendAppendEntries(p);
  }
}
// END SOLUTION

// AppendEntries RPC handler. Receiver implementation (Figure 2):
//  1. Reply false if term < currentTerm (§5.1).
//  2. Reply false if log doesn't contain an entry at prevLogIndex whose term
//     matches prevLogTerm (§5.3) — with XTerm/XIndex/XLen for fast backup.
//  3. If an existing entry conflicts with a new one (same index but different
//     terms), delete the existing entry and all that follow it (§5.3).
//  4. Append any new entries not already in the log.
//  5. If leaderCommit > commitIndex, set commitIndex =
//     min(leaderCommit, index of last new entry).
// Plus Followers: an append from the current leader resets the election
// timer; Candidates: it makes us a follower. Persisted before replying.
void Raft::AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply) {
  (void)args;
  (void)reply;
  // BEGIN SOLUTION 2A
  lab::MutexLock lk(mu_);
  reply->Term = currentTerm_;
  reply->Success = false;
  if (args.Term < currentTerm_) return;  // 1.
  if (args.Term > currentTerm_ || role_ != Role::Follower) becomeFollower(args.Term);
  reply->Term = currentTerm_;
  resetElectionTimer();
  leaderContact_ = lab::now();
  // END SOLUTION
  // BEGIN SOLUTION 2B
  int prev = args.PrevLogIndex;
  std::size_t skip = 0;
  if (prev < logBase_) {
    // The start is inside our snapshot: committed, so it matches. Skip it.
    skip = static_cast<std::size_t>(logBase_ - prev);
    if (skip >= args.Entries.size()) {
      reply->Success = true;
      return;
    }
    prev = logBase_;
  } else if (prev > lastLogIndex()) {  // 2., our log is too short
    reply->XTerm = -1;
    reply->XIndex = -1;
    reply->XLen = lastLogIndex() + 1;
    return;
  } else if (termAt(prev) != args.PrevLogTerm) {  // 2., conflicting term at prev
    reply->XTerm = termAt(prev);
    int first = prev;
    while (first - 1 > logBase_ && termAt(first - 1) == reply->XTerm) first--;
    reply->XIndex = first;
    reply->XLen = lastLogIndex() + 1;
    return;
  }
  bool changed = false;
  for (std::size_t k = skip; k < args.Entries.size(); k++) {
    const int index = prev + 1 + static_cast<int>(k - skip);
    if (index <= lastLogIndex()) {
      if (termAt(index) == args.Entries[k].Term) continue;
      log_.resize(static_cast<std::size_t>(index - logBase_));  // 3.
    }
    log_.insert(log_.end(), args.Entries.begin() + static_cast<std::ptrdiff_t>(k), args.Entries.end());  // 4.
    changed = true;
    break;
  }
  if (changed) persist();
  reply->Success = true;
  const int lastNew = prev + static_cast<int>(args.Entries.size() - skip);
  if (args.LeaderCommit > commitIndex_) {  // 5.
    const int c = std::min(args.LeaderCommit, lastNew);
    if (c > commitIndex_) {
      DLOG(kCmit, "S%d commits I%d..I%d (leader S%d)", me_, commitIndex_ + 1, c, args.LeaderId);
      commitIndex_ = c;
      applyCv_.notify_all();
    }
  }
  // END SOLUTION
}

}  // namespace raft
