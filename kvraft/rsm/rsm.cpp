// kvraft/rsm/rsm.cpp — MakeRSM, Submit and the reader that executes what
// Raft commits (see rsm.hpp for what each promises).
#include "kvraft/rsm/rsm.hpp"

#include <functional>
#include <sstream>

namespace rsm {

// BEGIN SOLUTION 4A
namespace {

// What the RSM gives Raft as a snapshot: the service's state and the last
// index it covers, so that a restarted server knows where its log resumes.
struct Snap {
  int Index = 0;
  labgob::Bytes State;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Index & State;
  }
};

labgob::Command encodeOp(const Op& op) {
  labgob::Bytes b = labgob::encode(op);
  return labgob::Command(std::string(b.begin(), b.end()));
}

Op decodeOp(const labgob::Command& c) {
  if (!c.is_string()) lab::fail("rsm: a committed command that is not an Op: " + [&] {
    std::ostringstream os;
    os << c;
    return os.str();
  }());
  const std::string& s = c.as_string();
  return labgob::decode<Op>(labgob::Bytes(s.begin(), s.end()));
}

// The Raft that Raft() hands out: the real one, whose Kill() also tells the
// RSM at once, so that the waiting Submits return whether or not this Raft
// closes applyCh when it is killed.
class TellingRaft : public raftapi::Raft {
 public:
  TellingRaft(std::shared_ptr<raftapi::Raft> rf, std::function<void()> killed)
      : rf_(std::move(rf)), killed_(std::move(killed)) {}
  raftapi::StartResult Start(labgob::Command command) override { return rf_->Start(std::move(command)); }
  raftapi::State GetState() override { return rf_->GetState(); }
  void Snapshot(int index, labgob::Bytes snapshot) override { rf_->Snapshot(index, std::move(snapshot)); }
  int PersistBytes() override { return rf_->PersistBytes(); }
  void Kill() override {
    rf_->Kill();
    killed_();
  }

 private:
  const std::shared_ptr<raftapi::Raft> rf_;
  const std::function<void()> killed_;
};

}  // namespace
// END SOLUTION

RSM::RSM(int me, int maxraftstate, std::shared_ptr<StateMachine> sm)
    : me_(me), maxraftstate_(maxraftstate), sm_(std::move(sm)) {}

std::shared_ptr<RSM> MakeRSM(raftapi::Peers servers, int me, std::shared_ptr<persister::Persister> persister,
                             int maxraftstate, std::shared_ptr<StateMachine> sm) {
  auto rsm = std::make_shared<RSM>(me, maxraftstate, sm);
  rsm->applyCh_ = std::make_shared<lab::Chan<raftapi::ApplyMsg>>(0, "rsm applyCh S" + std::to_string(me));
  // BEGIN SOLUTION 4A
  // The service starts from the last snapshot, before Raft replays the log after it.
  labgob::Bytes snapshot = persister->ReadSnapshot();
  if (!snapshot.empty()) rsm->applySnapshot(snapshot, -1);
  // END SOLUTION
  rsm->rf_ = raftapi::MakeServer(std::move(servers), me, std::move(persister), rsm->applyCh_);
  // BEGIN SOLUTION 4A
  std::weak_ptr<RSM> weak = rsm;
  rsm->rf_.raft = std::make_shared<TellingRaft>(rsm->rf_.raft, [weak] {
    if (auto r = weak.lock()) r->raftDead();
  });
  lab::go("rsm reader S" + std::to_string(me), [rsm] { rsm->reader(); });
  // END SOLUTION
  return rsm;
}

std::pair<rpc::Err, std::any> RSM::Submit(std::any req) {
  // BEGIN SOLUTION 4A
  // The waiter exists before Start: the entry may commit before Start returns.
  Op op{me_, lab::rand_u64(), std::move(req)};
  const std::uint64_t id = op.Id;
  {
    lab::MutexLock lk(mu_);
    if (dead_) return {rpc::ErrWrongLeader, {}};
    waiters_[id] = Waiter{};
  }
  auto [index, term, isLeader] = rf_.raft->Start(encodeOp(op));

  lab::MutexLock lk(mu_);
  auto it = waiters_.find(id);
  if (!isLeader) {
    waiters_.erase(it);
    return {rpc::ErrWrongLeader, {}};
  }
  it->second.index = index;
  it->second.term = term;
  for (;;) {
    if (it->second.done) break;
    if (dead_) {
      it->second.err = rpc::ErrWrongLeader;
      break;
    }
    cv_.wait_for(mu_, kPoll);
    if (it->second.done || dead_) continue;
    // A leader cut off from the others keeps its term and its belief, and
    // must keep waiting; one that moved on to another term, or follows, will
    // never commit this entry in its own term.
    lk.unlock();
    const raftapi::State st = rf_.raft->GetState();
    lk.lock();
    if (!it->second.done && (st.term != term || !st.isLeader)) {
      it->second.done = true;
      it->second.err = rpc::ErrWrongLeader;
    }
  }
  std::pair<rpc::Err, std::any> out{it->second.err, std::move(it->second.rep)};
  waiters_.erase(it);
  return out;
  // ELSE
  // (void)req;
  // return {rpc::ErrWrongLeader, {}};  // nothing done: the caller tries another server
  // END SOLUTION
}

// BEGIN SOLUTION 4A
void RSM::reader() {
  while (auto m = applyCh_->recv()) {
    if (m->SnapshotValid) {
      applySnapshot(m->Snapshot, m->SnapshotIndex);
    } else if (m->CommandValid) {
      applyCommand(*m);
      maybeSnapshot(m->CommandIndex);
    }
  }
  // Raft closed applyCh: it was killed.
  raftDead();
}

// Raft was killed: no entry will commit here any more.
void RSM::raftDead() {
  lab::MutexLock lk(mu_);
  dead_ = true;
  cv_.notify_all();
}

void RSM::applyCommand(const raftapi::ApplyMsg& m) {
  if (m.CommandIndex <= lastApplied_) return;  // covered by a snapshot already
  lastApplied_ = m.CommandIndex;
  Op op = decodeOp(m.Command);
  std::any rep;
  if (auto sm = sm_.lock()) rep = sm->DoOp(op.Req);

  lab::MutexLock lk(mu_);
  for (auto& [id, w] : waiters_) {
    if (w.done) continue;
    if (id == op.Id) {
      w.done = true;
      w.err = rpc::OK;
      w.rep = rep;
    } else if (w.index == m.CommandIndex) {
      // Another entry took this waiter's index: its own will never commit there.
      w.done = true;
      w.err = rpc::ErrWrongLeader;
    }
  }
  cv_.notify_all();
}

// index -1: the snapshot a restarted server finds in its persister.
void RSM::applySnapshot(const labgob::Bytes& data, int index) {
  Snap s = labgob::decode<Snap>(data);
  if (index == -1) index = s.Index;
  if (index <= lastApplied_) return;
  lastApplied_ = index;
  if (auto sm = sm_.lock()) sm->Restore(s.State);

  // A waiter whose entry the snapshot covers cannot learn its reply.
  lab::MutexLock lk(mu_);
  for (auto& [id, w] : waiters_) {
    if (!w.done && w.index != 0 && w.index <= index) {
      w.done = true;
      w.err = rpc::ErrWrongLeader;
    }
  }
  cv_.notify_all();
}

void RSM::maybeSnapshot(int index) {
  if (maxraftstate_ < 0 || rf_.raft->PersistBytes() <= maxraftstate_) return;
  auto sm = sm_.lock();
  if (!sm) return;
  rf_.raft->Snapshot(index, labgob::encode(Snap{index, sm->Snapshot()}));
}
// END SOLUTION

}  // namespace rsm
