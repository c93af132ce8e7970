// The rsm tests' fixture (Go's kvraft1/rsm/test.go, 2025): three counter
// servers over RSM and Raft in group 0 on a reliable network, and the
// helpers every test uses.
//
// Choices where Go's two versions differ: oneInc() that finds no server to
// take its Inc within NSEC yields IncRep{0} (2026), which then fails the
// test's own check, instead of crashing on a nil pointer (2025); a reply of
// the wrong type fails the test with a message (Go panics). The annotations
// Go writes for its visualization are not ported.
#pragma once

#include <any>
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kvtester/config.hpp"
#include "tests/rsm/server.hpp"
#include "tests/support/run.hpp"

namespace rsm_tests {

using namespace std::chrono_literals;

inline constexpr int NSRV = 3;
inline constexpr int NSEC = 10;
inline constexpr kvtester::Tgid Gid = kvtester::GRP0;

class Test : public std::enable_shared_from_this<Test> {
 public:
  explicit Test(int maxraftstate) : maxraftstate(maxraftstate) {}

  const int maxraftstate;
  std::shared_ptr<kvtester::Config> cfg;
  std::shared_ptr<kvtester::ServerGrp> g;

  std::shared_ptr<rsmSrv> srv(int i) LAB_EXCLUDES(mu) {
    lab::MutexLock lk(mu);
    return srvs[static_cast<std::size_t>(i)];
  }

  // Submits req to the servers of p (nil: all), starting with the last one
  // known to lead, three at a time, until one commits it or NSEC seconds
  // pass (then no reply). A Submit that blocks blocks this too, as in Go.
  std::any onePartition(const std::optional<std::vector<int>>& p, std::any req) LAB_EXCLUDES(mu) {
    const lab::Duration t0 = lab::now();
    while (lab::now() - t0 < std::chrono::seconds(NSEC)) {
      int index;
      {
        lab::MutexLock lk(mu);
        index = leader;
      }
      for (int k = 0; k < 3; k++) {
        auto s = srv(index);
        if (g->IsConnected(index) && s && s->rsm && inPartition(index, p)) {
          auto [err, rep] = s->rsm->Submit(req);
          if (err == rpc::OK) {
            lab::MutexLock lk(mu);
            leader = index;
            return rep;
          }
        }
        index = (index + 1) % NSRV;
      }
      lab::sleep_for(50ms);
    }
    return {};
  }

  IncRep oneInc() { return asIncRep(onePartition(std::nullopt, Inc{}), "oneInc"); }

  NullRep oneNull() {
    std::any rep = onePartition(std::nullopt, Null{});
    if (!rep.has_value()) return NullRep{};
    if (auto r = std::any_cast<NullRep>(&rep)) return *r;
    lab::fail("oneNull: Submit(Null) returned " + labgob::typeName(rep) + " " + formatRep(rep) +
              ", not the reply of its own entry");
  }

  static IncRep asIncRep(const std::any& rep, const char* who) {
    if (!rep.has_value()) return IncRep{0};
    if (auto r = std::any_cast<IncRep>(&rep)) return *r;
    lab::fail(std::string(who) + ": Submit(Inc) returned " + labgob::typeName(rep) + " " + formatRep(rep) +
              ", not the reply of its own entry");
  }

  // Waits (10 ms, doubling to 1.28 s, 30 tries) until nsrv servers have counter v.
  void checkCounter(int v, int nsrv) {
    lab::Duration to = 10ms;
    int n = 0;
    for (int iters = 0; iters < 30; iters++) {
      n = countValue(v);
      if (n >= nsrv) return;
      lab::sleep_for(to);
      if (to < 1s) to *= 2;
    }
    cfg->Fatalf("checkCounter: only " + std::to_string(n) + " srvs have " + std::to_string(v) + " instead of " +
                std::to_string(nsrv));
  }

  int countValue(int v) {
    int i = 0;
    for (int j = 0; j < NSRV; j++)
      if (auto s = srv(j); s && s->Counter() == v) i++;
    return i;
  }

  int disconnectLeader() LAB_EXCLUDES(mu) {
    int l;
    {
      lab::MutexLock lk(mu);
      l = leader;
    }
    g->DisconnectAll(l);
    return l;
  }

  void connect(int i) { g->ConnectOne(i); }

  // Go's Leader(cfg, gid): the first server, in order, whose Raft says it leads.
  std::pair<bool, int> Leader() {
    for (int i = 0; i < NSRV; i++) {
      auto s = srv(i);
      if (s && s->rsm && s->rsm->Raft()->GetState().isLeader) return {true, i};
    }
    return {false, 0};
  }

  // Go's mksrv: a new counter server (a restart replaces the old one); only
  // its Raft is a service.
  std::vector<kvtester::IService> mksrv(raftapi::Peers ends, int srvIdx,
                                        std::shared_ptr<persister::Persister> persister) LAB_EXCLUDES(mu) {
    auto s = makeRsmSrv(std::move(ends), srvIdx, std::move(persister), maxraftstate);
    {
      lab::MutexLock lk(mu);
      srvs[static_cast<std::size_t>(srvIdx)] = s;
    }
    auto rf = s->rsm->Raft();
    return {kvtester::IService{s->rsm->RaftService(), [rf] { rf->Kill(); }}};
  }

 private:
  static bool inPartition(int s, const std::optional<std::vector<int>>& p) {
    if (!p) return true;
    for (int i : *p)
      if (s == i) return true;
    return false;
  }

  lab::Mutex mu;
  std::array<std::shared_ptr<rsmSrv>, NSRV> srvs LAB_GUARDED_BY(mu);
  int leader LAB_GUARDED_BY(mu) = 0;
};

// Go's makeTest: the config with group 0's three servers started and connected.
inline std::shared_ptr<Test> makeTest(int maxraftstate) {
  auto ts = std::make_shared<Test>(maxraftstate);
  std::weak_ptr<Test> weak = ts;  // the group keeps this function: no cycle back to ts
  ts->cfg = kvtester::MakeConfig(NSRV, true,
                                 [weak](raftapi::Peers ends, kvtester::Tgid, int srv,
                                        std::shared_ptr<persister::Persister> persister) {
                                   auto t = weak.lock();
                                   if (!t) return std::vector<kvtester::IService>{};
                                   return t->mksrv(std::move(ends), srv, std::move(persister));
                                 });
  ts->g = ts->cfg->Group(Gid);
  return ts;
}

// Runs one test: makeTest, the body, then Go's deferred cleanup (End, the
// config's Cleanup, CheckTimeout), within the Go lab's 120 s.
inline void runTest(int maxraftstate, const std::function<void(const std::shared_ptr<Test>&)>& body) {
  lab::Options opts;
  opts.time_limit = 120s;
  auto r = labtest::run(
      [&] {
        auto ts = makeTest(maxraftstate);
        {
          kvtester::Cleanup cleanup(ts->cfg);  // also when the body fails
          body(ts);
          ts->cfg->End();
        }
        ts->cfg->CheckTimeout();
      },
      opts);
  LAB_REQUIRE_PASSED(r);
}

}  // namespace rsm_tests
