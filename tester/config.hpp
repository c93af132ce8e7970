// tester/config.hpp — the Raft tester, a port of the Go lab's
// src/raft/config.go with the same verbs, behaviour and
// message texts. It reaches Raft only through raftapi/raftapi.hpp.
//
//   auto cfg = tester::make_config(3, /*unreliable=*/false, /*snapshot=*/false);
//   tester::Cleanup cleanup(cfg);         // Go's `defer cfg.cleanup()`
//   cfg->begin("Test (2B): basic agreement");
//   int index = cfg->one(cmd, 3, false);  // full agreement on cmd, or fail
//   int leader = cfg->checkOneLeader();
//   cfg->disconnect(leader); cfg->connect(leader);
//   cfg->crash1(i); cfg->start1(i, &tester::Config::applier);
//   cfg->restart(i, &tester::Config::applier);  // start1, then connect as the edition does
//   cfg->end();                           // prints "  ... Passed --  ..."
//
// LAB_EDITION picks the year of the tests (tester/edition.hpp): the title
// and summary lines, what a restart connects and what an apply error does
// follow it; the default, 2023, is the port of config.go.
//
// Beyond Go: every Raft instance is reached through a WatchedRaft, which
// records each answer; with LAB_STRICT=1 the tester checks more rules on
// them (tester/strict.hpp) and on the applied commands (a command applied at
// an index never changes, even across restarts that reset the tester's
// per-server record). A test names the scenarios it is there to exercise
// (exercises, mustExercise; tester/scenario.hpp) and end() reports each.
//
// Must run inside a lab:: run (labtest::run). A failed check calls
// lab::fail with the Go message, which ends the test. Every Raft instance
// the tester made stays alive until the run ends, crashed ones too.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "labgob/command.hpp"
#include "labrpc/labrpc.hpp"
#include "persister/persister.hpp"
#include "raftapi/raftapi.hpp"
#include "tester/edition.hpp"
#include "tester/scenario.hpp"
#include "tester/strict.hpp"
#include "tester/timeline.hpp"

namespace tester {

using labgob::Command;

inline constexpr int SnapShotInterval = 10;

// Go's rand.Int(): a non-negative 63-bit random int, from the run's seed.
std::int64_t randInt();
// 20 (or n) characters of URL-safe base64, from the run's seed.
std::string randstring(int n);
// Go's t.Fatalf: fails the test with msg.
[[noreturn]] void fatal(const std::string& msg);

class Config : public std::enable_shared_from_this<Config> {
 public:
  using ApplyCh = raftapi::ApplyCh;
  using Applier = void (Config::*)(int i, ApplyCh applyCh);

  Config(int n, bool unreliable, bool snapshot);

  // None of these may be called with mu_ held (Clang checks: make tsa).
  // Crash and restart (config.go's crash1, start1).
  void crash1(int i) LAB_EXCLUDES(mu_);
  void start1(int i, Applier applier) LAB_EXCLUDES(mu_);
  // The later editions' restart (test.go's restart): start1, then connect
  // peer i (2023, 2026) or every peer (2025's ConnectAll).
  void restart(int i, Applier applier) LAB_EXCLUDES(mu_);
  // Starts every peer after all have crashed (group.go's StartServers): the
  // 2023 tests start and connect each in turn, the later ones start all and
  // then connect all.
  void startServers(Applier applier) LAB_EXCLUDES(mu_);
  // Network partitions and RPC statistics (config.go's connect, disconnect, ...).
  void connect(int i) LAB_EXCLUDES(mu_);
  void disconnect(int i) LAB_EXCLUDES(mu_);
  void setunreliable(bool unrel) LAB_EXCLUDES(mu_);
  void setlongreordering(bool longrel) LAB_EXCLUDES(mu_);
  // Beyond Go, for the fault fuzzer (tests/raft/fuzz.cpp): groupOf[i] is
  // server i's side of a partition; two connected servers talk only when on
  // the same side. All on one side (the start) is Go's network, and connect()
  // keeps to the sides until the next partition().
  void partition(const std::vector<int>& groupOf) LAB_EXCLUDES(mu_);
  // A mark on the tester's lane of the failure timeline (a fault, a phase).
  void note(const std::string& text);
  int rpcCount(int server) LAB_EXCLUDES(mu_);
  int rpcTotal() LAB_EXCLUDES(mu_);
  std::int64_t bytesTotal() LAB_EXCLUDES(mu_);
  // Appliers (config.go's applier, applierSnap).
  void applier(int i, ApplyCh applyCh) LAB_EXCLUDES(mu_);
  void applierSnap(int i, ApplyCh applyCh) LAB_EXCLUDES(mu_);
  // Queries (config.go's checkOneLeader ... one).
  int checkOneLeader() LAB_EXCLUDES(mu_);
  int checkTerms() LAB_EXCLUDES(mu_);
  void checkNoLeader() LAB_EXCLUDES(mu_);
  std::pair<int, Command> nCommitted(int index) LAB_EXCLUDES(mu_);
  Command wait(int index, int n, int startTerm) LAB_EXCLUDES(mu_);
  int one(Command cmd, int expectedServers, bool retry) LAB_EXCLUDES(mu_);
  // Timing and statistics (config.go's begin, end, cleanup, LogSize).
  void begin(const std::string& description) LAB_EXCLUDES(mu_);
  void end() LAB_EXCLUDES(mu_);
  void cleanup() LAB_EXCLUDES(mu_);
  bool checkFinished() const { return finished_.load(); }
  int LogSize() LAB_EXCLUDES(mu_);
  // Scenario coverage (tester/scenario.hpp): s is reported at end(); with
  // mustExercise and LAB_STRICT=1, a run without it fails there.
  void exercises(Scenario s) LAB_EXCLUDES(mu_);
  void mustExercise(Scenario s) LAB_EXCLUDES(mu_);

  // Scripted scenarios (beyond Go; tests/raft/scripted.cpp): fn decides
  // each RPC between two servers, its request and then its reply, with
  // labrpc's message control (labrpc/labrpc.hpp): deliver, drop or hold.
  // release() sends a held message on or drops it. fn runs on the caller's
  // activity, with no lock of the tester held; an empty fn turns it off.
  struct Rpc {
    std::uint64_t call;  // the Call's number: a request and its reply share it
    int from;            // the calling server
    int to;              // the called server
    std::string method;  // "Raft.RequestVote", "Raft.AppendEntries", "Raft.InstallSnapshot"
    bool reply;          // false: the request; true: the reply
    std::size_t bytes;   // of the encoded arguments or reply
  };
  void control(std::function<labrpc::Decision(const Rpc&)> fn) LAB_EXCLUDES(mu_);
  bool release(std::uint64_t call, bool deliver) { return net_->Release(call, deliver); }

  // What Go tests read directly: cfg.n, cfg.rafts[i], cfg.connected[i].
  const int n;
  std::shared_ptr<raftapi::Raft> rafts(int i) LAB_EXCLUDES(mu_);
  bool connected(int i) LAB_EXCLUDES(mu_);

 private:
  std::pair<std::string, bool> checkLogs(int i, const raftapi::ApplyMsg& m) LAB_REQUIRES(mu_);
  std::string ingestSnap(int i, const labgob::Bytes& snapshot, int index) LAB_REQUIRES(mu_);
  void checkTimeout();
  [[noreturn]] void applyFatal(const std::string& err) LAB_EXCLUDES(mu_);
  void applyError(int i, const std::string& err) LAB_EXCLUDES(mu_);
  std::string dumpCluster() LAB_EXCLUDES(mu_);
  std::string checkCommitted(int i, int index, const Command& cmd) LAB_REQUIRES(mu_);
  void reportScenarios() LAB_EXCLUDES(mu_);

  lab::Mutex mu_;
  std::atomic<bool> finished_{false};
  std::shared_ptr<labrpc::Network> net_;
  const std::shared_ptr<Timeline> tl_;  // the failure timeline (timeline.hpp)
  const bool strict_;                   // LAB_STRICT=1: the extra checks
  const Edition& ed_ = edition();       // LAB_EDITION: the year of the tests
  const std::shared_ptr<Heard> heard_;  // every answer of every instance (strict.hpp)
  const std::shared_ptr<Coverage> coverage_;
  std::vector<std::pair<Scenario, bool>> declared_ LAB_GUARDED_BY(mu_);  // and whether strict mode requires it
  // Strict mode: the command first applied at each index by any server. Unlike
  // logs_, never reset by a snapshot or a restart.
  std::map<int, Command> committed_ LAB_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<raftapi::Raft>> rafts_ LAB_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<raftapi::Raft>> everyRaft_ LAB_GUARDED_BY(mu_);  // alive until the run ends
  std::vector<std::string> applyErr_ LAB_GUARDED_BY(mu_);
  std::vector<bool> connected_ LAB_GUARDED_BY(mu_);
  std::vector<int> group_ LAB_GUARDED_BY(mu_);  // partition(): each server's side
  std::vector<std::shared_ptr<persister::Persister>> saved_ LAB_GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> endnames_ LAB_GUARDED_BY(mu_);
  std::map<std::string, std::pair<int, int>> routes_ LAB_GUARDED_BY(mu_);  // every end name made: (from, to)
  std::vector<std::map<int, Command>> logs_ LAB_GUARDED_BY(mu_);
  std::vector<int> lastApplied_ LAB_GUARDED_BY(mu_);
  lab::Duration start_{};
  // Counters sampled by begin() for end()'s report.
  lab::Duration t0_{};
  int rpcs0_ = 0;
  int cmds0_ = 0;
  std::atomic<int> ops_{0};  // agreements one() reached since begin() (2026's #Ops)
  std::int64_t bytes0_ = 0;
  int maxIndex_ LAB_GUARDED_BY(mu_) = 0;
  int maxIndex0_ = 0;
};

std::shared_ptr<Config> make_config(int n, bool unreliable, bool snapshot);

// Go's `defer cfg.cleanup()`: kills every Raft and cleans up the network
// when the test body ends, passed or failed.
class Cleanup {
 public:
  explicit Cleanup(std::shared_ptr<Config> cfg) : cfg_(std::move(cfg)) {}
  ~Cleanup() { cfg_->cleanup(); }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;

 private:
  std::shared_ptr<Config> cfg_;
};

// Go's sync.WaitGroup, over lab::.
class WaitGroup {
 public:
  void Add(int k) {
    lab::MutexLock lk(mu_);
    n_ += k;
  }
  void Done() {
    lab::MutexLock lk(mu_);
    if (--n_ == 0) cv_.notify_all();
  }
  void Wait() {
    lab::MutexLock lk(mu_);
    while (n_ > 0) cv_.wait(mu_);
  }

 private:
  lab::Mutex mu_;
  lab::CondVar cv_;
  int n_ LAB_GUARDED_BY(mu_) = 0;
};

}  // namespace tester
