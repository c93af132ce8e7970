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
  int logBase = 0;
  std::vector<LogEntry> log;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & currentTerm & votedFor & logBase & log;
  }
};
}  // namespace
// END SOLUTION

// Saves Raft's persistent state to stable storage, where it can later be
// retrieved after a crash and restart. Before 2D, pass an empty snapshot to
// Save(); after, the current snapshot (an empty one would erase it).
void Raft::persist() {
  // BEGIN SOLUTION 2C
  PersistentState st{currentTerm_, votedFor_, logBase_, log_};
  persister_->Save(labgob::encode(st), snapshot_);
  // END SOLUTION
}

// Restores previously persisted state.
void Raft::readPersist(const labgob::Bytes& data) {
  if (data.empty()) return;  // bootstrap without any state
  // BEGIN SOLUTION 2C
  PersistentState st;
  try {
    st = labgob::decode<PersistentState>(data);
  } catch (const labgob::DecodeError& e) {
    lab::fail("S" + std::to_string(me_) + " readPersist: " + e.what());
  }
  if (st.log.empty()) lab::fail("S" + std::to_string(me_) + " readPersist: log without its sentinel");
  currentTerm_ = st.currentTerm;
  votedFor_ = st.votedFor;
  logBase_ = st.logBase;
  log_ = std::move(st.log);
  // The snapshot covers logBase_: the service restores it on its own at
  // boot, so apply from just after it.
  snapshot_ = persister_->ReadSnapshot();
  commitIndex_ = logBase_;
  lastApplied_ = logBase_;
  DLOG(kPers, "S%d restored T%d voted %d log I%d..I%d", me_, currentTerm_, votedFor_, logBase_, lastLogIndex());
  // END SOLUTION
}

}  // namespace raft
