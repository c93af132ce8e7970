// raft/snapshot.cpp — log compaction (part 2D): the service's Snapshot()
// call, and the InstallSnapshot RPC (Figure 13) for followers that lag
// behind the leader's snapshot.
#include "raft/raft.hpp"

namespace raft {

// The service has captured its state through index in snapshot. Raft now trims its log through that index, and keeps
// the snapshot (persisted with the state) for followers that need it.
void Raft::Snapshot(int index, labgob::Bytes snapshot) {
  // BEGIN SOLUTION 2D
  Lock lk(*this);
  // Only forwards, and only over entries already handed to the service: a
  // snapshot from an older call (or of an index an InstallSnapshot already
  // passed) would move the log's start back.
  if (index <= log_.lastIncludedIndex() || index > lastApplied_) return;
  log_.compact(index, log_.term(index));
  snapshot_ = std::move(snapshot);
  persist();  // the trimmed log and the snapshot, in one Save
  DLOG(kSnap, "S%d snapshot through I%d, log ..I%d", me_, index, log_.lastIndex());
  // ELSE
  // (void)index;
  // (void)snapshot;
  // END SOLUTION
}

// BEGIN SOLUTION 2D
// The leader's side: the follower needs entries the leader has compacted.
void Raft::sendInstallSnapshot(int peer) {
  InstallSnapshotArgs args;
  args.Term = currentTerm_;
  args.LeaderId = me_;
  args.LastIncludedIndex = log_.lastIncludedIndex();
  args.LastIncludedTerm = log_.lastIncludedTerm();
  args.Data = snapshot_;
  inflight_[peer]++;
  DLOG(kSnap, "S%d -> S%d install snapshot I%d T%d", me_, peer, args.LastIncludedIndex, currentTerm_);
  auto self = shared_from_this();
  lab::go("S" + std::to_string(me_) + " InstallSnapshot", [self, peer, args = std::move(args)] {
    InstallSnapshotReply reply;
    const bool ok = self->call(peer, "Raft.InstallSnapshot", args, &reply);
    self->handleInstallSnapshotReply(peer, args, ok, reply);
  });
}

void Raft::handleInstallSnapshotReply(int peer, const InstallSnapshotArgs& args, bool ok,
                                      const InstallSnapshotReply& reply) {
  Lock lk(*this);
  inflight_[peer]--;
  if (ok) lastHeard_[peer] = lab::now();
  if (killed()) return;
  if (ok && reply.Term > currentTerm_) {
    becomeFollower(reply.Term);
    return;
  }
  if (role_ != Role::Leader || currentTerm_ != args.Term) return;  // from an earlier term: says nothing now
  if (ok) {
    matchIndex_[peer] = std::max(matchIndex_[peer], args.LastIncludedIndex);
    nextIndex_[peer] = std::max(nextIndex_[peer], args.LastIncludedIndex + 1);
    maybeAdvanceCommit();
  } else {
    pending_[peer] = true;
  }
  maybeSendAppendEntries(peer);
}
// END SOLUTION

// The receiving side of InstallSnapshot (Figure 13, receiver implementation,
// the whole snapshot in one chunk):
//  1. Reply immediately if term < currentTerm.
//  5. Save snapshot file, discard any existing or partial snapshot with a
//     smaller index.
//  6. If existing log entry has same index and term as snapshot's last
//     included entry, retain log entries following it and reply.
//  7. Discard the entire log.
//  8. Reset state machine using snapshot contents — through applyCh.
// A snapshot that does not go past commitIndex brings nothing new and is
// ignored, so the service's state only moves forwards.
void Raft::InstallSnapshot(const InstallSnapshotArgs& args, InstallSnapshotReply* reply) {
  // BEGIN SOLUTION 2D
  Lock lk(*this);
  reply->Term = currentTerm_;
  if (args.Term < currentTerm_) return;  // 1.
  if (args.Term > currentTerm_ || role_ != Role::Follower) becomeFollower(args.Term);
  reply->Term = currentTerm_;
  resetElectionTimer();
  leaderContact_ = lab::now();
  // A snapshot that ends at or before commitIndex is stale (delayed, or
  // duplicated): installing it would roll the service back to an older state
  // and throw away committed entries we may still need to apply.
  if (args.LastIncludedIndex <= commitIndex_) return;
  log_.compact(args.LastIncludedIndex, args.LastIncludedTerm);  // 6. or 7.
  snapshot_ = args.Data;                                        // 5.
  commitIndex_ = args.LastIncludedIndex;
  persist();
  snapshotPending_ = true;  // 8.
  applyCv_.notify_all();
  DLOG(kSnap, "S%d installs snapshot I%d T%d from S%d", me_, args.LastIncludedIndex, args.LastIncludedTerm,
       args.LeaderId);
  // ELSE
  // (void)args;
  // (void)reply;
  // END SOLUTION
}

}  // namespace raft
