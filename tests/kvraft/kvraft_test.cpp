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
