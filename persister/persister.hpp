// persister — where a Raft keeps its state across crashes (Go's persister.go,
// 2023 API). The tester hands each server one; on a crash it gives the
// restarted server a Copy(), so whatever the old instance writes afterwards
// is lost, as on a real crash.
//
//   ps->Save(raftstate, snapshot);   // replaces both atomically; an empty
//                                    // snapshot erases the stored one
//   labgob::Bytes s = ps->ReadRaftState();   // a copy; empty if none
//   labgob::Bytes t = ps->ReadSnapshot();
//   ps->RaftStateSize(); ps->SnapshotSize();
//
// Thread-safe. Reads return copies; stored bytes are never changed in place,
// so Copy() shares them.
#pragma once

#include <memory>

#include "lab/lab.hpp"
#include "labgob/labgob.hpp"

namespace persister {

class Persister {
 public:
  std::shared_ptr<Persister> Copy();
  void Save(const labgob::Bytes& raftstate, const labgob::Bytes& snapshot);
  labgob::Bytes ReadRaftState();
  labgob::Bytes ReadSnapshot();
  std::size_t RaftStateSize();
  std::size_t SnapshotSize();

 private:
  using Shared = std::shared_ptr<const labgob::Bytes>;
  lab::Mutex mu_;
  Shared raftstate_ LAB_GUARDED_BY(mu_) = std::make_shared<const labgob::Bytes>();
  Shared snapshot_ LAB_GUARDED_BY(mu_) = std::make_shared<const labgob::Bytes>();
};

inline std::shared_ptr<Persister> MakePersister() { return std::make_shared<Persister>(); }

}  // namespace persister
