// The state machine the rsm tests replicate (Go's kvraft1/rsm/server.go): a
// counter. Inc adds one and replies the new value; Null changes nothing;
// Dec is only ever submitted to a leader cut off in a minority, so a
// server that executes one shows that a minority committed an entry.
#pragma once

#include <any>
#include <memory>
#include <string>

#include "kvraft/rsm/rsm.hpp"
#include "lab/lab.hpp"

namespace rsm_tests {

struct Inc {
  template <class Ar>
  void serialize(Ar&, unsigned) {}
};
struct Null {
  template <class Ar>
  void serialize(Ar&, unsigned) {}
};
struct Dec {
  template <class Ar>
  void serialize(Ar&, unsigned) {}
};
struct IncRep {
  int N = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & N;
  }
};
struct NullRep {
  template <class Ar>
  void serialize(Ar&, unsigned) {}
};

// Go's %v of the reply pointers the 2025 server returns: &{7}, &{}, <nil>.
std::string formatRep(const std::any& rep);

class rsmSrv : public rsm::StateMachine {
 public:
  explicit rsmSrv(int me) : me(me) {}

  std::any DoOp(const std::any& req) override LAB_EXCLUDES(mu);
  labgob::Bytes Snapshot() override LAB_EXCLUDES(mu);
  void Restore(const labgob::Bytes& data) override LAB_EXCLUDES(mu);
  int Counter() LAB_EXCLUDES(mu);

  const int me;
  std::shared_ptr<rsm::RSM> rsm;  // set once, right after MakeRSM

 private:
  lab::Mutex mu;
  int counter LAB_GUARDED_BY(mu) = 0;
};

// Makes server me of the group: its counter and, under it, an RSM and a Raft.
std::shared_ptr<rsmSrv> makeRsmSrv(raftapi::Peers ends, int me, std::shared_ptr<persister::Persister> persister,
                                   int maxraftstate);

}  // namespace rsm_tests
