// Part 2A: leader election (the 2A tests of Go's src/raft/test_test.go).
#include "tests/raft/common.hpp"

using namespace raft_tests;

BOOST_AUTO_TEST_SUITE(Raft2A, *raft_tests::part("2A"))

BOOST_AUTO_TEST_CASE(TestInitialElection2A) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2A): initial election");
    cfg->exercises(Scenario::kLeaderElected);

    // One leader must emerge.
    cfg->checkOneLeader();

    // Give the followers a moment to hear of the winner before comparing
    // terms; every peer must then report the same one.
    lab::sleep_for(50ms);
    int term1 = cfg->checkTerms();
    if (term1 < 1) fatal("term is " + std::to_string(term1) + ", but should be at least 1");

    // With a healthy network, neither the leader nor the term should change.
    lab::sleep_for(2 * RaftElectionTimeout);
    int term2 = cfg->checkTerms();
    if (term1 != term2) {
      std::printf("warning: term changed even though there were no failures");
      std::fflush(stdout);
    }

    // A leader must still be in place.
    cfg->checkOneLeader();

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestReElection2A) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2A): election after network failure");
    cfg->exercises(Scenario::kLeaderChanged);

    int leader1 = cfg->checkOneLeader();

    // Cut the leader off; the other two must choose a replacement.
    cfg->disconnect(leader1);
    cfg->checkOneLeader();

    // The old leader comes back: it must step down to follower without
    // unseating the new one.
    cfg->connect(leader1);
    int leader2 = cfg->checkOneLeader();

    // Leave a single peer connected: without a majority nobody can win an
    // election.
    cfg->disconnect(leader2);
    cfg->disconnect((leader2 + 1) % servers);
    lab::sleep_for(2 * RaftElectionTimeout);

    // The lone connected peer must not consider itself the leader.
    cfg->checkNoLeader();

    // Restore a majority; it must elect someone.
    cfg->connect((leader2 + 1) % servers);
    cfg->checkOneLeader();

    // Bringing back the last peer must not leave the cluster leaderless.
    cfg->connect(leader2);
    cfg->checkOneLeader();

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestManyElections2A) {
  runTest([] {
    const int servers = 7;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2A): multiple elections");
    cfg->exercises(Scenario::kLeaderChanged);

    cfg->checkOneLeader();

    const int iters = 10;
    for (int ii = 1; ii < iters; ii++) {
      // Cut off three randomly chosen peers (the same one may come up twice).
      int i1 = static_cast<int>(lab::rand_intn(servers));
      int i2 = static_cast<int>(lab::rand_intn(servers));
      int i3 = static_cast<int>(lab::rand_intn(servers));
      cfg->disconnect(i1);
      cfg->disconnect(i2);
      cfg->disconnect(i3);

      // At least four peers are still connected: either the leader is among
      // them or they must pick a new one.
      cfg->checkOneLeader();

      cfg->connect(i1);
      cfg->connect(i2);
      cfg->connect(i3);
    }

    cfg->checkOneLeader();

    cfg->end();
  });
}

BOOST_AUTO_TEST_SUITE_END()
