// raft/replication.cpp — log replication (parts 2A heartbeats, 2B entries):
// the AppendEntries RPC on both sides and the leader's commit rule.
#include <algorithm>

#include "raft/quorum.hpp"
#include "raft/raft.hpp"

namespace raft {

// BEGIN SOLUTION 2A
// Sending policy, per follower: an append goes out at once when there is
// something new (Start, a new commitIndex, a failed consistency check) and no
// earlier append to that follower is still waiting for its reply; otherwise
// the news waits (pending_) and goes with the next append. A heartbeat goes
// out whenever kHeartbeat passed since the last append, even if others are
// still in flight (a Call to an unreachable peer may take seconds). Each
// append carries at most kMaxEntriesPerAppend entries from nextIndex on.
void Raft::maybeSendAppendEntries(int peer) {
  if (role_ != Role::Leader || inflight_[peer] > 0) return;
  if (pending_[peer] || nextIndex_[peer] <= log_.lastIndex()) sendAppendEntries(peer);
}

// Builds the next append for peer under mu_, then calls it from a new
// activity, so that mu_ is never held across Call.
void Raft::sendAppendEntries(int peer) {
  if (killed() || role_ != Role::Leader) return;
  pending_[peer] = false;
  lastSent_[peer] = lab::now();
  if (nextIndex_[peer] <= log_.lastIncludedIndex()) {
    sendInstallSnapshot(peer);
    return;
  }
  AppendEntriesArgs args;
  args.Term = currentTerm_;
  args.LeaderId = me_;
  args.PrevLogIndex = nextIndex_[peer] - 1;
  args.PrevLogTerm = log_.term(args.PrevLogIndex);
  args.Entries = log_.from(nextIndex_[peer], kMaxEntriesPerAppend);
  args.LeaderCommit = commitIndex_;
  inflight_[peer]++;
  if (!args.Entries.empty())
    DLOG(kLog1, "S%d -> S%d append I%d..I%d T%d", me_, peer, args.PrevLogIndex + 1,
         args.PrevLogIndex + static_cast<int>(args.Entries.size()), currentTerm_);
  auto self = shared_from_this();
  lab::go("S" + std::to_string(me_) + " AppendEntries", [self, peer, args = std::move(args)] {
    AppendEntriesReply reply;
    const bool ok = self->call(peer, "Raft.AppendEntries", args, &reply);
    self->handleAppendEntriesReply(peer, args, ok, reply);
  });
}

// The leader's side of AppendEntries (Rules for Servers, Leaders):
// "If successful: update nextIndex and matchIndex for follower. If
// AppendEntries fails because of log inconsistency: decrement nextIndex and
// retry" — by a whole term at a time, using the follower's XTerm/XIndex/XLen.
void Raft::handleAppendEntriesReply(int peer, const AppendEntriesArgs& args, bool ok, const AppendEntriesReply& reply) {
  Lock lk(*this);
  inflight_[peer]--;
  if (ok) lastHeard_[peer] = lab::now();
  if (killed()) return;
  if (ok && reply.Term > currentTerm_) {
    becomeFollower(reply.Term);
    return;
  }
  // A reply to an append of an earlier term, or of a leadership we lost, says
  // nothing about the log we lead now.
  if (role_ != Role::Leader || currentTerm_ != args.Term) return;
  if (ok && reply.Success) {
    // From what this append carried, not from our log now: entries appended
    // since were not in it, and the follower has not confirmed them. max():
    // replies may arrive out of order, and matchIndex must never go back.
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
      for (int i = log_.lastIndex(); i > log_.lastIncludedIndex() && log_.term(i) >= reply.XTerm; i--)
        if (log_.term(i) == reply.XTerm) {
          last = i;
          break;
        }
      next = last != -1 ? last + 1 : reply.XIndex;
    }
    nextIndex_[peer] = std::max(matchIndex_[peer] + 1, std::min(next, log_.lastIndex() + 1));
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
// The term test is Figure 8's lesson: an entry of an earlier term can sit on
// a majority and still be overwritten by a later leader, so a leader never
// commits one by counting replicas — only by committing an entry of its own
// term after it.
void Raft::maybeAdvanceCommit() {
  matchIndex_[me_] = log_.lastIndex();
  const int n = quorumMatchIndex(matchIndex_);
  if (n <= commitIndex_ || n <= log_.lastIncludedIndex()) return;
  const int next = advanceCommitIndex(commitIndex_, n, log_.term(n), currentTerm_);
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

// The receiving side of AppendEntries (Figure 2, receiver implementation):
//  1. Reply false if term < currentTerm (§5.1).
//  2. Reply false if log doesn't contain an entry at prevLogIndex whose term
//     matches prevLogTerm (§5.3) — saying where the logs part, so the leader
//     can back up a whole term at a time.
//  3. If an existing entry conflicts with a new one (same index but different
//     terms), delete the existing entry and all that follow it (§5.3).
//  4. Append any new entries not already in the log.
//  5. If leaderCommit > commitIndex, set commitIndex =
//     min(leaderCommit, index of last new entry).
// Plus Followers: an append from the current leader resets the election
// timer; Candidates: it makes us a follower. Persisted before replying.
void Raft::AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply) {
  // BEGIN SOLUTION 2A
  Lock lk(*this);
  reply->Term = currentTerm_;
  reply->Success = false;
  if (args.Term < currentTerm_) return;  // 1.
  if (args.Term > currentTerm_ || role_ != Role::Follower) becomeFollower(args.Term);
  reply->Term = currentTerm_;
  resetElectionTimer();
  leaderContact_ = lab::now();
  // ELSE
  // (void)args;
  // (void)reply;
  // END SOLUTION
  // BEGIN SOLUTION 2B
  int prev = args.PrevLogIndex;
  std::size_t skip = 0;
  if (prev < log_.lastIncludedIndex()) {
    // The start is inside our snapshot: committed, so it matches. Skip it.
    skip = static_cast<std::size_t>(log_.lastIncludedIndex() - prev);
    if (skip >= args.Entries.size()) {
      reply->Success = true;
      return;
    }
    prev = log_.lastIncludedIndex();
  } else if (prev > log_.lastIndex()) {  // 2., our log is too short
    reply->XTerm = -1;
    reply->XIndex = -1;
    reply->XLen = log_.lastIndex() + 1;
    return;
  } else if (log_.term(prev) != args.PrevLogTerm) {  // 2., conflicting term at prev
    reply->XTerm = log_.term(prev);
    int first = prev;
    while (first - 1 > log_.lastIncludedIndex() && log_.term(first - 1) == reply->XTerm) first--;
    reply->XIndex = first;
    reply->XLen = log_.lastIndex() + 1;
    return;
  }
  // 3. and 4. Truncate only at the first real conflict. An entry that
  // matches (same index, same term) is the same entry, and the entries after
  // it may be newer than this append: a delayed or duplicated append from
  // the same leader carries a shorter prefix, and cutting the log back to it
  // would drop entries we already acknowledged — and may have been counted
  // towards a commit.
  bool changed = false;
  for (std::size_t k = skip; k < args.Entries.size(); k++) {
    const int index = prev + 1 + static_cast<int>(k - skip);
    if (index <= log_.lastIndex()) {
      if (log_.term(index) == args.Entries[k].Term) continue;
      log_.truncateAfter(index - 1);  // 3.
    }
    for (; k < args.Entries.size(); k++) log_.append(args.Entries[k]);  // 4.
    changed = true;
    break;
  }
  if (changed) persist();
  reply->Success = true;
  const int lastNew = prev + static_cast<int>(args.Entries.size() - skip);
  // 5. Capped at the last entry this append vouches for: entries beyond it
  // may be stale ones of an old term that the leader has not yet overwritten.
  if (args.LeaderCommit > commitIndex_) {
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
