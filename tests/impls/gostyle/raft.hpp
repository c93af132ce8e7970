// tests/impls/gostyle/raft.hpp — a Raft (parts 2A-2C) written the way a Go
// student writes one with channels and select, to show that Go designs port
// to lab:: without polling and without a big mutex.
//
// One activity per peer, the main loop (run), owns every field of Figure 2.
// Nothing else touches them, so there is no lock. The loop sits in one
// lab::select over:
//   - the election timer (a lab::Timer, reset to a random timeout),
//   - the heartbeat ticker (a lab::Ticker; ignored unless leader),
//   - requests from the RPC handlers and from Start/GetState: each handler
//     sends the loop its arguments with a fresh reply channel of capacity 1
//     and waits on that channel for the answer,
//   - replies to the RPCs the loop sent: each Call runs in its own activity,
//     which sends what came back to the loop,
//   - done_, closed by Kill().
// Committed entries go to a second activity, the applier, which queues them
// and feeds applyCh from a select whose send case is disabled (a nil
// channel) while its queue is empty: the loop never waits for the service.
//
// Every activity that sends to the loop also selects on done_, so nothing
// stays blocked on a peer that was killed. Snapshots (2D) are not done:
// Snapshot() is accepted and ignored, so 2D fails on log size.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "lab/timer.hpp"
#include "raftapi/raftapi.hpp"
#include "raftapi/report.hpp"
#include "tests/impls/gostyle/rpc.hpp"

namespace gostyle {

using raftapi::ApplyMsg;
using raftapi::Role;

// A request to the main loop and where its answer goes. The reply channel has
// capacity 1, so the loop never waits for the asker; shared, so it outlives
// an asker that gave up because the peer was killed.
template <class Req, class Rep>
struct Ask {
  Req req;
  std::shared_ptr<lab::Chan<Rep>> reply;
};

struct Empty {};

using VoteAsk = Ask<RequestVoteArgs, RequestVoteReply>;
using AppendAsk = Ask<AppendEntriesArgs, AppendEntriesReply>;
using StartAsk = Ask<labgob::Command, raftapi::StartResult>;
using StateAsk = Ask<Empty, raftapi::State>;

// What came back from a RequestVote this peer sent in its election of `term`.
struct VoteResult {
  int peer = 0;
  int term = 0;
  RequestVoteReply reply;
};

// What came back from an AppendEntries (ok false: no reply).
struct AppendResult {
  int peer = 0;
  int term = 0;  // the leader's term when it sent
  int prevLogIndex = 0;
  int entries = 0;
  bool ok = false;
  AppendEntriesReply reply;
};

class Raft : public raftapi::Raft, public std::enable_shared_from_this<Raft> {
 public:
  Raft(raftapi::Peers peers, int me, std::shared_ptr<persister::Persister> persister, raftapi::ApplyCh applyCh);

  // Starts the main loop and the applier.
  void startActivities();

  raftapi::StartResult Start(labgob::Command command) override;
  raftapi::State GetState() override;
  void Snapshot(int index, labgob::Bytes snapshot) override;
  void Kill() override;
  int PersistBytes() override;

  // The RPC handlers (labrpc runs each as its own activity): they hand the
  // arguments to the main loop and wait for its answer.
  void RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply);
  void AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply);

 private:
  static constexpr lab::Duration kHeartbeat = std::chrono::milliseconds(100);
  static constexpr int kElectionMinMs = 300;
  static constexpr int kElectionSpanMs = 300;
  static constexpr std::size_t kMaxEntriesPerAppend = 100;

  // Sends req on ch and waits for the answer; false if the peer was killed first.
  template <class Req, class Rep>
  bool ask(lab::Chan<Ask<Req, Rep>>& ch, Req req, Rep* out);

  // --- the main loop and what it calls (raft.cpp) -----------------------------
  void run();
  raftapi::StartResult handleStart(labgob::Command command);
  void applier();
  void persist();
  void readPersist(const labgob::Bytes& data);
  void setRole(Role r);
  void becomeFollower(int term);
  void resetElectionTimer();
  void applyCommitted();
  int lastIndex() const { return static_cast<int>(log_.size()) - 1; }
  int lastTerm() const { return log_.back().Term; }

  // --- elections (election.cpp) ------------------------------------------------
  void startElection();
  void sendRequestVote(int peer, RequestVoteArgs args);
  void onVoteResult(const VoteResult& v);
  void becomeLeader();
  RequestVoteReply handleRequestVote(const RequestVoteArgs& args);

  // --- replication (replication.cpp) -------------------------------------------
  void heartbeat();
  void sendAppendEntries(int peer);
  void onAppendResult(const AppendResult& r);
  void maybeCommit();
  AppendEntriesReply handleAppendEntries(const AppendEntriesArgs& args);

  // --- fixed at creation ---
  const raftapi::Peers peers_;
  const std::shared_ptr<persister::Persister> persister_;
  const int me_;
  const raftapi::ApplyCh applyCh_;

  // --- channels into the main loop, and from it to the applier ---
  lab::Chan<VoteAsk> voteRequests_;
  lab::Chan<AppendAsk> appendRequests_;
  lab::Chan<StartAsk> starts_;
  lab::Chan<StateAsk> stateRequests_;
  lab::Chan<VoteResult> voteResults_;
  lab::Chan<AppendResult> appendResults_;
  lab::Chan<std::vector<ApplyMsg>> toApply_;
  lab::Chan<Empty> done_;  // closed by Kill: every activity of this peer returns
  std::atomic<bool> dead_{false};

  // --- timers (used by the main loop; Stop is safe from anywhere) ---
  lab::Timer electionTimer_;
  lab::Ticker heartbeat_;

  // Everything below belongs to the main loop.

  // Persistent state on all servers (Figure 2): persist before answering.
  int currentTerm_ = 0;
  int votedFor_ = -1;
  std::vector<LogEntry> log_;  // log_[0] is a sentinel of term 0; entries from index 1

  // Volatile state on all servers.
  int commitIndex_ = 0;
  int lastApplied_ = 0;

  // Volatile state on leaders, reinitialised after each election.
  std::vector<int> nextIndex_;
  std::vector<int> matchIndex_;

  Role role_ = Role::Follower;
  int votes_ = 0;              // votes for this peer in currentTerm_, as candidate
  std::vector<int> inflight_;  // AppendEntries sent to each peer and not yet back
};

}  // namespace gostyle
