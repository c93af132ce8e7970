// The kv tests' fixture (Go's kvraft1/test.go, 2025): a group of key/value
// servers over the rsm and Raft, Clerks made through the tester's clients,
// and the two test bodies most tests share, GenericTest and
// GenericTestSpeed.
//
// Choices where Go's versions differ or cannot be followed: #Ops counts
// every recorded call once (2025); TestOnePartition4B takes the leader from
// the Clerk (2026); Go's annotations for its viewer are not ported, so the
// viewer's page shows the history alone.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kvraft/client.hpp"
#include "kvraft/server.hpp"
#include "kvtest/kvtest.hpp"
#include "kvtester/config.hpp"
#include "tests/support/run.hpp"

namespace kvraft_tests {

using namespace std::chrono_literals;
using kvtest::TestClerk;

inline constexpr kvtester::Tgid Gid = kvtester::GRP0;

// The Clerk as the test helpers see it.
class KVClerk : public kvtest::IKVClerk {
 public:
  KVClerk(std::shared_ptr<kvtester::Clnt> clnt, std::vector<std::string> servers)
      : ck(std::move(clnt), std::move(servers)) {}
  std::tuple<std::string, rpc::Tversion, rpc::Err> Get(const std::string& key) override { return ck.Get(key); }
  rpc::Err Put(const std::string& key, const std::string& value, rpc::Tversion version) override {
    return ck.Put(key, value, version);
  }
  kvraft::Clerk ck;
};

class Test : public kvtest::IClerkMaker {
 public:
  Test(std::string part, int nclients, int nservers, bool crash, bool partitions, int maxraftstate, bool randomkeys)
      : part(std::move(part)),
        nclients(nclients),
        nservers(nservers),
        crash(crash),
        partitions(partitions),
        maxraftstate(maxraftstate),
        randomkeys(randomkeys) {}

  const std::string part;
  const int nclients;
  const int nservers;
  const bool crash;
  const bool partitions;
  const int maxraftstate;
  const bool randomkeys;

  std::shared_ptr<kvtester::Config> cfg;
  std::unique_ptr<kvtest::Test> ts;  // the shared helpers, over this fixture's Clerks

  TestClerk MakeClerk() override {
    auto clnt = cfg->MakeClient();
    return {std::make_shared<KVClerk>(clnt, cfg->Group(Gid)->SrvNames()), clnt};
  }
  // A Clerk that may reach only the servers of `to` (it still knows them all).
  TestClerk MakeClerkTo(const std::vector<int>& to) {
    auto g = cfg->Group(Gid);
    auto clnt = cfg->MakeClientTo(g->SrvNamesTo(to));
    return {std::make_shared<KVClerk>(clnt, g->SrvNames()), clnt};
  }
  void DeleteClerk(const TestClerk& ck) override { cfg->DeleteClient(ck.Clnt); }

  std::vector<kvtester::IService> StartKVServer(raftapi::Peers ends, kvtester::Tgid gid, int srv,
                                                std::shared_ptr<persister::Persister> persister) {
    auto kv = kvraft::StartKVServer(std::move(ends), gid, srv, std::move(persister), maxraftstate);
    // The Raft service carries the Kill: it also ends the rsm's waits.
    return {kvtester::IService{kv->Service(), {}}, kvtester::IService{kv->rsm->RaftService(), [kv] { kv->Kill(); }}};
  }

  std::string makeTitle() const {
    std::string title = "Test: ";
    if (crash) title += "restarts, ";
    if (partitions) title += "partitions, ";
    if (maxraftstate != -1) title += "snapshots, ";
    if (randomkeys) title += "random keys, ";
    title += nclients > 1 ? "many clients" : "one client";
    return title + " (" + part + ")";
  }
};

// Go's MakeTest: the servers started and connected, then the first Begin line.
inline std::shared_ptr<Test> MakeTest(const std::string& name, const std::string& part, int nclients, int nservers,
                                      bool reliable, bool crash, bool partitions, int maxraftstate, bool randomkeys) {
  auto t = std::make_shared<Test>(part, nclients, nservers, crash, partitions, maxraftstate, randomkeys);
  std::weak_ptr<Test> weak = t;  // the group keeps this function: no cycle back to t
  t->cfg = kvtester::MakeConfig(nservers, reliable,
                                [weak](raftapi::Peers ends, kvtester::Tgid gid, int srv,
                                       std::shared_ptr<persister::Persister> persister) {
                                  auto ts = weak.lock();
                                  if (!ts) return std::vector<kvtester::IService>{};
                                  return ts->StartKVServer(std::move(ends), gid, srv, std::move(persister));
                                });
  t->ts = std::make_unique<kvtest::Test>(t->cfg, randomkeys, t.get(), name);
  t->cfg->Begin(t->makeTitle());
  return t;
}

struct Params {
  std::string part;
  int nclients;
  int nservers;
  bool reliable;
  bool crash;
  bool partitions;
  int maxraftstate;
  bool randomkeys;
};

// The current Boost.Test case's name (TestBasic4B).
inline std::string currentTestName() {
  return boost::unit_test::framework::current_test_case().p_name.get();
}

// Runs one test: MakeTest, the body, then Go's deferred Cleanup (End, the
// config's Cleanup, CheckTimeout), within the Go lab's 120 s.
inline void runTest(const Params& p, const std::function<void(const std::shared_ptr<Test>&)>& body) {
  lab::Options opts;
  opts.time_limit = 120s;
  const std::string name = currentTestName();
  auto r = labtest::run(
      [&] {
        auto t = MakeTest(name, p.part, p.nclients, p.nservers, p.reliable, p.crash, p.partitions, p.maxraftstate,
                          p.randomkeys);
        {
          kvtester::Cleanup cleanup(t->cfg);  // also when the body fails
          body(t);
          t->cfg->End();
        }
        t->cfg->CheckTimeout();
      },
      opts);
  LAB_REQUIRE_PASSED(r);
}

// Go's GenericTest: nclients clients Put (and Get) for 1 s, three times; the
// history must be linearizable after each; with partitions the network is
// repartitioned meanwhile, with crash every server restarts between rounds.
void GenericTest(const std::shared_ptr<Test>& t);
// Go's GenericTestSpeed: 1000 Puts, one after another, at 3 or more per 100 ms.
void GenericTestSpeed(const std::shared_ptr<Test>& t);

}  // namespace kvraft_tests
