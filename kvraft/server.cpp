// The key/value server (see server.hpp).
#include "kvraft/server.hpp"

#include <boost/serialization/map.hpp>

#include "labgob/any.hpp"

namespace kvraft {

// What travels in Raft's log inside an rsm.Op, under Go's names.
LABGOB_REGISTER(rpc::PutArgs, "rpc.PutArgs");
LABGOB_REGISTER(rpc::GetArgs, "rpc.GetArgs");
LABGOB_REGISTER(rpc::PutReply, "rpc.PutReply");
LABGOB_REGISTER(rpc::GetReply, "rpc.GetReply");

std::shared_ptr<KVServer> StartKVServer(raftapi::Peers servers, int /*gid*/, int me,
                                        std::shared_ptr<persister::Persister> persister, int maxraftstate) {
  auto kv = std::make_shared<KVServer>(me);
  kv->rsm = rsm::MakeRSM(std::move(servers), me, std::move(persister), maxraftstate, kv);
  return kv;
}

std::shared_ptr<labrpc::Service> KVServer::Service() {
  auto svc = std::make_shared<labrpc::Service>("KVServer");
  svc->Handle("Get", shared_from_this(), &KVServer::Get);
  svc->Handle("Put", shared_from_this(), &KVServer::Put);
  return svc;
}

void KVServer::Kill() { rsm->Raft()->Kill(); }

void KVServer::Get(const rpc::GetArgs& args, rpc::GetReply* reply) {
  // BEGIN SOLUTION 4B
  auto [err, rep] = rsm->Submit(args);
  if (err != rpc::OK) {
    reply->Err = err;
    return;
  }
  *reply = std::any_cast<rpc::GetReply>(rep);
  // ELSE
  // (void)args;
  // reply->Err = rpc::ErrWrongLeader;  // Your code here (4B): submit args through rsm
  // END SOLUTION
}

void KVServer::Put(const rpc::PutArgs& args, rpc::PutReply* reply) {
  // BEGIN SOLUTION 4B
  auto [err, rep] = rsm->Submit(args);
  if (err != rpc::OK) {
    reply->Err = err;
    return;
  }
  *reply = std::any_cast<rpc::PutReply>(rep);
  // ELSE
  // (void)args;
  // reply->Err = rpc::ErrWrongLeader;  // Your code here (4B): submit args through rsm
  // END SOLUTION
}

std::any KVServer::DoOp(const std::any& req) {
  // BEGIN SOLUTION 4B
  lab::MutexLock lk(mu_);
  if (auto g = std::any_cast<rpc::GetArgs>(&req)) {
    auto it = kv_.find(g->Key);
    if (it == kv_.end()) return rpc::GetReply{"", 0, rpc::ErrNoKey};
    return rpc::GetReply{it->second.Value, it->second.Version, rpc::OK};
  }
  if (auto p = std::any_cast<rpc::PutArgs>(&req)) {
    auto it = kv_.find(p->Key);
    if (it == kv_.end()) {
      if (p->Version != 0) return rpc::PutReply{rpc::ErrNoKey};
      kv_[p->Key] = Entry{p->Value, 1};
      return rpc::PutReply{rpc::OK};
    }
    if (it->second.Version != p->Version) return rpc::PutReply{rpc::ErrVersion};
    it->second.Value = p->Value;
    it->second.Version++;
    return rpc::PutReply{rpc::OK};
  }
  // END SOLUTION
  lab::fail("KVServer.DoOp: a request that is neither rpc.GetArgs nor rpc.PutArgs: " + labgob::typeName(req));
}

labgob::Bytes KVServer::Snapshot() {
  // BEGIN SOLUTION 4C
  lab::MutexLock lk(mu_);
  return labgob::encode(kv_);
  // ELSE
  // return {};
  // END SOLUTION
}

void KVServer::Restore(const labgob::Bytes& data) {
  // BEGIN SOLUTION 4C
  auto m = labgob::decode<std::map<std::string, Entry>>(data);
  lab::MutexLock lk(mu_);
  kv_ = std::move(m);
  // ELSE
  // (void)data;
  // END SOLUTION
}

}  // namespace kvraft
