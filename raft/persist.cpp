// raft/persist.cpp — persistence (part 2C): what Figure 2 marks "persistent
// state on all servers" (currentTerm, votedFor, log[], plus in 2D where the
// log starts), saved with the latest snapshot and read back at Make.
//
// Why persist() runs with mu_ held: the Persister has its own mutex, takes
// no other lock and never calls back into Raft, so holding mu_ across Save
// cannot deadlock and waits only for a copy of a few bytes. Holding it makes
// each save a consistent picture of the fields and keeps saves in the order
// of the changes — released, two saves could land in the wrong order and the
// older state would win. Every change is saved before the RPC reply (or the
// RPC send) that reveals it.
#include <boost/serialization/vector.hpp>

#include "raft/raft.hpp"

namespace raft {

// BEGIN SOLUTION 2C
namespace {
struct PersistentState {
  int currentTerm = 0;
  int votedFor = -1;
  Log log;  // its entries and where the snapshot ends
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & currentTerm & votedFor & log;
  }
};
}  // namespace
// END SOLUTION

// Writes the persistent state through the Persister, the lab's stand-in for
// a disk: what is there when a server restarts is what Make reads back.
// Before 2D, Save() an empty snapshot; from 2D on, the current one (an empty
// one would erase it).
void Raft::persist() {
  // BEGIN SOLUTION 2C
  PersistentState st{currentTerm_, votedFor_, log_};
  persister_->Save(labgob::encode(st), snapshot_);
  // END SOLUTION
}

// Make calls this with what the Persister held at restart.
void Raft::readPersist(const labgob::Bytes& data) {
  if (data.empty()) return;  // a first boot: nothing was ever saved
  // BEGIN SOLUTION 2C
  PersistentState st;
  try {
    st = labgob::decode<PersistentState>(data);
  } catch (const labgob::DecodeError& e) {
    lab::fail("S" + std::to_string(me_) + " readPersist: " + e.what());
  }
  currentTerm_ = st.currentTerm;
  votedFor_ = st.votedFor;
  log_ = std::move(st.log);
  // The service restores the snapshot on its own at boot, so applying
  // starts just after the last index it covers.
  snapshot_ = persister_->ReadSnapshot();
  commitIndex_ = log_.lastIncludedIndex();
  lastApplied_ = log_.lastIncludedIndex();
  DLOG(kPers, "S%d restored T%d voted %d log I%d..I%d", me_, currentTerm_, votedFor_, log_.lastIncludedIndex(),
       log_.lastIndex());
  // END SOLUTION
}

}  // namespace raft
