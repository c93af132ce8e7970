// kvraft/server.hpp — the replicated key/value service (Lab 4B, Go's
// kvraft1/server.go): every server keeps a map from key to (value,
// version), and changes it only by executing, through the rsm, what Raft
// committed, so that all servers hold the same map.
//
//   auto kv = kvraft::StartKVServer(ends, gid, me, persister, maxraftstate);
//   server->AddService(kv->Service());         // "KVServer.Get", "KVServer.Put"
//   server->AddService(kv->rsm->RaftService()); // "Raft.*", under the same name
//   kv->Kill();                                 // the tester's crash
//
// Get and Put go through rsm.Submit; a server that does not lead answers
// ErrWrongLeader and the Clerk tries another. Put follows rpc.hpp's
// versions: it stores only if the version matches, so a Put executed twice
// (a Clerk re-sent it) fails the second time with ErrVersion and needs no
// table of duplicates.
#pragma once

#include <any>
#include <map>
#include <memory>
#include <string>

#include "kvraft/rpc/rpc.hpp"
#include "kvraft/rsm/rsm.hpp"
#include "labrpc/labrpc.hpp"

namespace kvraft {

class KVServer : public rsm::StateMachine, public std::enable_shared_from_this<KVServer> {
 public:
  explicit KVServer(int me) : me(me) {}

  // The RPC handlers.
  void Get(const rpc::GetArgs& args, rpc::GetReply* reply);
  void Put(const rpc::PutArgs& args, rpc::PutReply* reply);

  // rsm::StateMachine: executes a committed GetArgs or PutArgs.
  std::any DoOp(const std::any& req) override LAB_EXCLUDES(mu_);
  labgob::Bytes Snapshot() override LAB_EXCLUDES(mu_);
  void Restore(const labgob::Bytes& data) override LAB_EXCLUDES(mu_);

  // The "KVServer" labrpc service.
  std::shared_ptr<labrpc::Service> Service();
  void Kill();

  const int me;
  std::shared_ptr<rsm::RSM> rsm;  // set once, by StartKVServer

 private:
  lab::Mutex mu_;
  // BEGIN SOLUTION 4B
  struct Entry {
    std::string Value;
    rpc::Tversion Version = 0;
    template <class Ar>
    void serialize(Ar& ar, unsigned) {
      ar & Value & Version;
    }
  };
  std::map<std::string, Entry> kv_ LAB_GUARDED_BY(mu_);
  // END SOLUTION
};

// Makes server me of its group, over an rsm and a Raft; returns at once.
std::shared_ptr<KVServer> StartKVServer(raftapi::Peers servers, int gid, int me,
                                        std::shared_ptr<persister::Persister> persister, int maxraftstate);

}  // namespace kvraft
