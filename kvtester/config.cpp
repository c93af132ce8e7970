// The key/value labs' tester: Go's tester1 config.go, step by step.
#include "kvtester/config.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace kvtester {

using namespace std::chrono_literals;

std::string Randstring(int n) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string s;
  for (int i = 0; i < n; i++) s += alphabet[lab::rand_intn(64)];
  return s;
}

std::shared_ptr<Config> MakeConfig(int n, bool reliable, FstartServer mks) {
  static const bool warned = [] {
    // A query of the machine, not a thread: safe in both backends.
    if (std::thread::hardware_concurrency() < 2) std::printf("warning: only one CPU, which may conceal locking bugs\n");
    return true;
  }();
  (void)warned;
  auto cfg = std::make_shared<Config>(reliable);
  cfg->MakeGroup(GRP0, n, std::move(mks))->StartServers();
  return cfg;
}

Config::Config(bool reliable) : net_(labrpc::MakeNetwork()), reliable_(reliable), start_(lab::now()) {
  net_->Reliable(reliable);
}

std::shared_ptr<ServerGrp> Config::MakeGroup(Tgid gid, int n, FstartServer mks) {
  auto g = std::make_shared<ServerGrp>(net_, gid, n, std::move(mks));
  lab::MutexLock lk(mu_);
  groups_[gid] = g;
  return g;
}

std::shared_ptr<ServerGrp> Config::Group(Tgid gid) {
  lab::MutexLock lk(mu_);
  auto it = groups_.find(gid);
  return it == groups_.end() ? nullptr : it->second;
}

void Config::Begin(const std::string& description) {
  std::printf("%s (%s network)...\n", description.c_str(), IsReliable() ? "reliable" : "unreliable");
  std::fflush(stdout);
  t0_ = lab::now();
  rpcs0_ = RpcTotal();
  ops_ = 0;
}

// A failed test never gets here: lab::fail ended it.
void Config::End() {
  CheckTimeout();
  const double t = std::chrono::duration<double>(lab::now() - t0_).count();
  auto g = Group(GRP0);
  std::printf("  ... Passed --  time %4.1fs #peers %d #RPCs %5d #Ops %4d\n", t, g ? g->N() : 0,
              RpcTotal() - rpcs0_, ops_.load());
  std::fflush(stdout);
}

// Disables every client, kills every service of every group, then ends the network. It runs in
// Cleanup's destructor, also while a failed test unwinds.
void Config::Cleanup() {
  lab::CleanupScope scope;
  std::map<Tgid, std::shared_ptr<ServerGrp>> groups;
  {
    lab::MutexLock lk(mu_);
    groups = groups_;
  }
  clnts_.cleanup();
  for (auto& [gid, g] : groups) g->cleanup();
  net_->Cleanup();
}

void Config::CheckTimeout() {
  // each test gets at most 120 s of (lab) time
  if (lab::now() - start_ > 120s) lab::fail("test took longer than 120 seconds");
}

void Config::Fatalf(const std::string& msg) {
  std::printf("Fatal: %s\n", msg.c_str());
  std::fflush(stdout);
  lab::fail(msg);
}

}  // namespace kvtester
