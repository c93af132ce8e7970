// Part 2A: leader election (golab-spec §6.3).
#include "tests/raft/common.hpp"

using namespace raft_tests;

BOOST_AUTO_TEST_SUITE(Raft2A, *boost::unit_test::label("2A"))

BOOST_AUTO_TEST_CASE(TestInitialElection2A) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2A): initial election");

    // is a leader elected?
    cfg->checkOneLeader();

    // sleep a bit to avoid racing with followers learning of the
    // election, then check that all peers agree on the term.
    lab::sleep_for(50ms);
    int term1 = cfg->checkTerms();
    if (term1 < 1) fatal("term is " + std::to_string(term1) + ", but should be at least 1");

    // does the leader+term stay the same if there is no network failure?
    lab::sleep_for(2 * RaftElectionTimeout);
    int term2 = cfg->checkTerms();
    if (term1 != term2) {
      std::printf("warning: term changed even though there were no failures");
      std::fflush(stdout);
    }

    // there should still be a leader.
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

    int leader1 = cfg->checkOneLeader();

    // if the leader disconnects, a new one should be elected.
    cfg->disconnect(leader1);
    cfg->checkOneLeader();

    // if the old leader rejoins, that shouldn't
    // disturb the new leader. and the old leader
    // should switch to follower.
    cfg->connect(leader1);
    int leader2 = cfg->checkOneLeader();

    // if there's no quorum, no new leader should
    // be elected.
    cfg->disconnect(leader2);
    cfg->disconnect((leader2 + 1) % servers);
    lab::sleep_for(2 * RaftElectionTimeout);

    // check that the one connected server
    // does not think it is the leader.
    cfg->checkNoLeader();

    // if a quorum arises, it should elect a leader.
    cfg->connect((leader2 + 1) % servers);
    cfg->checkOneLeader();

    // re-join of last node shouldn't prevent leader from existing.
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

    cfg->checkOneLeader();

    const int iters = 10;
    for (int ii = 1; ii < iters; ii++) {
      // disconnect three nodes
      int i1 = static_cast<int>(lab::rand_intn(servers));
      int i2 = static_cast<int>(lab::rand_intn(servers));
      int i3 = static_cast<int>(lab::rand_intn(servers));
      cfg->disconnect(i1);
      cfg->disconnect(i2);
      cfg->disconnect(i3);

      // either the current leader should still be alive,
      // or the remaining four should elect a new one.
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
