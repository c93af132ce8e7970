// kvtester/clnts.hpp — the tester's clients (Go's tester1 clnts.go): each
// Clerk calls servers by name through a Clnt, which the test may restrict
// to some servers (a client in one side of a partition).
//
//   auto clnt = cfg->MakeClient();            // may call any server
//   auto clnt = cfg->MakeClientTo({"server-0-1", "server-0-2"});
//   bool ok = clnt->Call("server-0-1", "KVServer.Get", args, &reply);
//   clnt->ConnectAll();                       // lift the restriction
//   cfg->DeleteClient(clnt);                  // its ends stop working
//
// An end is made for a server on first use; a call to a server the client
// may not reach fails as a disabled link does (after 0-99 ms).
//
// In the sim backend every call first waits kSimLatency of virtual time.
// Without it a Put through a Raft that replicates at once would complete
// without any timer firing, clients that loop on Put and Get would never
// let virtual time move, and a test's "clients run for 1 s" would never
// end. Real time passes on its own, so the real backend adds nothing.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lab/lab.hpp"
#include "labrpc/labrpc.hpp"

namespace kvtester {

class Clnt {
 public:
  static constexpr lab::Duration kSimLatency = std::chrono::milliseconds(2);

  // srvs: the servers it may call; nullopt: any.
  Clnt(std::shared_ptr<labrpc::Network> net, std::optional<std::vector<std::string>> srvs)
      : net_(std::move(net)), srvs_(std::move(srvs)) {}

  template <class Args, class Reply>
  bool Call(const std::string& server, const std::string& method, const Args& args, Reply* reply) {
#if defined(LAB_SIM)
    lab::sleep_for(kSimLatency);
#endif
    return makeEnd(server)->Call(method, args, reply);
  }

  void ConnectAll() LAB_EXCLUDES(mu_);
  void ConnectTo(const std::vector<std::string>& srvs) LAB_EXCLUDES(mu_);
  void Disconnect(const std::string& srv) LAB_EXCLUDES(mu_);
  void DisconnectAll() LAB_EXCLUDES(mu_);
  // Disables every end (Go deletes them; a disabled end fails the same way).
  void remove() LAB_EXCLUDES(mu_);

 private:
  struct End {
    std::string name;
    std::shared_ptr<labrpc::ClientEnd> end;
  };
  std::shared_ptr<labrpc::ClientEnd> makeEnd(const std::string& server) LAB_EXCLUDES(mu_);
  bool allowed(const std::string& server) const LAB_REQUIRES(mu_);

  lab::Mutex mu_;
  const std::shared_ptr<labrpc::Network> net_;
  std::map<std::string, End> ends_ LAB_GUARDED_BY(mu_);
  std::optional<std::vector<std::string>> srvs_ LAB_GUARDED_BY(mu_);
  bool removed_ LAB_GUARDED_BY(mu_) = false;
};

class Clnts {
 public:
  explicit Clnts(std::shared_ptr<labrpc::Network> net) : net_(std::move(net)) {}
  std::shared_ptr<Clnt> MakeClient() { return MakeClientTo(std::nullopt); }
  std::shared_ptr<Clnt> MakeClientTo(std::optional<std::vector<std::string>> srvs) LAB_EXCLUDES(mu_);
  void DeleteClient(const std::shared_ptr<Clnt>& c) LAB_EXCLUDES(mu_);
  void cleanup() LAB_EXCLUDES(mu_);

 private:
  lab::Mutex mu_;
  const std::shared_ptr<labrpc::Network> net_;
  std::set<std::shared_ptr<Clnt>> clerks_ LAB_GUARDED_BY(mu_);
};

}  // namespace kvtester
