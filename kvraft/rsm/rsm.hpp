// kvraft/rsm/rsm.hpp — the replicated state machine (Lab 4A, Go's
// kvraft1/rsm): a layer between a service and Raft that knows nothing of
// the service's requests. Each server of a group makes one RSM over its
// own Raft; a request submitted to the leader's RSM is put in Raft's log,
// and once committed every server's RSM executes it, in log order, on its
// own copy of the service.
//
//   class Counter : public rsm::StateMachine { ... DoOp, Snapshot, Restore ... };
//   auto sm = std::make_shared<Counter>();
//   auto r = rsm::MakeRSM(ends, me, persister, maxraftstate, sm);
//   auto [err, rep] = r->Submit(Inc{});   // rpc::OK and DoOp's reply for it,
//                                          // or rpc::ErrWrongLeader: ask another server
//   r->Raft()->GetState();                 // the Raft underneath
//   server->AddService(r->RaftService());  // its "Raft" labrpc service
//
// What Submit promises:
//   - OK only once the request was committed and executed; the reply is what
//     DoOp returned for that very log entry;
//   - ErrWrongLeader at once when this Raft is not the leader, and soon when
//     the entry can no longer commit (another entry took its index, or the
//     term moved on), or when Raft was killed;
//   - while Raft still says it leads in the same term, it keeps waiting.
// DoOp runs exactly once per committed entry on every server, whoever
// submitted it. With maxraftstate > 0 the RSM snapshots the service when
// Raft's persisted state grows past maxraftstate bytes; with -1, never.
//
// Requests and replies are std::any holding types registered with labgob
// (labgob/any.hpp), so that they can travel in Raft's log.
//
// Kill: the tester kills a server by calling Kill() on Raft() (the server's
// only "Raft" service), and every Submit still waiting must then return.
// Go's lab asks Raft to close applyCh on Kill for this; an RSM may also
// learn it another way, as the Raft() it hands out is its own choice.
#pragma once

#include <boost/serialization/split_member.hpp>

#include <any>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "kvraft/rpc/rpc.hpp"
#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "labgob/any.hpp"
#include "labgob/labgob.hpp"
#include "persister/persister.hpp"
#include "raftapi/raftapi.hpp"
// BEGIN SOLUTION 4A
#include <map>
// END SOLUTION

namespace rsm {

// What the service implements: the RSM calls these from one activity, one
// at a time, in log order.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Executes one committed request and returns its reply.
  virtual std::any DoOp(const std::any& req) = 0;
  // The service's whole state, as bytes.
  virtual labgob::Bytes Snapshot() = 0;
  // Replaces the service's state with one that Snapshot() returned.
  virtual void Restore(const labgob::Bytes& data) = 0;
};

// What the RSM hands Raft's Start for one request. Raft carries it as an
// opaque command (the encoded Op), so any Raft behind raftapi will do.
struct Op {
  // BEGIN SOLUTION 4A
  int Me = 0;            // the server that submitted it
  std::uint64_t Id = 0;  // unique to this submission
  std::any Req;          // the request, of a type registered with labgob

  template <class Ar>
  void save(Ar& ar, unsigned) const {
    ar << Me << Id << labgob::encodeAny(Req);
  }
  template <class Ar>
  void load(Ar& ar, unsigned) {
    labgob::Bytes req;
    ar >> Me >> Id >> req;
    Req = labgob::decodeAny(req);
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
  // ELSE
  // template <class Ar>
  // void serialize(Ar&, unsigned) {}
  // END SOLUTION
};

class RSM : public std::enable_shared_from_this<RSM> {
 public:
  RSM(int me, int maxraftstate, std::shared_ptr<StateMachine> sm);

  // Submits req to Raft and waits until it is committed and executed.
  std::pair<rpc::Err, std::any> Submit(std::any req) LAB_EXCLUDES(mu_);
  std::shared_ptr<raftapi::Raft> Raft() { return rf_.raft; }
  // The labrpc service of this Raft ("Raft"): the tester puts it on the network.
  std::shared_ptr<labrpc::Service> RaftService() { return rf_.service; }

 private:
  friend std::shared_ptr<RSM> MakeRSM(raftapi::Peers servers, int me, std::shared_ptr<persister::Persister> persister,
                                      int maxraftstate, std::shared_ptr<StateMachine> sm);

  lab::Mutex mu_;
  const int me_;
  raftapi::Server rf_;
  raftapi::ApplyCh applyCh_;
  const int maxraftstate_;  // snapshot when Raft's state is larger (-1: never)
  // Weak: the service holds its RSM, and nothing must hold it back.
  const std::weak_ptr<StateMachine> sm_;

  // BEGIN SOLUTION 4A
  // A Submit waiting for its entry. The reader fills in the outcome.
  struct Waiter {
    int index = 0;  // where Start put the entry (0 until Start returned)
    int term = 0;   // the term Start put it in
    bool done = false;
    rpc::Err err;
    std::any rep;
  };
  static constexpr lab::Duration kPoll = std::chrono::milliseconds(100);  // how often a waiter checks the term

  // Reads applyCh until Raft closes it: executes, snapshots, answers waiters.
  void reader() LAB_EXCLUDES(mu_);
  void applyCommand(const raftapi::ApplyMsg& m) LAB_EXCLUDES(mu_);
  void applySnapshot(const labgob::Bytes& data, int index) LAB_EXCLUDES(mu_);
  void maybeSnapshot(int index) LAB_EXCLUDES(mu_);
  void raftDead() LAB_EXCLUDES(mu_);

  lab::CondVar cv_;                                  // a waiter's outcome arrived, or Raft is dead
  std::map<std::uint64_t, Waiter> waiters_ LAB_GUARDED_BY(mu_);  // by Op id
  bool dead_ LAB_GUARDED_BY(mu_) = false;          // applyCh was closed: Raft was killed
  int lastApplied_ = 0;                              // the reader's alone: highest index executed
  // END SOLUTION
};

// Makes the RSM and its Raft; returns at once (the reader is an activity).
// If persister holds a snapshot, the service is restored from it first.
std::shared_ptr<RSM> MakeRSM(raftapi::Peers servers, int me, std::shared_ptr<persister::Persister> persister,
                             int maxraftstate, std::shared_ptr<StateMachine> sm);

}  // namespace rsm
