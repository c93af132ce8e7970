// The key/value service's tests (Go's kvraft1/kvraft_test.go, 2025 final):
// part 4B. Each Go test's name, parameters, steps, constants and messages;
// `--run_test=@4B` runs the part.
#define BOOST_TEST_MODULE kvraft
#include <boost/test/unit_test.hpp>

#include "lab/select.hpp"
#include "tests/kvraft/common.hpp"

using namespace kvraft_tests;

namespace {

// The Raft index of the server that last answered this Clerk.
int clerkLeader(const TestClerk& ck) { return std::static_pointer_cast<KVClerk>(ck.ck)->ck.Leader(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(KV4B, *boost::unit_test::label("4B"))

// One client's Puts and Gets on a reliable network: the count of its Puts
// must match the key's version, and the history must be linearizable.
BOOST_AUTO_TEST_CASE(TestBasic4B) {
  runTest({"4B basic", 1, 5, true, false, false, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestSpeed4B) {
  runTest({"4B speed", 1, 3, true, false, false, -1, false}, GenericTestSpeed);
}

BOOST_AUTO_TEST_CASE(TestConcurrent4B) {
  runTest({"4B many clients", 5, 5, true, false, false, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestUnreliable4B) {
  runTest({"4B many clients", 5, 5, false, false, false, -1, false}, GenericTest);
}

// A leader cut off in a minority must not complete a Put or a Get; the
// majority goes on; after the heal the minority's Put completes.
BOOST_AUTO_TEST_CASE(TestOnePartition4B) {
  runTest({"4B progress in majority", 0, 5, false, false, false, -1, false}, [](const std::shared_ptr<Test>& t) {
    auto& ts = *t->ts;
    auto g = t->cfg->Group(Gid);
    TestClerk ck = t->MakeClerk();

    rpc::Tversion ver0 = ts.PutAtLeastOnce(ck, "1", "13", 0, -1);

    const int l = clerkLeader(ck);
    auto [p1, p2] = g->MakePartition(l);
    g->Partition(p1, p2);

    // Clerks that reach only one side.
    TestClerk ckp1 = t->MakeClerkTo(p1);
    TestClerk ckp2a = t->MakeClerkTo(p2);
    TestClerk ckp2b = t->MakeClerkTo(p2);

    rpc::Tversion ver1 = ts.PutAtLeastOnce(ckp1, "1", "14", ver0, -1);
    ts.CheckGet(ckp1, "1", "14", ver1);

    t->cfg->End();

    auto done0 = std::make_shared<lab::Chan<rpc::Tversion>>(0, "done0");
    auto done1 = std::make_shared<lab::Chan<rpc::Tversion>>(0, "done1");

    t->cfg->Begin("Test: no progress in minority (4B)");
    lab::go("minority put", [&ts, ckp2a, ver1, done0] {
      rpc::Tversion ver = ts.PutAtLeastOnce(ckp2a, "1", "15", ver1, -1);
      done0->send(ver);
    });
    lab::go("minority get", [&ts, ckp2b, done1] {
      auto [v, ver, err] = ts.Get(ckp2b, "1", -1);
      (void)v;
      (void)err;
      done1->send(ver);
    });

    lab::select(
        lab::recv(*done0,
                  [&](rpc::Tversion ver) {
                    lab::fail("Put in minority completed with version = " + std::to_string(ver));
                  }),
        lab::recv(*done1,
                  [&](rpc::Tversion ver) {
                    lab::fail("Get in minority completed with version = " + std::to_string(ver));
                  }),
        lab::timeout(1s));

    ts.CheckGet(ckp1, "1", "14", ver1);
    rpc::Tversion ver2 = ts.PutAtLeastOnce(ckp1, "1", "16", ver1, -1);
    ts.CheckGet(ckp1, "1", "16", ver2);

    t->cfg->End();

    t->cfg->Begin("Test: completion after heal (4B)");

    g->ConnectAll();
    ckp2a.Clnt->ConnectAll();
    ckp2b.Clnt->ConnectAll();

    lab::sleep_for(kvtest::ElectionTimeout);

    rpc::Tversion ver15 = 0;
    if (auto v = done0->recv_for(30 * 100ms))
      ver15 = *v;
    else
      lab::fail("Put did not complete");

    // As in Go, the Get's completion is only looked at, not waited for: Go's
    // select has a default case, so its 3 s timer ("Get did not complete")
    // can never be the one chosen. A Get still blocked here is cancelled
    // when the test ends.
    lab::select(lab::recv(*done1), lab::otherwise());

    ts.CheckGet(ck, "1", "15", ver15);
  });
}

BOOST_AUTO_TEST_CASE(TestManyPartitionsOneClient4B) {
  runTest({"4B partitions, one client", 1, 5, true, false, true, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestManyPartitionsManyClients4B) {
  runTest({"4B partitions, many clients (4B)", 5, 5, true, false, true, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestPersistOneClient4B) {
  runTest({"4B restarts, one client 4B ", 1, 5, true, true, false, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestPersistConcurrent4B) {
  runTest({"4B restarts, many clients", 5, 5, true, true, false, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestPersistConcurrentUnreliable4B) {
  runTest({"4B restarts, many clients ", 5, 5, false, true, false, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestPersistPartition4B) {
  runTest({"4B restarts, partitions, many clients", 5, 5, true, true, true, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestPersistPartitionUnreliable4B) {
  runTest({"4B restarts, partitions, many clients", 5, 5, false, true, true, -1, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestPersistPartitionUnreliableLinearizable4B) {
  runTest({"4B restarts, partitions, random keys, many clients", 15, 7, false, true, true, -1, true}, GenericTest);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(KV4C, *boost::unit_test::label("4C"))

// A server cut off while the others trim their logs must catch up after the
// heal, by InstallSnapshot in practice; the majority must trim its log even
// though the minority does not answer.
BOOST_AUTO_TEST_CASE(TestSnapshotRPC4C) {
  const int NSRV = 3;
  const int MAXRAFTSTATE = 1000;
  runTest({"4C SnapshotsRPC", 0, NSRV, true, false, false, MAXRAFTSTATE, false}, [](const std::shared_ptr<Test>& t) {
    auto& ts = *t->ts;
    auto g = t->cfg->Group(Gid);
    TestClerk ck = t->MakeClerk();

    t->cfg->Begin("Test: InstallSnapshot RPC (4C)");

    rpc::Tversion vera = ts.PutAtLeastOnce(ck, "a", "A", 0, -1);
    ts.CheckGet(ck, "a", "A", vera);

    rpc::Tversion verb = 0;
    // Server 2 is cut off while 0 and 1 take fifty-odd Puts.
    g->Partition({0, 1}, {2});
    {
      TestClerk ck1 = t->MakeClerkTo({0, 1});
      for (int i = 0; i < 50; i++) ts.PutAtLeastOnce(ck1, std::to_string(i), std::to_string(i), 0, -1);
      lab::sleep_for(kvtest::ElectionTimeout);
      verb = ts.PutAtLeastOnce(ck1, "b", "B", 0, -1);
    }

    // 0 and 1 must have trimmed their logs without waiting for 2.
    const int sz = g->LogSize();
    if (sz > 8 * MAXRAFTSTATE)
      lab::fail("logs were not trimmed (" + std::to_string(sz) + " > 8*" + std::to_string(MAXRAFTSTATE) + ")");

    // A majority that needs server 2, which must first catch up.
    rpc::Tversion verc = 0;
    g->Partition({0, 2}, {1});
    {
      TestClerk ck1 = t->MakeClerkTo({0, 2});
      verc = ts.PutAtLeastOnce(ck1, "c", "C", 0, -1);
      ts.PutAtLeastOnce(ck1, "d", "D", 0, -1);
      ts.CheckGet(ck1, "a", "A", vera);
      ts.CheckGet(ck1, "b", "B", verb);
      ts.CheckGet(ck1, "1", "1", 1);
      ts.CheckGet(ck1, "49", "49", 1);
    }

    g->Partition({0, 1, 2}, {});

    rpc::Tversion vere = ts.PutAtLeastOnce(ck, "e", "E", 0, -1);
    ts.CheckGet(ck, "c", "C", verc);
    ts.CheckGet(ck, "e", "E", vere);
    ts.CheckGet(ck, "1", "1", 1);
  });
}

// With one key, put again and again, the snapshot must stay small.
BOOST_AUTO_TEST_CASE(TestSnapshotSize4C) {
  const int MAXRAFTSTATE = 1000;
  const int MAXSNAPSHOTSTATE = 500;
  runTest({"4C snapshot size is reasonable", 0, 3, true, false, false, MAXRAFTSTATE, false},
          [](const std::shared_ptr<Test>& t) {
            auto& ts = *t->ts;
            auto g = t->cfg->Group(Gid);
            TestClerk ck = t->MakeClerk();
            rpc::Tversion ver = 0;
            for (int i = 0; i < 200; i++) {
              ver = ts.PutAtLeastOnce(ck, "x", "0", ver, -1);
              ts.CheckGet(ck, "x", "0", ver);
              ver = ts.PutAtLeastOnce(ck, "x", "1", ver, -1);
              ts.CheckGet(ck, "x", "1", ver);
            }

            const int sz = g->LogSize();
            if (sz > 8 * MAXRAFTSTATE)
              lab::fail("logs were not trimmed (" + std::to_string(sz) + " > 8*" + std::to_string(MAXRAFTSTATE) + ")");

            const int ssz = g->SnapshotSize();
            if (ssz > MAXSNAPSHOTSTATE)
              lab::fail("snapshot too large (" + std::to_string(ssz) + " > " + std::to_string(MAXSNAPSHOTSTATE) + ")");
          });
}

BOOST_AUTO_TEST_CASE(TestSpeed4C) {
  runTest({"4C speed", 1, 3, true, false, false, 1000, false}, GenericTestSpeed);
}

BOOST_AUTO_TEST_CASE(TestSnapshotRecover4C) {
  runTest({"4C restarts, snapshots, one client", 1, 5, true, true, false, 1000, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestSnapshotRecoverManyClients4C) {
  runTest({"4C restarts, snapshots, many clients ", 20, 5, true, true, false, 1000, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestSnapshotUnreliable4C) {
  runTest({"4C unreliable net, snapshots, many clients", 5, 5, false, false, false, 1000, false}, GenericTest);
}

BOOST_AUTO_TEST_CASE(TestSnapshotUnreliableRecover4C) {
  runTest({"4C unreliable net, restarts, snapshots, many clients", 5, 5, false, true, false, 1000, false},
          GenericTest);
}

BOOST_AUTO_TEST_CASE(TestSnapshotUnreliableRecoverConcurrentPartition4C) {
  runTest({"4C unreliable net, restarts, partitions, snapshots, many clients", 5, 5, false, true, true, 1000, false},
          GenericTest);
}

BOOST_AUTO_TEST_CASE(TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable4C) {
  runTest({"4C unreliable net, restarts, partitions, snapshots, random keys, many clients", 15, 7, false, true, true,
           1000, true},
          GenericTest);
}

BOOST_AUTO_TEST_SUITE_END()
