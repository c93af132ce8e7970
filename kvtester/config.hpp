// kvtester/config.hpp — the tester of the key/value labs (Go's tester1
// config.go, 2025): a network, groups of servers, and the Begin/End lines.
//
//   auto cfg = kvtester::MakeConfig(3, /*reliable=*/true, mksrv);  // group 0, started and connected
//   kvtester::Cleanup cleanup(cfg);       // kills every service, ends the network
//   cfg->Begin("Test RSM basic");         // "Test RSM basic (reliable network)..."
//   cfg->Group(kvtester::GRP0)->Shutdown();
//   cfg->Fatalf("checkCounter: ...");     // "Fatal: ..." and the test fails
//   cfg->End();                           // "  ... Passed --  time  1.2s #peers 3 #RPCs   123 #Ops    0"
//
// Unlike the Raft tester, long delays stay off: a call to a server that is
// down fails within 100 ms, so clients can try each server in turn quickly.
// Must run inside a lab:: run. Times are lab::now(): virtual in sim.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "kvtester/clnts.hpp"
#include "kvtester/group.hpp"
#include "lab/lab.hpp"
#include "labrpc/labrpc.hpp"

namespace kvtester {

class Config {
 public:
  Config(bool reliable);

  std::shared_ptr<ServerGrp> MakeGroup(Tgid gid, int n, FstartServer mks) LAB_EXCLUDES(mu_);
  std::shared_ptr<ServerGrp> Group(Tgid gid) LAB_EXCLUDES(mu_);

  void SetReliable(bool reliable) { net_->Reliable(reliable); reliable_ = reliable; }
  bool IsReliable() const { return reliable_.load(); }
  int RpcTotal() { return net_->GetTotalCount(); }
  std::int64_t BytesTotal() { return net_->GetTotalBytes(); }

  void Begin(const std::string& description);
  void Op() { ops_++; }
  void End();
  void Cleanup() LAB_EXCLUDES(mu_);
  void CheckTimeout();
  // Prints "Fatal: <msg>" and fails the test.
  [[noreturn]] void Fatalf(const std::string& msg);

  const std::shared_ptr<labrpc::Network>& net() const { return net_; }

  // Clients (clnts.hpp): any server, or only the named ones.
  std::shared_ptr<Clnt> MakeClient() { return clnts_.MakeClient(); }
  std::shared_ptr<Clnt> MakeClientTo(std::vector<std::string> srvs) { return clnts_.MakeClientTo(std::move(srvs)); }
  void DeleteClient(const std::shared_ptr<Clnt>& c) { clnts_.DeleteClient(c); }

 private:
  lab::Mutex mu_;
  const std::shared_ptr<labrpc::Network> net_;
  std::map<Tgid, std::shared_ptr<ServerGrp>> groups_ LAB_GUARDED_BY(mu_);
  std::atomic<bool> reliable_;
  const lab::Duration start_;
  lab::Duration t0_{};
  int rpcs0_ = 0;
  std::atomic<int> ops_{0};
  Clnts clnts_{net_};
};

// Go's Randstring: n random characters of URL-safe base64, from the run's seed.
std::string Randstring(int n);

// Makes the network and group 0 of n servers, all started and connected.
std::shared_ptr<Config> MakeConfig(int n, bool reliable, FstartServer mks);

// Go's `defer cfg.Cleanup()`.
class Cleanup {
 public:
  explicit Cleanup(std::shared_ptr<Config> cfg) : cfg_(std::move(cfg)) {}
  ~Cleanup() { cfg_->Cleanup(); }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;

 private:
  std::shared_ptr<Config> cfg_;
};

}  // namespace kvtester
