// raft/raft.cpp — a peer's life: Make, the client verbs (Start, GetState,
// Kill), the ticker that drives elections and heartbeats, and the applier
// that hands committed entries to the service. The RPCs live in
// election.cpp, replication.cpp and snapshot.cpp; persistence in persist.cpp.
#include "raft/raft.hpp"

namespace raft {

Raft::Raft(Peers peers, int me, std::shared_ptr<persister::Persister> persister, ApplyCh applyCh)
    : peers_(std::move(peers)), persister_(std::move(persister)), me_(me), applyCh_(std::move(applyCh)) {}

std::shared_ptr<Raft> Make(Peers peers, int me, std::shared_ptr<persister::Persister> persister,
                           ApplyCh applyCh) {
  auto rf = std::make_shared<Raft>(std::move(peers), me, std::move(persister), std::move(applyCh));
  {
    lab::MutexLock lk(rf->mu_);
    // BEGIN SOLUTION 2A
    const std::size_t n = rf->peers_.size();
    rf->log_.assign(1, LogEntry{});  // the sentinel at index 0
    rf->nextIndex_.assign(n, 1);
    rf->matchIndex_.assign(n, 0);
    rf->lastSent_.assign(n, lab::Duration{});
    rf->inflight_.assign(n, 0);
    rf->lastHeard_.assign(n, lab::Duration{});
    rf->pending_.assign(n, false);
    rf->resetElectionTimer();
    // END SOLUTION

    // initialize from state persisted before a crash
    rf->readPersist(rf->persister_->ReadRaftState());
  }

  // start ticker activity to start elections
  lab::go("S" + std::to_string(me) + " ticker", [rf] { rf->ticker(); });
  // BEGIN SOLUTION 2B
  lab::go("S" + std::to_string(me) + " applier", [rf] { rf->applier(); });
  // END SOLUTION
  return rf;
}

std::shared_ptr<labrpc::Service> MakeService(std::shared_ptr<Raft> rf) {
  auto svc = std::make_shared<labrpc::Service>("Raft");
  svc->Handle("RequestVote", rf, &Raft::RequestVote);
  svc->Handle("AppendEntries", rf, &Raft::AppendEntries);
  svc->Handle("InstallSnapshot", rf, &Raft::InstallSnapshot);
  return svc;
}

}  // namespace raft

// The entry point the tester links against (raftapi/raftapi.hpp).
raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> persister,
                                    ApplyCh applyCh) {
  auto rf = raft::Make(std::move(peers), me, std::move(persister), std::move(applyCh));
  return {rf, raft::MakeService(rf)};
}

namespace raft {

// Returns currentTerm and whether this server believes it is the leader.
State Raft::GetState() {
  int term = 0;
  bool isleader = false;
  // BEGIN SOLUTION 2A
  lab::MutexLock lk(mu_);
  term = currentTerm_;
  isleader = role_ == Role::Leader;
  // END SOLUTION
  return {term, isleader};
}

// The service using Raft (e.g. a k/v server) wants to start agreement on
// the next command to be appended to Raft's log. If this server isn't the
// leader, returns false. Otherwise starts the agreement and returns at once:
// there is no guarantee that this command will ever be committed, since the
// leader may fail or lose an election. Even if the Raft instance has been
// killed, this function returns gracefully.
StartResult Raft::Start(labgob::Command command) {
  int index = -1;
  int term = -1;
  bool isLeader = true;
  (void)command;
  // BEGIN SOLUTION 2B
  lab::MutexLock lk(mu_);
  if (role_ != Role::Leader || killed()) return {-1, -1, false};
  // Rules for Servers, Leaders: "If command received from client: append
  // entry to local log, respond after entry applied to state machine".
  log_.push_back(LogEntry{currentTerm_, std::move(command)});
  persist();
  index = lastLogIndex();
  term = currentTerm_;
  matchIndex_[me_] = index;
  DLOG(kClnt, "S%d Start -> I%d T%d", me_, index, term);
  // Send at once to every idle follower; busy ones get it with their next append.
  for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
    if (p == me_) continue;
    pending_[p] = true;
    maybeSendAppendEntries(p);
  }
  // END SOLUTION
  return {index, term, isLeader};
}

// The tester doesn't halt activities created by Raft after each test, but it
// does call Kill(). Every loop checks killed(), so a killed peer goes quiet:
// it starts no election, sends no RPC and puts nothing more on applyCh.
void Raft::Kill() {
  dead_.store(true);
  // BEGIN SOLUTION 2A
  lab::MutexLock lk(mu_);
  DLOG(kInfo, "S%d killed", me_);
  tickerCv_.notify_all();
  // END SOLUTION
  // BEGIN SOLUTION 2B
  applyCv_.notify_all();
  // END SOLUTION
}

// Starts a new election if this peer hasn't received heartbeats recently;
// as leader, sends the heartbeats.
void Raft::ticker() {
  while (!killed()) {
    // BEGIN SOLUTION 2A
    lab::MutexLock lk(mu_);
    if (killed()) return;
    const lab::Duration now = lab::now();
    if (role_ == Role::Leader) {
      // Rules for Servers, Leaders: "repeat during idle periods to prevent
      // election timeouts" — a peer that heard nothing for kHeartbeat gets an append.
      lab::Duration wake = now + kHeartbeat;
      for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
        if (p == me_) continue;
        // A peer we have not heard from for a while is likely cut off (a
        // Call to it may take up to 7 s to fail): beat at half rate rather
        // than pile up calls it may never answer — still often enough that
        // it hears from us before its election timeout once it is back.
        const lab::Duration beat = now - lastHeard_[p] > kUnheardAfter ? 2 * kHeartbeat : kHeartbeat;
        if (now >= lastSent_[p] + beat) sendAppendEntries(p);
        wake = std::min(wake, lastSent_[p] + beat);
      }
      tickerCv_.wait_until(mu_, wake);
    } else {
      // Rules for Servers, Followers and Candidates: "If election timeout
      // elapses ... convert to candidate / start new election" — after a
      // successful pre-vote (dissertation §9.6).
      if (now >= electionDeadline_) becomePreCandidate();
      tickerCv_.wait_until(mu_, electionDeadline_);
    }
    continue;
    // END SOLUTION
    // pause for a random amount of time between 50 and 350 milliseconds.
    lab::sleep_for(std::chrono::milliseconds(50 + lab::rand_intn(300)));
  }
}

// Hands committed entries (and snapshots from the leader) to the service,
// in order, one at a time. Never holds mu_ while sending on applyCh: the
// receiver may call Snapshot(), which takes mu_.
void Raft::applier() {
  // BEGIN SOLUTION 2B
  lab::MutexLock lk(mu_);
  while (true) {
    while (!killed() && !snapshotPending_ && lastApplied_ >= commitIndex_) applyCv_.wait(mu_);
    if (killed()) return;
    std::vector<ApplyMsg> batch;
    if (snapshotPending_) {
      // Rules for Servers, All Servers: apply — here a whole snapshot at once.
      ApplyMsg m;
      m.SnapshotValid = true;
      m.Snapshot = snapshot_;
      m.SnapshotTerm = log_[0].Term;
      m.SnapshotIndex = logBase_;
      snapshotPending_ = false;
      lastApplied_ = std::max(lastApplied_, logBase_);
      DLOG(kSnap, "S%d applies snapshot through I%d", me_, logBase_);
      batch.push_back(std::move(m));
    } else {
      // "If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied]".
      for (int i = lastApplied_ + 1; i <= commitIndex_; i++) {
        ApplyMsg m;
        m.CommandValid = true;
        m.Command = log_[static_cast<std::size_t>(i - logBase_)].Command;
        m.CommandIndex = i;
        batch.push_back(std::move(m));
      }
      DLOG(kLog2, "S%d applies I%d..I%d", me_, lastApplied_ + 1, commitIndex_);
      lastApplied_ = commitIndex_;
    }
    lk.unlock();
    for (auto& m : batch) {
      if (killed()) return;
      applyCh_->send(std::move(m));
    }
    lk.lock();
  }
  // END SOLUTION
}

}  // namespace raft
