// raftapi/raftapi.hpp — the contract between a Raft and whatever drives it
// (the tester today, a replicated service later). Harness-owned: a student
// implements it in raft/ and never edits this folder.
//
//   raftapi::Server s = raftapi::MakeServer(peers, me, persister, applyCh);
//       Implemented by the Raft under test (the reference's is in
//       raft/raft.cpp). peers[j] is the labrpc end to peer j, peers[me] this
//       peer's own; every peer lists the others in the same order. persister
//       holds the state saved before a crash, if any. applyCh (unbuffered)
//       gets one ApplyMsg per committed entry, in log order. Returns at once:
//       the long-running work runs as lab:: activities.
//   auto [index, term, isLeader] = s.raft->Start(command);
//   auto [term, isLeader] = s.raft->GetState();
//   s.raft->Snapshot(index, bytes);   s.raft->Kill();
//   s.raft->PersistBytes();            // size of the persisted Raft state
//   server->AddService(s.service);     // the "Raft" labrpc service
//
// The driver sees only this interface, so any implementation links in its
// place: the reference, a student's, a deliberately broken one. Nothing here
// includes a file of raft/, and changing raft/ recompiles only raft/.
#pragma once

#include <memory>
#include <vector>

#include "lab/chan.hpp"
#include "labgob/command.hpp"
#include "labgob/labgob.hpp"
#include "labrpc/labrpc.hpp"
#include "persister/persister.hpp"

namespace raftapi {

// What a peer hands its service for each committed entry (CommandValid) or,
// in part 2D, for a snapshot that came from the leader (SnapshotValid, with
// CommandValid false).
struct ApplyMsg {
  bool CommandValid = false;
  labgob::Command Command;
  int CommandIndex = 0;

  // Part 2D, a snapshot sent by the leader:
  bool SnapshotValid = false;
  labgob::Bytes Snapshot;
  int SnapshotTerm = 0;
  int SnapshotIndex = 0;
};

using ApplyCh = std::shared_ptr<lab::Chan<ApplyMsg>>;
using Peers = std::vector<std::shared_ptr<labrpc::ClientEnd>>;

struct StartResult {
  int index;
  int term;
  bool isLeader;
};

struct State {
  int term;
  bool isLeader;
};

// One Raft peer, as its driver sees it. Go's raftapi.Raft.
class Raft {
 public:
  virtual ~Raft() = default;

  // Starts agreement on a new log entry and returns at once; index is where
  // the command will be if it is ever committed. {-1, -1, false} (or any
  // index with isLeader false) when this peer is not the leader.
  virtual StartResult Start(labgob::Command command) = 0;
  // The peer's current term, and whether it takes itself to be the leader.
  virtual State GetState() = 0;
  // The service has a snapshot of everything through index: Raft may drop
  // its log up to there. Called from the service's applier, between two
  // receives on applyCh.
  virtual void Snapshot(int index, labgob::Bytes snapshot) = 0;
  // Advisory: the peer's activities are not joined, but they go quiet (no
  // RPCs sent, nothing more on applyCh).
  virtual void Kill() = 0;
  // Bytes of the Raft state last persisted (Go's PersistBytes).
  virtual int PersistBytes() = 0;
};

// A peer and the labrpc service ("Raft") that dispatches to its handlers.
struct Server {
  std::shared_ptr<Raft> raft;
  std::shared_ptr<labrpc::Service> service;
};

// Defined by the Raft under test (one definition links into each binary).
Server MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> persister, ApplyCh applyCh);

}  // namespace raftapi
