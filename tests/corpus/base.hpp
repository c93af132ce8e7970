// tests/corpus/base.hpp — the small, plain Raft every corpus case starts from.
//
// The corpus (tests/corpus/*.cpp) is a list of mistakes students make, each
// kept as one small broken Raft with the message the lab gives for it. So
// that a case shows its one bug and nothing else, the Raft around the bug is
// this one: a lab::Mutex-and-activities Raft in the style of the handout,
// enough for 2A and for a reliable 2B/2D run (election, replication with a
// one-step back-off, commit at a majority, an applier that sends outside the
// lock). No persistence, no snapshots (Snapshot() only takes the lock).
// It is not the reference and is not meant to pass the hard tests.
//
// A case derives from corpus::Peer, overrides the one method that holds its
// bug, and defines the entry point with corpus::serve:
//
//   struct Broken : corpus::Peer {
//     using Peer::Peer;
//     void Kill() override { ... the bug ... }
//   };
//   raftapi::Server raftapi::MakeServer(Peers p, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
//     return corpus::serve<Broken>(std::move(p), me, std::move(ps), std::move(ch));
//   }
//
// Overridable: ticker() (the election timer loop), heartbeats() (a leader's
// loop), askVote(), sendAppend(peer), applier(), Kill(), Start(), Snapshot(),
// startActivities(), and the handlers RequestVote() and AppendEntries().
#pragma once

#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/lab.hpp"
#include "labgob/command.hpp"
#include "labgob/labgob.hpp"
#include "raftapi/raftapi.hpp"
#include "raftapi/report.hpp"

namespace corpus {

using namespace std::chrono_literals;

struct LogEntry {
  int Term = 0;
  labgob::Command Command;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & Command;
  }
};

struct RequestVoteArgs {
  int Term = 0, CandidateId = 0, LastLogIndex = 0, LastLogTerm = 0;
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
  int Term = 0, LeaderId = 0, PrevLogIndex = 0, PrevLogTerm = 0;
  std::vector<LogEntry> Entries;
  int LeaderCommit = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & LeaderId & PrevLogIndex & PrevLogTerm & Entries & LeaderCommit;
  }
};

struct AppendEntriesReply {
  int Term = 0;
  bool Success = false;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & Success;
  }
};

using raftapi::Role;

class Peer : public raftapi::Raft, public std::enable_shared_from_this<Peer> {
 public:
  Peer(raftapi::Peers peers, int me, raftapi::ApplyCh applyCh)
      : peers_(std::move(peers)), me_(me), applyCh_(std::move(applyCh)) {
    log_.push_back(LogEntry{});  // index 0, term 0
    nextIndex_.assign(peers_.size(), 1);
    matchIndex_.assign(peers_.size(), 0);
    lastHeard_ = lab::now();
  }

  // The peer's activities; serve() calls it once the peer is shared.
  virtual void startActivities() {
    auto self = shared_from_this();
    lab::go(name("ticker"), [self] { self->ticker(); });
    lab::go(name("applier"), [self] { self->applier(); });
  }

  raftapi::StartResult Start(labgob::Command command) override {
    lab::MutexLock lk(mu_);
    if (role_ != Role::Leader || dead_) return {-1, currentTerm_, false};
    log_.push_back(LogEntry{currentTerm_, std::move(command)});
    matchIndex_[me_] = lastIndex();
    return {lastIndex(), currentTerm_, true};
  }

  raftapi::State GetState() override {
    lab::MutexLock lk(mu_);
    return {currentTerm_, role_ == Role::Leader};
  }

  void Snapshot(int, labgob::Bytes) override { lab::MutexLock lk(mu_); }

  void Kill() override {
    lab::MutexLock lk(mu_);
    dead_ = true;
    applyCond_.notify_all();
  }

  int PersistBytes() override { return 0; }

  // The RPC handlers (Figure 2's receiver rules, persistence left out).
  virtual void RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply) {
    lab::MutexLock lk(mu_);
    if (args.Term > currentTerm_) becomeFollower(args.Term);
    reply->Term = currentTerm_;
    const bool upToDate = args.LastLogTerm > lastTerm() ||
                          (args.LastLogTerm == lastTerm() && args.LastLogIndex >= lastIndex());
    if (args.Term == currentTerm_ && (votedFor_ == -1 || votedFor_ == args.CandidateId) && upToDate) {
      votedFor_ = args.CandidateId;
      lastHeard_ = lab::now();
      reply->VoteGranted = true;
    }
  }

  virtual void AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply) {
    lab::MutexLock lk(mu_);
    if (args.Term > currentTerm_ || (args.Term == currentTerm_ && role_ != Role::Follower))
      becomeFollower(args.Term);
    reply->Term = currentTerm_;
    if (args.Term < currentTerm_) return;
    lastHeard_ = lab::now();
    if (args.PrevLogIndex > lastIndex() || log_[args.PrevLogIndex].Term != args.PrevLogTerm) return;
    int i = args.PrevLogIndex + 1;
    for (const auto& e : args.Entries) {
      if (i <= lastIndex() && log_[i].Term != e.Term) log_.resize(i);
      if (i > lastIndex()) log_.push_back(e);
      i++;
    }
    reply->Success = true;
    const int newCommit = std::min(args.LeaderCommit, args.PrevLogIndex + static_cast<int>(args.Entries.size()));
    if (newCommit > commitIndex_) {
      commitIndex_ = newCommit;
      applyCond_.notify_all();
    }
  }

 protected:
  std::string name(const char* what) const { return "S" + std::to_string(me_) + " " + what; }
  int lastIndex() const LAB_REQUIRES(mu_) { return static_cast<int>(log_.size()) - 1; }
  int lastTerm() const LAB_REQUIRES(mu_) { return log_.back().Term; }
  bool killed() {
    lab::MutexLock lk(mu_);
    return dead_;
  }

  void setRole(Role r) LAB_REQUIRES(mu_) {
    role_ = r;
    raftapi::report_role(me_, currentTerm_, role_);
  }

  void becomeFollower(int term) LAB_REQUIRES(mu_) {
    if (term > currentTerm_) {
      currentTerm_ = term;
      votedFor_ = -1;
    }
    setRole(Role::Follower);
  }

  lab::Duration electionTimeout() { return std::chrono::milliseconds(300 + lab::rand_intn(300)); }

  // Starts an election when nothing was heard from a leader for a while.
  virtual void ticker() {
    lab::Duration timeout = electionTimeout();
    while (!killed()) {
      lab::sleep_for(10ms);
      lab::MutexLock lk(mu_);
      if (role_ != Role::Leader && lab::now() - lastHeard_ > timeout) {
        timeout = electionTimeout();
        lastHeard_ = lab::now();
        startElection();
      }
    }
  }

  void startElection() LAB_REQUIRES(mu_) {
    currentTerm_++;
    votedFor_ = me_;
    setRole(Role::Candidate);
    RequestVoteArgs args{currentTerm_, me_, lastIndex(), lastTerm()};
    auto votes = std::make_shared<int>(1);
    auto self = shared_from_this();
    for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
      if (p == me_) continue;
      lab::go(name("vote"), [self, p, args, votes] { self->askVote(p, args, votes); });
    }
  }

  virtual void askVote(int p, RequestVoteArgs args, std::shared_ptr<int> votes) {
    RequestVoteReply reply;
    if (!peers_[p]->Call("Raft.RequestVote", args, &reply)) return;
    lab::MutexLock lk(mu_);
    if (reply.Term > currentTerm_) becomeFollower(reply.Term);
    if (role_ != Role::Candidate || currentTerm_ != args.Term || !reply.VoteGranted) return;
    if (++*votes * 2 > static_cast<int>(peers_.size())) becomeLeader();
  }

  void becomeLeader() LAB_REQUIRES(mu_) {
    setRole(Role::Leader);
    nextIndex_.assign(peers_.size(), lastIndex() + 1);
    matchIndex_.assign(peers_.size(), 0);
    matchIndex_[me_] = lastIndex();
    auto self = shared_from_this();
    lab::go(name("heartbeats"), [self, term = currentTerm_] { self->heartbeats(term); });
  }

  // A leader's loop: an AppendEntries to every peer each 100 ms.
  virtual void heartbeats(int term) {
    while (!killed()) {
      {
        lab::MutexLock lk(mu_);
        if (role_ != Role::Leader || currentTerm_ != term) return;
      }
      for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
        if (p == me_) continue;
        auto self = shared_from_this();
        lab::go(name("append"), [self, p] { self->sendAppend(p); });
      }
      lab::sleep_for(100ms);
    }
  }

  AppendEntriesArgs appendArgs(int p) LAB_REQUIRES(mu_) {
    AppendEntriesArgs args{currentTerm_, me_, nextIndex_[p] - 1, log_[nextIndex_[p] - 1].Term, {}, commitIndex_};
    args.Entries.assign(log_.begin() + nextIndex_[p], log_.end());
    return args;
  }

  virtual void sendAppend(int p) {
    AppendEntriesArgs args;
    {
      lab::MutexLock lk(mu_);
      if (role_ != Role::Leader) return;
      args = appendArgs(p);
    }
    AppendEntriesReply reply;
    if (!peers_[p]->Call("Raft.AppendEntries", args, &reply)) return;
    lab::MutexLock lk(mu_);
    onAppendReply(p, args, reply);
  }

  void onAppendReply(int p, const AppendEntriesArgs& args, const AppendEntriesReply& reply) LAB_REQUIRES(mu_) {
    if (reply.Term > currentTerm_) becomeFollower(reply.Term);
    if (role_ != Role::Leader || currentTerm_ != args.Term) return;
    if (!reply.Success) {
      nextIndex_[p] = std::max(1, args.PrevLogIndex);
      return;
    }
    matchIndex_[p] = std::max(matchIndex_[p], args.PrevLogIndex + static_cast<int>(args.Entries.size()));
    nextIndex_[p] = matchIndex_[p] + 1;
    maybeCommit();
  }

  // A leader commits the highest index of its term that a majority holds.
  void maybeCommit() LAB_REQUIRES(mu_) {
    for (int n = lastIndex(); n > commitIndex_ && log_[n].Term == currentTerm_; n--) {
      int have = 0;
      for (int m : matchIndex_) have += m >= n ? 1 : 0;
      if (have * 2 > static_cast<int>(peers_.size())) {
        commitIndex_ = n;
        applyCond_.notify_all();
        return;
      }
    }
  }

  // Sends each committed entry on applyCh, in order, without the lock.
  virtual void applier() {
    lab::MutexLock lk(mu_);
    while (!dead_) {
      if (lastApplied_ >= commitIndex_) {
        applyCond_.wait(mu_);
        continue;
      }
      raftapi::ApplyMsg m;
      m.CommandValid = true;
      m.CommandIndex = ++lastApplied_;
      m.Command = log_[lastApplied_].Command;
      lk.unlock();
      applyCh_->send(std::move(m));
      lk.lock();
    }
  }

  raftapi::Peers peers_;
  const int me_;
  raftapi::ApplyCh applyCh_;

  lab::Mutex mu_;
  lab::CondVar applyCond_;  // commitIndex_ moved, or the peer was killed
  bool dead_ LAB_GUARDED_BY(mu_) = false;
  Role role_ LAB_GUARDED_BY(mu_) = Role::Follower;
  lab::Duration lastHeard_ LAB_GUARDED_BY(mu_);

  // Figure 2's state (kept in memory only).
  int currentTerm_ LAB_GUARDED_BY(mu_) = 0;
  int votedFor_ LAB_GUARDED_BY(mu_) = -1;
  std::vector<LogEntry> log_ LAB_GUARDED_BY(mu_);
  int commitIndex_ LAB_GUARDED_BY(mu_) = 0;
  int lastApplied_ LAB_GUARDED_BY(mu_) = 0;
  std::vector<int> nextIndex_ LAB_GUARDED_BY(mu_);
  std::vector<int> matchIndex_ LAB_GUARDED_BY(mu_);
};

// The entry point's body for a case whose peer type is T.
template <class T>
raftapi::Server serve(raftapi::Peers peers, int me, std::shared_ptr<persister::Persister>, raftapi::ApplyCh applyCh) {
  auto rf = std::make_shared<T>(std::move(peers), me, std::move(applyCh));
  rf->startActivities();
  auto svc = std::make_shared<labrpc::Service>("Raft");
  svc->Handle("RequestVote", std::static_pointer_cast<Peer>(rf), &Peer::RequestVote);
  svc->Handle("AppendEntries", std::static_pointer_cast<Peer>(rf), &Peer::AppendEntries);
  return {rf, svc};
}

}  // namespace corpus
