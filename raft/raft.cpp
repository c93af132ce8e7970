// raft/raft.cpp — a peer's life: Make, the client verbs (Start, GetState,
// Kill), the ticker that drives elections and heartbeats, and the applier
// that hands committed entries to the service. The RPCs live in
// election.cpp, replication.cpp and snapshot.cpp; persistence in persist.cpp.
#include "raft/raft.hpp"

namespace raft {

Raft::Raft(Peers peers, int me, std::shared_ptr<persister::Persister> persister, ApplyCh applyCh)
    : peers_(std::move(peers)), persister_(std::move(persister)), me_(me), applyCh_(std::move(applyCh)) {}

std::shared_ptr<Raft> Make(Peers peers, int me, std::shared_ptr<persister::Persister> persister, ApplyCh applyCh) {
  auto rf = std::make_shared<Raft>(std::move(peers), me, std::move(persister), std::move(applyCh));
  {
    // BEGIN SOLUTION 2A
    Raft::Lock lk(*rf);
    const std::size_t n = rf->peers_.size();
    rf->nextIndex_.assign(n, 1);
    rf->matchIndex_.assign(n, 0);
    rf->lastSent_.assign(n, lab::Duration{});
    rf->inflight_.assign(n, 0);
    rf->lastHeard_.assign(n, lab::Duration{});
    rf->pending_.assign(n, false);
    rf->resetElectionTimer();
    // ELSE
    // lab::MutexLock lk(rf->mu_);
    // END SOLUTION

    // Pick up whatever was persisted before a crash.
    rf->readPersist(rf->persister_->ReadRaftState());
  }

  // The ticker starts elections (and, for a leader, sends heartbeats).
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

// The peer's current term, and whether it takes itself to be the leader.
State Raft::GetState() {
  // BEGIN SOLUTION 2A
  Lock lk(*this);
  return {currentTerm_, role_ == Role::Leader};
  // ELSE
  // int term = 0;
  // bool isleader = false;
  // return {term, isleader};
  // END SOLUTION
}

// The service (a k/v server, or the tester) hands the leader a command to
// replicate. A peer that is not the leader says so and does nothing. The
// leader appends the command and returns at once, before anything is
// replicated: the entry may still be lost if this leader fails or is deposed
// before it commits. Safe to call on a killed peer.
StartResult Raft::Start(labgob::Command command) {
  // BEGIN SOLUTION 2B
  Lock lk(*this);
  if (role_ != Role::Leader || killed()) return {-1, -1, false};
  // Rules for Servers, Leaders: "If command received from client: append
  // entry to local log, respond after entry applied to state machine".
  log_.append(LogEntry{currentTerm_, std::move(command)});
  persist();
  const int index = log_.lastIndex();
  matchIndex_[me_] = index;
  DLOG(kClnt, "S%d Start -> I%d T%d", me_, index, currentTerm_);
  // Send at once to every idle follower; busy ones get it with their next append.
  for (int p = 0; p < static_cast<int>(peers_.size()); p++) {
    if (p == me_) continue;
    pending_[p] = true;
    maybeSendAppendEntries(p);
  }
  return {index, currentTerm_, true};
  // ELSE
  // int index = -1;
  // int term = -1;
  // bool isLeader = true;
  // (void)command;
  // return {index, term, isLeader};
  // END SOLUTION
}

// The tester does not stop the activities a peer starts, but it calls Kill()
// when a test ends or a server crashes. Every loop checks killed(), so a
// killed peer goes quiet: it starts no election, sends no RPC and puts
// nothing more on applyCh.
void Raft::Kill() {
  dead_.store(true);
  // BEGIN SOLUTION 2A
  Lock lk(*this);
  DLOG(kInfo, "S%d killed", me_);
  tickerCv_.notify_all();
  // END SOLUTION
  // BEGIN SOLUTION 2B
  applyCv_.notify_all();
  // END SOLUTION
}

// Starts an election when this peer has not heard from a leader for an
// election timeout; as leader, sends the heartbeats.
void Raft::ticker() {
  // BEGIN SOLUTION 2A
  Lock lk(*this);
  while (!killed()) {
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
      lk.wait_until(tickerCv_, wake);
    } else {
      // Rules for Servers, Followers and Candidates: "If election timeout
      // elapses ... convert to candidate / start new election" — after a
      // successful pre-vote (dissertation §9.6).
      if (now >= electionDeadline_) becomePreCandidate();
      lk.wait_until(tickerCv_, electionDeadline_);
    }
  }
  // ELSE
  // while (killed() == false) {
  //   // Time for an election? Then sleep 50-350 ms, a different span each time.
  //   lab::sleep_for(std::chrono::milliseconds(50 + lab::rand_intn(300)));
  // }
  // END SOLUTION
}

// Hands committed entries (and snapshots from the leader) to the service,
// in order, one at a time. Never holds mu_ while sending on applyCh: the
// receiver may call Snapshot(), which takes mu_.
void Raft::applier() {
  // BEGIN SOLUTION 2B
  Lock lk(*this);
  while (true) {
    while (!killed() && !snapshotPending_ && lastApplied_ >= commitIndex_) lk.wait(applyCv_);
    if (killed()) return;
    std::vector<ApplyMsg> batch;
    if (snapshotPending_) {
      // Rules for Servers, All Servers: apply — here a whole snapshot at once.
      ApplyMsg m;
      m.SnapshotValid = true;
      m.Snapshot = snapshot_;
      m.SnapshotTerm = log_.lastIncludedTerm();
      m.SnapshotIndex = log_.lastIncludedIndex();
      snapshotPending_ = false;
      lastApplied_ = std::max(lastApplied_, log_.lastIncludedIndex());
      DLOG(kSnap, "S%d applies snapshot through I%d", me_, log_.lastIncludedIndex());
      batch.push_back(std::move(m));
    } else {
      // "If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied]".
      for (int i = lastApplied_ + 1; i <= commitIndex_; i++) {
        ApplyMsg m;
        m.CommandValid = true;
        m.Command = log_.at(i).Command;
        m.CommandIndex = i;
        batch.push_back(std::move(m));
      }
      DLOG(kLog2, "S%d applies I%d..I%d", me_, lastApplied_ + 1, commitIndex_);
      lastApplied_ = commitIndex_;
    }
    // lastApplied_ moves before the sends: a snapshot the service takes at
    // one of these indexes may then trim the log under them, which is fine,
    // as the batch holds copies.
    lk.unlock();
    for (auto& m : batch) {
      if (killed()) return;
      apply(std::move(m));
    }
    lk.lock();
  }
  // END SOLUTION
}

}  // namespace raft
