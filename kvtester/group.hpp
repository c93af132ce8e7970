// kvtester/group.hpp — a group of replicated servers on the labrpc network,
// for the key/value labs (Go's tester1 group.go and srv.go, the 2025
// in-process form). The Raft tester (tester/) is a separate, older design.
//
//   auto g = cfg->Group(kvtester::GRP0);
//   g->N(); g->IsConnected(i);
//   g->DisconnectAll(i); g->ConnectOne(i); g->ConnectAll();
//   auto [p1, p2] = g->MakePartition(leader); g->Partition(p1, p2);
//   g->Shutdown(); g->StartServers();        // crash every server, restart them
//   g->LogSize(); g->SnapshotSize();          // the largest persisted sizes
//
// A server is what the test's FstartServer makes from its ends (one per
// server of the group, its own included), its group, its index and its
// persister: a list of services, each registered on the network under its
// labrpc name ("Raft", "KVServer") and killed when the server shuts down.
// A shut-down server is deleted from the network first and keeps a copy of
// its persister, so the old instance can neither answer nor overwrite what
// the next one starts from.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/lab.hpp"
#include "labrpc/labrpc.hpp"
#include "persister/persister.hpp"
#include "raftapi/raftapi.hpp"

namespace kvtester {

using Tgid = int;
inline constexpr Tgid GRP0 = 0;

// "server-<gid>-<i>", the server's name on the network.
std::string ServerName(Tgid gid, int i);

// One service of a server (Go's IService, plus the labrpc service that Go
// finds by reflection).
struct IService {
  std::shared_ptr<labrpc::Service> svc;
  std::function<void()> Kill;
};

using FstartServer = std::function<std::vector<IService>(raftapi::Peers ends, Tgid grp, int srv,
                                                         std::shared_ptr<persister::Persister> persister)>;

class ServerGrp {
 public:
  ServerGrp(std::shared_ptr<labrpc::Network> net, Tgid gid, int n, FstartServer mks);

  int N() const { return n_; }
  std::string SrvName(int i) const { return ServerName(gid_, i); }
  std::vector<std::string> SrvNames() const {
    std::vector<std::string> v;
    for (int i = 0; i < n_; i++) v.push_back(SrvName(i));
    return v;
  }
  std::vector<std::string> SrvNamesTo(const std::vector<int>& to) const {
    std::vector<std::string> v;
    for (int i : to) v.push_back(SrvName(i));
    return v;
  }
  bool IsConnected(int i) LAB_EXCLUDES(mu_);
  std::vector<bool> GetConnected() LAB_EXCLUDES(mu_);
  int RpcCount(int i) { return net_->GetCount(SrvName(i)); }

  // Connectivity. A server's own ends and the other servers' ends towards it;
  // clients are not touched.
  void ConnectOne(int i) LAB_EXCLUDES(mu_);
  void ConnectAll() LAB_EXCLUDES(mu_);
  void DisconnectAll(int i) LAB_EXCLUDES(mu_);
  // Cuts p1 and p2 apart, each fully connected inside. Every listed server
  // ends up marked connected, as in Go.
  void Partition(const std::vector<int>& p1, const std::vector<int>& p2) LAB_EXCLUDES(mu_);
  // The servers other than l fill a majority first; l is the last of the minority.
  std::pair<std::vector<int>, std::vector<int>> MakePartition(int l) const;

  // Lifecycle.
  void StartServer(int i) LAB_EXCLUDES(mu_);
  void StartServers() LAB_EXCLUDES(mu_);
  void ShutdownServer(int i) LAB_EXCLUDES(mu_);
  void Shutdown() LAB_EXCLUDES(mu_);
  // Kills every service (the end of a test).
  void cleanup() LAB_EXCLUDES(mu_);

  // The largest Raft state and snapshot sizes over the group's persisters.
  int LogSize() LAB_EXCLUDES(mu_);
  int SnapshotSize() LAB_EXCLUDES(mu_);

 private:
  struct Server {
    std::shared_ptr<persister::Persister> saved;
    std::vector<IService> svcs;
    std::vector<std::string> endNames;  // to each server of the group, its own included
  };
  void connect(int i, const std::vector<int>& to) LAB_EXCLUDES(mu_);
  void disconnect(int i, const std::vector<int>& from) LAB_EXCLUDES(mu_);
  std::vector<int> all() const;

  lab::Mutex mu_;
  const std::shared_ptr<labrpc::Network> net_;
  const Tgid gid_;
  const int n_;
  const FstartServer mks_;
  std::vector<Server> srvs_ LAB_GUARDED_BY(mu_);
  std::vector<bool> connected_ LAB_GUARDED_BY(mu_);  // per server: its links are up (ConnectOne) or cut
};

}  // namespace kvtester
