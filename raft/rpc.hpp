// raft/rpc.hpp — the messages peers exchange, as plain values. Each crosses
// labrpc as labgob bytes, so `serialize` must list every field. Field names
// are Figure 2's.
#pragma once

#include <boost/serialization/level.hpp>
#include <boost/serialization/tracking.hpp>
#include <boost/serialization/vector.hpp>

#include <vector>

#include "labgob/command.hpp"
#include "labgob/labgob.hpp"

namespace raft {

// One entry of the log: the command and the term in which the leader received it.
struct LogEntry {
  // BEGIN SOLUTION 2B
  int Term = 0;
  labgob::Command Command;
  // END SOLUTION

  template <class Ar>
  void serialize([[maybe_unused]] Ar& ar, unsigned) {
    // BEGIN SOLUTION 2B
    ar & Term & Command;
    // END SOLUTION
  }
  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// RequestVote RPC (Figure 2), invoked by candidates to gather votes.
struct RequestVoteArgs {
  // BEGIN SOLUTION 2A
  // Also a pre-vote (PreVote set): a follower whose election timer ran out
  // asks whether it could win an election before it disturbs anyone
  // (dissertation §9.6).
  int Term = 0;          // candidate's term (pre-vote: the term it would stand in)
  int CandidateId = 0;   // candidate requesting vote
  int LastLogIndex = 0;  // index of candidate's last log entry (§5.4)
  int LastLogTerm = 0;   // term of candidate's last log entry (§5.4)
  bool PreVote = false;  // a pre-vote: the receiver changes no state, the sender keeps its term
  // END SOLUTION

  template <class Ar>
  void serialize([[maybe_unused]] Ar& ar, unsigned) {
    // BEGIN SOLUTION 2A
    ar & Term & CandidateId & LastLogIndex & LastLogTerm & PreVote;
    // END SOLUTION
  }
  friend bool operator==(const RequestVoteArgs&, const RequestVoteArgs&) = default;
};

struct RequestVoteReply {
  // BEGIN SOLUTION 2A
  int Term = 0;              // currentTerm, for candidate to update itself
  bool VoteGranted = false;  // true means candidate received vote (or pre-vote)
  // END SOLUTION

  template <class Ar>
  void serialize([[maybe_unused]] Ar& ar, unsigned) {
    // BEGIN SOLUTION 2A
    ar & Term & VoteGranted;
    // END SOLUTION
  }
  friend bool operator==(const RequestVoteReply&, const RequestVoteReply&) = default;
};

// AppendEntries RPC (Figure 2), invoked by the leader to replicate log
// entries; also used as heartbeat.
struct AppendEntriesArgs {
  // BEGIN SOLUTION 2A
  int Term = 0;                   // leader's term
  int LeaderId = 0;               // so follower can redirect clients
  int PrevLogIndex = 0;           // index of log entry immediately preceding new ones
  int PrevLogTerm = 0;            // term of prevLogIndex entry
  std::vector<LogEntry> Entries;  // log entries to store (empty for heartbeat)
  int LeaderCommit = 0;           // leader's commitIndex
  // END SOLUTION

  template <class Ar>
  void serialize([[maybe_unused]] Ar& ar, unsigned) {
    // BEGIN SOLUTION 2A
    ar & Term & LeaderId & PrevLogIndex & PrevLogTerm & Entries & LeaderCommit;
    // END SOLUTION
  }
  friend bool operator==(const AppendEntriesArgs&, const AppendEntriesArgs&) = default;
};

struct AppendEntriesReply {
  // BEGIN SOLUTION 2A
  int Term = 0;          // currentTerm, for leader to update itself
  bool Success = false;  // true if follower contained entry matching prevLogIndex and prevLogTerm
  // Fast log backup (the lab's "accelerated log backtracking"), on failure:
  int XTerm = -1;   // term of the conflicting entry at PrevLogIndex, or -1 if the log is too short
  int XIndex = -1;  // index of the follower's first entry with term XTerm
  int XLen = 0;     // length of the follower's log (its last index + 1)
  // END SOLUTION

  template <class Ar>
  void serialize([[maybe_unused]] Ar& ar, unsigned) {
    // BEGIN SOLUTION 2A
    ar & Term & Success & XTerm & XIndex & XLen;
    // END SOLUTION
  }
  friend bool operator==(const AppendEntriesReply&, const AppendEntriesReply&) = default;
};

// InstallSnapshot RPC (Figure 13), invoked by the leader to send a follower
// the snapshot that replaced the log entries it lacks. Sent in one piece.
struct InstallSnapshotArgs {
  // BEGIN SOLUTION 2D
  int Term = 0;               // leader's term
  int LeaderId = 0;           // so follower can redirect clients
  int LastIncludedIndex = 0;  // the snapshot replaces all entries up through and including this index
  int LastIncludedTerm = 0;   // term of lastIncludedIndex
  labgob::Bytes Data;         // the snapshot, opaque to Raft
  // END SOLUTION

  template <class Ar>
  void serialize([[maybe_unused]] Ar& ar, unsigned) {
    // BEGIN SOLUTION 2D
    ar & Term & LeaderId & LastIncludedIndex & LastIncludedTerm & Data;
    // END SOLUTION
  }
  friend bool operator==(const InstallSnapshotArgs&, const InstallSnapshotArgs&) = default;
};

struct InstallSnapshotReply {
  // BEGIN SOLUTION 2D
  int Term = 0;  // currentTerm, for leader to update itself
  // END SOLUTION

  template <class Ar>
  void serialize([[maybe_unused]] Ar& ar, unsigned) {
    // BEGIN SOLUTION 2D
    ar & Term;
    // END SOLUTION
  }
  friend bool operator==(const InstallSnapshotReply&, const InstallSnapshotReply&) = default;
};

}  // namespace raft

// Plain values on the wire: no per-archive class header, no object tracking.
BOOST_CLASS_IMPLEMENTATION(raft::LogEntry, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::LogEntry, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(raft::RequestVoteArgs, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::RequestVoteArgs, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(raft::RequestVoteReply, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::RequestVoteReply, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(raft::AppendEntriesArgs, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::AppendEntriesArgs, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(raft::AppendEntriesReply, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::AppendEntriesReply, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(raft::InstallSnapshotArgs, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::InstallSnapshotArgs, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(raft::InstallSnapshotReply, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::InstallSnapshotReply, boost::serialization::track_never)
