#include "persister/persister.hpp"

namespace persister {

std::shared_ptr<Persister> Persister::Copy() {
  auto p = MakePersister();
  lab::MutexLock lk(mu_);
  lab::MutexLock lk2(p->mu_);
  p->raftstate_ = raftstate_;
  p->snapshot_ = snapshot_;
  return p;
}

void Persister::Save(const labgob::Bytes& raftstate, const labgob::Bytes& snapshot) {
  auto s = std::make_shared<const labgob::Bytes>(raftstate);
  auto t = std::make_shared<const labgob::Bytes>(snapshot);
  lab::MutexLock lk(mu_);
  raftstate_ = std::move(s);
  snapshot_ = std::move(t);
}

labgob::Bytes Persister::ReadRaftState() {
  lab::MutexLock lk(mu_);
  return *raftstate_;
}

labgob::Bytes Persister::ReadSnapshot() {
  lab::MutexLock lk(mu_);
  return *snapshot_;
}

std::size_t Persister::RaftStateSize() {
  lab::MutexLock lk(mu_);
  return raftstate_->size();
}

std::size_t Persister::SnapshotSize() {
  lab::MutexLock lk(mu_);
  return snapshot_->size();
}

}  // namespace persister
