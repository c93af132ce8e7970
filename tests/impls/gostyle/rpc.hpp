// tests/impls/gostyle/rpc.hpp — what the peers of the Go-style Raft send each
// other, and what each keeps on disk. Plain values; `serialize` lists every
// field, since all of it crosses labrpc (or the Persister) as labgob bytes.
// Field names are those of the paper's Figure 2, which the Go lab uses too.
#pragma once

#include <boost/serialization/level.hpp>
#include <boost/serialization/tracking.hpp>
#include <boost/serialization/vector.hpp>

#include <vector>

#include "labgob/command.hpp"
#include "labgob/labgob.hpp"

namespace gostyle {

struct LogEntry {
  int Term = 0;
  labgob::Command Command;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & Command;
  }
};

struct RequestVoteArgs {
  int Term = 0;
  int CandidateId = 0;
  int LastLogIndex = 0;
  int LastLogTerm = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & CandidateId & LastLogIndex & LastLogTerm;
  }
};

struct RequestVoteReply {
  int Term = 0;
  bool VoteGranted = false;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & VoteGranted;
  }
};

struct AppendEntriesArgs {
  int Term = 0;
  int LeaderId = 0;
  int PrevLogIndex = 0;
  int PrevLogTerm = 0;
  std::vector<LogEntry> Entries;
  int LeaderCommit = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & LeaderId & PrevLogIndex & PrevLogTerm & Entries & LeaderCommit;
  }
};

// On a refusal, the follower says where the leader should back up to:
// XTerm is the term of its entry at PrevLogIndex (-1: it has no such entry),
// XIndex the first index it holds of that term, XLen its log's length.
struct AppendEntriesReply {
  int Term = 0;
  bool Success = false;
  int XTerm = -1;
  int XIndex = 0;
  int XLen = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & Success & XTerm & XIndex & XLen;
  }
};

// Figure 2's persistent state, saved as one value.
struct PersistentState {
  int currentTerm = 0;
  int votedFor = -1;
  std::vector<LogEntry> log;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & currentTerm & votedFor & log;
  }
};

}  // namespace gostyle

// Values on the wire: no class header per archive, no object tracking.
#define GOSTYLE_PLAIN_VALUE(T)                                             \
  BOOST_CLASS_IMPLEMENTATION(T, boost::serialization::object_serializable) \
  BOOST_CLASS_TRACKING(T, boost::serialization::track_never)
GOSTYLE_PLAIN_VALUE(gostyle::LogEntry)
GOSTYLE_PLAIN_VALUE(gostyle::RequestVoteArgs)
GOSTYLE_PLAIN_VALUE(gostyle::RequestVoteReply)
GOSTYLE_PLAIN_VALUE(gostyle::AppendEntriesArgs)
GOSTYLE_PLAIN_VALUE(gostyle::AppendEntriesReply)
GOSTYLE_PLAIN_VALUE(gostyle::PersistentState)
#undef GOSTYLE_PLAIN_VALUE
