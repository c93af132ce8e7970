// raft/raft.hpp — one Raft peer: the student's implementation of the
// interface in raftapi/raftapi.hpp, with the Go lab's verbs (raft.go):
//
//   auto rf = raft::Make(peers, me, persister, applyCh);
//   auto [index, term, isLeader] = rf->Start(command);
//   auto [term, isLeader] = rf->GetState();
//   rf->Snapshot(index, bytes);  rf->Kill();  rf->killed();
//
// raftapi.hpp says what each verb promises. The driver reaches the RPC
// handlers only through labrpc, under the service name "Raft": MakeService(rf)
// registers RequestVote, AppendEntries and InstallSnapshot (C++ has no
// reflection, so the list is written out), and MakeServer (raft.cpp) hands
// both to the driver.
//
// Concurrency: each peer is a monitor. One lab::Mutex (mu_) guards every
// field below it; no activity holds it across a Call, a send on applyCh, or a
// wait. Persisting happens under it (see persist.cpp for why that is safe).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "labgob/command.hpp"
#include "labgob/labgob.hpp"
#include "labrpc/labrpc.hpp"
#include "persister/persister.hpp"
#include "raft/rpc.hpp"
#include "raftapi/debug.hpp"
#include "raftapi/raftapi.hpp"
#include "raftapi/report.hpp"

namespace raft {

using raftapi::annotate;
using raftapi::ApplyCh;
using raftapi::ApplyMsg;
using raftapi::Peers;
using raftapi::report_role;
using raftapi::Role;
using raftapi::StartResult;
using raftapi::State;

class Raft final : public raftapi::Raft, public std::enable_shared_from_this<Raft> {
 public:
  Raft(Peers peers, int me, std::shared_ptr<persister::Persister> persister, ApplyCh applyCh);
  friend std::shared_ptr<Raft> Make(Peers peers, int me, std::shared_ptr<persister::Persister> persister,
                                    ApplyCh applyCh);
  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  StartResult Start(labgob::Command command) override;
  State GetState() override;
  void Snapshot(int index, labgob::Bytes snapshot) override;
  void Kill() override;
  int PersistBytes() override { return static_cast<int>(persister_->RaftStateSize()); }
  bool killed() const { return dead_.load(); }

  // RPC handlers (receivers), registered by MakeService.
  void RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply);
  void AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply);
  void InstallSnapshot(const InstallSnapshotArgs& args, InstallSnapshotReply* reply);

  // Long-running activities, started by Make.
  void ticker();
  void applier();

  // Persistence (persist.cpp).
  void persist() LAB_REQUIRES(mu_);
  void readPersist(const labgob::Bytes& data) LAB_REQUIRES(mu_);

 private:
  lab::Mutex mu_;                                  // guards everything below it
  const Peers peers_;                              // RPC end points of all peers
  const std::shared_ptr<persister::Persister> persister_;  // holds this peer's persisted state
  const int me_;                                   // this peer's index into peers_
  const ApplyCh applyCh_;                          // where committed entries go, in order
  std::atomic<bool> dead_{false};                  // set by Kill()

  // BEGIN SOLUTION 2A
  // Tuning. Heartbeats at most 10/s (the tester's limit); an election timeout
  // several heartbeats long, randomised so that split votes are rare.
  static constexpr lab::Duration kHeartbeat = std::chrono::milliseconds(150);
  static constexpr int kElectionTimeoutMinMs = 350;
  static constexpr int kElectionTimeoutSpanMs = 250;
  static constexpr std::size_t kMaxEntriesPerAppend = 100;
  static constexpr lab::Duration kUnheardAfter = std::chrono::seconds(1);

  // Persistent state on all servers (persist before replying to an RPC):
  int currentTerm_ LAB_GUARDED_BY(mu_) = 0;  // latest term this server has seen
  int votedFor_ LAB_GUARDED_BY(mu_) = -1;    // candidate voted for in currentTerm_, or -1
  // END SOLUTION
  // BEGIN SOLUTION 2B
  // Persistent too (persist before replying): the log. Each entry holds a
  // command and the term it was received in; the first index is 1.
  // log_[0] is a sentinel standing for the last entry covered by the
  // snapshot (index logBase_, its term); log_[k] has index logBase_ + k.
  // Without a snapshot, logBase_ is 0 and log_[0] has term 0.
  std::vector<LogEntry> log_ LAB_GUARDED_BY(mu_);
  int logBase_ LAB_GUARDED_BY(mu_) = 0;

  // Volatile state on all servers:
  int commitIndex_ LAB_GUARDED_BY(mu_) = 0;  // highest log entry known to be committed
  int lastApplied_ LAB_GUARDED_BY(mu_) = 0;  // highest log entry handed to the applier's sends

  // Volatile state on leaders (reinitialised after election):
  std::vector<int> nextIndex_ LAB_GUARDED_BY(mu_);   // per peer: next log entry to send
  std::vector<int> matchIndex_ LAB_GUARDED_BY(mu_);  // per peer: highest entry known replicated
  // END SOLUTION
  // BEGIN SOLUTION 2A
  // Not in Figure 2: role, timers and what the sending side needs.
  Role role_ LAB_GUARDED_BY(mu_) = Role::Follower;
  lab::Duration electionDeadline_ LAB_GUARDED_BY(mu_){};  // lab::now() after which we stand
  int votes_ LAB_GUARDED_BY(mu_) = 0;                      // votes received in currentTerm_ as candidate
  // Pre-vote (dissertation §9.6): a round asks for pre-votes for currentTerm_ + 1.
  // Anything that resets the election timer ends the round.
  bool preCandidate_ LAB_GUARDED_BY(mu_) = false;  // a pre-vote round is under way
  int preVoteRound_ LAB_GUARDED_BY(mu_) = 0;       // counts rounds; replies to older ones are stale
  int preVotes_ LAB_GUARDED_BY(mu_) = 0;           // pre-votes received in this round, ours included
  // When we last took an append or snapshot from a leader of currentTerm_
  // (nullopt: never); within kElectionTimeoutMinMs of it we refuse pre-votes.
  std::optional<lab::Duration> leaderContact_ LAB_GUARDED_BY(mu_);
  std::vector<lab::Duration> lastSent_ LAB_GUARDED_BY(mu_);  // per peer: when we last sent an append
  std::vector<int> inflight_ LAB_GUARDED_BY(mu_);            // per peer: appends awaiting their Call
  std::vector<lab::Duration> lastHeard_ LAB_GUARDED_BY(mu_);  // per peer: when a reply last came back
  std::vector<bool> pending_ LAB_GUARDED_BY(mu_);  // per peer: something new to send once idle
  lab::CondVar tickerCv_;                          // wakes the ticker: role change, Kill
  // END SOLUTION
  // BEGIN SOLUTION 2B
  lab::CondVar applyCv_;  // wakes the applier: commitIndex_ moved, snapshot, Kill
  // END SOLUTION
  // BEGIN SOLUTION 2D
  labgob::Bytes snapshot_ LAB_GUARDED_BY(mu_);  // the latest snapshot, covering up to logBase_
  bool snapshotPending_ LAB_GUARDED_BY(mu_) = false;  // a snapshot from the leader awaits the applier
  // END SOLUTION

  // BEGIN SOLUTION 2A
  // election.cpp
  void resetElectionTimer() LAB_REQUIRES(mu_);
  void becomeFollower(int term) LAB_REQUIRES(mu_);
  void becomePreCandidate() LAB_REQUIRES(mu_);
  void becomeCandidate() LAB_REQUIRES(mu_);
  void becomeLeader() LAB_REQUIRES(mu_);
  void handlePreVoteReply(int peer, int round, const RequestVoteArgs& args, const RequestVoteReply& reply);
  void handleRequestVoteReply(int peer, const RequestVoteArgs& args, const RequestVoteReply& reply);
  bool grantsPreVote(const RequestVoteArgs& args) const LAB_REQUIRES(mu_);
  // replication.cpp
  void sendAppendEntries(int peer) LAB_REQUIRES(mu_);
  void maybeSendAppendEntries(int peer) LAB_REQUIRES(mu_);
  void handleAppendEntriesReply(int peer, const AppendEntriesArgs& args, bool ok,
                                const AppendEntriesReply& reply);
  // END SOLUTION
  // BEGIN SOLUTION 2B
  void maybeAdvanceCommit() LAB_REQUIRES(mu_);
  int lastLogIndex() const LAB_REQUIRES(mu_) { return logBase_ + static_cast<int>(log_.size()) - 1; }
  int lastLogTerm() const LAB_REQUIRES(mu_) { return log_.back().Term; }
  int termAt(int index) const LAB_REQUIRES(mu_) { return log_.at(static_cast<std::size_t>(index - logBase_)).Term; }
  // END SOLUTION
  // BEGIN SOLUTION 2D
  // snapshot.cpp
  void sendInstallSnapshot(int peer) LAB_REQUIRES(mu_);
  void handleInstallSnapshotReply(int peer, const InstallSnapshotArgs& args, bool ok,
                                  const InstallSnapshotReply& reply);
  // END SOLUTION
};

// The service and tester create a Raft server with Make.
std::shared_ptr<Raft> Make(Peers peers, int me, std::shared_ptr<persister::Persister> persister,
                           ApplyCh applyCh);

// The labrpc Service "Raft" that dispatches to rf's handlers.
std::shared_ptr<labrpc::Service> MakeService(std::shared_ptr<Raft> rf);

}  // namespace raft
