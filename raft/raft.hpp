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
#include <exception>
#include <memory>
#include <optional>
#include <string>
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
// BEGIN SOLUTION 2B
#include "raft/log.hpp"
// END SOLUTION

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
  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  // The verbs of raftapi::Raft. None may be called with mu_ held.
  StartResult Start(labgob::Command command) override LAB_EXCLUDES(mu_);
  State GetState() override LAB_EXCLUDES(mu_);
  void Snapshot(int index, labgob::Bytes snapshot) override LAB_EXCLUDES(mu_);
  void Kill() override LAB_EXCLUDES(mu_);
  int PersistBytes() override { return static_cast<int>(persister_->RaftStateSize()); }
  bool killed() const { return dead_.load(); }

  // RPC handlers (receivers), registered by MakeService.
  void RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply) LAB_EXCLUDES(mu_);
  void AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply) LAB_EXCLUDES(mu_);
  void InstallSnapshot(const InstallSnapshotArgs& args, InstallSnapshotReply* reply) LAB_EXCLUDES(mu_);

 private:
  friend std::shared_ptr<Raft> Make(Peers peers, int me, std::shared_ptr<persister::Persister> persister,
                                    ApplyCh applyCh);

  lab::Mutex mu_;                                          // guards everything below it
  const Peers peers_;                                      // labrpc ends, one per peer, ours included
  const std::shared_ptr<persister::Persister> persister_;  // where persist() saves, and Make reads back
  const int me_;                                           // which of peers_ we are
  const ApplyCh applyCh_;                                  // where committed entries go, in order
  std::atomic<bool> dead_{false};                          // Kill() was called

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
  Log log_ LAB_GUARDED_BY(mu_);  // persistent too: the entries, and where the snapshot ends (log.hpp)

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
  int votes_ LAB_GUARDED_BY(mu_) = 0;                     // votes received in currentTerm_ as candidate
  // Pre-vote (dissertation §9.6), the PreCandidate role: a round asks for
  // pre-votes for currentTerm_ + 1 without changing the term.
  int preVoteRound_ LAB_GUARDED_BY(mu_) = 0;  // counts rounds; replies to older ones are stale
  int preVotes_ LAB_GUARDED_BY(mu_) = 0;      // pre-votes received in this round, ours included
  // When we last took an append or snapshot from a leader of currentTerm_
  // (nullopt: never); within kElectionTimeoutMinMs of it we refuse pre-votes.
  std::optional<lab::Duration> leaderContact_ LAB_GUARDED_BY(mu_);
  std::vector<lab::Duration> lastSent_ LAB_GUARDED_BY(mu_);   // per peer: when we last sent an append
  std::vector<int> inflight_ LAB_GUARDED_BY(mu_);             // per peer: appends awaiting their Call
  std::vector<lab::Duration> lastHeard_ LAB_GUARDED_BY(mu_);  // per peer: when a reply last came back
  std::vector<bool> pending_ LAB_GUARDED_BY(mu_);             // per peer: something new to send once idle
  lab::CondVar tickerCv_;                                     // wakes the ticker: role change, Kill
  // END SOLUTION
  // BEGIN SOLUTION 2B
  lab::CondVar applyCv_;  // wakes the applier: commitIndex_ moved, snapshot, Kill
  // END SOLUTION
  // BEGIN SOLUTION 2D
  labgob::Bytes snapshot_ LAB_GUARDED_BY(mu_);        // the latest snapshot, covering the log through lastIncludedIndex
  bool snapshotPending_ LAB_GUARDED_BY(mu_) = false;  // a snapshot from the leader awaits the applier
  // END SOLUTION

  // Long-running activities, started by Make.
  void ticker() LAB_EXCLUDES(mu_);
  void applier() LAB_EXCLUDES(mu_);

  // Persistence (persist.cpp).
  void persist() LAB_REQUIRES(mu_);
  void readPersist(const labgob::Bytes& data) LAB_REQUIRES(mu_);

  // Every RPC to another peer goes through call(), which may block for
  // seconds: Clang's analysis (make tsa) rejects calling it with mu_ held.
  // `where` defaults to the caller's line, which the runtime's reports name.
  template <class Args, class Reply>
  bool call(int peer, const char* method, const Args& args, Reply* reply, lab::Where where = {}) LAB_EXCLUDES(mu_) {
    return peers_[static_cast<std::size_t>(peer)]->Call(method, args, reply, where);
  }
  // Likewise every send on applyCh_: the receiver may call Snapshot(), which takes mu_.
  void apply(ApplyMsg msg) LAB_EXCLUDES(mu_) { applyCh_->send(std::move(msg)); }

  // BEGIN SOLUTION 2B
  // The peer's lock, with a debug check of Raft's invariants (invariants.cpp)
  // each time it is released, so a bug stops at the end of the critical
  // section that made it, with the server, term and role in the message.
  class LAB_SCOPED_CAPABILITY Lock {
   public:
    explicit Lock(Raft& rf, lab::Where where = {}) LAB_ACQUIRE(rf.mu_) : rf_(rf) { rf_.mu_.lock(where); }
    // May end the activity (lab::fail) when the check fails.
    ~Lock() noexcept(false) LAB_RELEASE() LAB_NO_TSA;
    void unlock() LAB_RELEASE() LAB_NO_TSA;
    void lock(lab::Where where = {}) LAB_ACQUIRE() LAB_NO_TSA {
      rf_.mu_.lock(where);
      held_ = true;
    }
    // cv.wait with the lock's check before it lets go of mu_.
    void wait(lab::CondVar& cv, lab::Where where = {}) LAB_NO_TSA;
    void wait_until(lab::CondVar& cv, lab::Duration deadline, lab::Where where = {}) LAB_NO_TSA;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    // Checks, releases mu_, and returns what broke ("" if nothing).
    std::string checkAndRelease() LAB_NO_TSA;
    // The same check before a wait lets go of mu_; on a failure, releases and fails.
    void checkBeforeWait() LAB_NO_TSA;
    Raft& rf_;
    bool held_ = true;
  };
  // What the checker last saw, to tell that nothing went backwards.
  struct Seen {
    int term = 0;
    int votedFor = -1;
    int commitIndex = 0;
  };
  Seen seen_ LAB_GUARDED_BY(mu_);
  // "" when every invariant holds, else what broke, naming server, term and role.
  std::string invariantError() LAB_REQUIRES(mu_);
  // END SOLUTION

  // BEGIN SOLUTION 2A
  // election.cpp
  void resetElectionTimer() LAB_REQUIRES(mu_);
  void becomeFollower(int term) LAB_REQUIRES(mu_);
  void becomePreCandidate() LAB_REQUIRES(mu_);
  void becomeCandidate() LAB_REQUIRES(mu_);
  void becomeLeader() LAB_REQUIRES(mu_);
  void handlePreVoteReply(int peer, int round, const RequestVoteArgs& args, const RequestVoteReply& reply)
      LAB_EXCLUDES(mu_);
  void handleRequestVoteReply(int peer, const RequestVoteArgs& args, const RequestVoteReply& reply) LAB_EXCLUDES(mu_);
  bool grantsPreVote(const RequestVoteArgs& args) const LAB_REQUIRES(mu_);
  // replication.cpp
  void sendAppendEntries(int peer) LAB_REQUIRES(mu_);
  void maybeSendAppendEntries(int peer) LAB_REQUIRES(mu_);
  void handleAppendEntriesReply(int peer, const AppendEntriesArgs& args, bool ok, const AppendEntriesReply& reply)
      LAB_EXCLUDES(mu_);
  // END SOLUTION
  // BEGIN SOLUTION 2B
  void maybeAdvanceCommit() LAB_REQUIRES(mu_);
  // END SOLUTION
  // BEGIN SOLUTION 2D
  // snapshot.cpp
  void sendInstallSnapshot(int peer) LAB_REQUIRES(mu_);
  void handleInstallSnapshotReply(int peer, const InstallSnapshotArgs& args, bool ok, const InstallSnapshotReply& reply)
      LAB_EXCLUDES(mu_);
  // END SOLUTION
};

// Creates a peer and starts its activities (raftapi.hpp says what each
// argument is). The tester reaches it through raftapi::MakeServer (raft.cpp).
std::shared_ptr<Raft> Make(Peers peers, int me, std::shared_ptr<persister::Persister> persister, ApplyCh applyCh);

// The labrpc Service "Raft" that dispatches to rf's handlers.
std::shared_ptr<labrpc::Service> MakeService(std::shared_ptr<Raft> rf);

}  // namespace raft
