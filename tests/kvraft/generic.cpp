// GenericTest and GenericTestSpeed (Go's kvraft1/test.go), step by step.
#include <cstdio>

#include "tests/kvraft/common.hpp"

namespace kvraft_tests {

namespace {

// Go's %v of a time.Duration, for the speed test's message.
std::string goDuration(lab::Duration d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  auto trim = [](double v, const char* unit) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s + unit;
  };
  if (ns == 0) return "0s";
  if (ns < 1000) return std::to_string(ns) + "ns";
  if (ns < 1000000) return trim(ns / 1e3, "µs");
  if (ns < 1000000000) return trim(ns / 1e6, "ms");
  return trim(ns / 1e9, "s");
}

}  // namespace

void GenericTest(const std::shared_ptr<Test>& t) {
  const int NITER = 3;
  const lab::Duration NSEC = 1s;
  const int NKEYS = 100;
  auto& ts = *t->ts;
  auto g = t->cfg->Group(Gid);

  auto ch_partitioner = std::make_shared<lab::Chan<bool>>(0, "ch_partitioner");
  auto ch_spawn = std::make_shared<lab::Chan<bool>>(0, "ch_spawn");
  TestClerk ck = t->MakeClerk();
  auto res = std::make_shared<kvtest::ClntRes>();
  std::vector<std::string> keys = {"k"};
  if (t->randomkeys) keys = kvtest::MakeKeys(NKEYS);

  for (int i = 0; i < NITER; i++) {
    lab::go("spawn clients", [t, &ts, ck, keys, res, ch_spawn, NSEC] {
      auto rs = ts.SpawnClientsAndWait(t->nclients, NSEC, [&ts, keys](int cli, const TestClerk& ck, const kvtest::Done& done) {
        return ts.OneClientPut(cli, ck, keys, done);
      });
      if (!t->randomkeys) {
        const bool reliable = t->cfg->IsReliable() && !t->crash && !t->partitions;
        ts.CheckPutConcurrent(ck, "k", rs, res.get(), reliable);
      }
      ch_spawn->send(true);
    });

    if (t->partitions) {
      // Let the clients work a while undisturbed first.
      lab::sleep_for(1s);
      lab::go("partitioner", [&ts, ch_partitioner] { ts.Partitioner(Gid, ch_partitioner); });
    }

    ch_spawn->recv();  // the clients are done, and their count checked

    ts.CheckPorcupine();

    if (t->partitions) {
      ch_partitioner->send(true);
      ch_partitioner->recv();
      g->ConnectAll();
      // A new term, so that a request submitted in a minority returns.
      lab::sleep_for(kvtest::ElectionTimeout);
    }

    if (t->crash) {
      for (int j = 0; j < t->nservers; j++) g->ShutdownServer(j);
      // A shutdown is not instantaneous.
      lab::sleep_for(kvtest::ElectionTimeout);
      for (int j = 0; j < t->nservers; j++) g->StartServer(j);
      g->ConnectAll();
    }

    if (t->maxraftstate > 0) {
      const int sz = g->LogSize();
      if (sz > 8 * t->maxraftstate)
        lab::fail("logs were not trimmed (" + std::to_string(sz) + " > 8*" + std::to_string(t->maxraftstate) + ")");
    }
    if (t->maxraftstate < 0) {
      const int ssz = g->SnapshotSize();
      if (ssz > 0)
        lab::fail("snapshot too large (" + std::to_string(ssz) + "), should not be used when maxraftstate = " +
                  std::to_string(t->maxraftstate));
    }
  }
}

void GenericTestSpeed(const std::shared_ptr<Test>& t) {
  const int numOps = 1000;
  TestClerk ck = t->MakeClerk();

  // Wait until a leader serves requests.
  ck.ck->Get("x");

  const lab::Duration start = lab::now();
  for (int i = 0; i < numOps; i++) {
    rpc::Err err = ck.ck->Put("k", std::to_string(i), static_cast<rpc::Tversion>(i));
    if (err != rpc::OK) lab::fail("Put err " + err);
  }
  const lab::Duration dur = lab::now() - start;

  auto [v, ver, err] = ck.ck->Get("k");
  (void)v;
  if (err != rpc::OK) lab::fail("Get err " + err);
  if (ver != numOps) lab::fail("Get too few ops " + std::to_string(ver));

  // Heartbeats are about 100 ms apart: at least 3 operations per heartbeat.
  const lab::Duration timePerOp = std::chrono::duration_cast<lab::Duration>(std::chrono::milliseconds(100)) / 3;
  if (dur > numOps * timePerOp)
    lab::fail("Operations completed too slowly " + goDuration(dur / numOps) + "/op > " + goDuration(timePerOp) +
              "/op\n");
}

}  // namespace kvraft_tests
