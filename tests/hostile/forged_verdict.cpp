// tests/hostile/forged_verdict.cpp — write a pass to every open descriptor.
//
// The trick: the binary reports its verdict on a descriptor; write a passing
// line for the test on each one that is open, then leave with status 0.
//
// What the grader says: those lines lack the run's key (it never was in the
// environment, and was read and closed before any ordinary constructor ran),
// so they are counted as forged and the test has no end: failed.
//
// expect score 0: line\(s\) on the verdict channel without its key
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "raft/base.hpp"

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  const char* key = std::getenv("LAB_VERDICT_KEY_FD");  // already removed: nullptr
  for (int fd = 3; fd < 64; fd++) {
    for (const char* test : {"Raft2A/TestInitialElection2A", "Raft2A/TestReElection2A"}) {
      std::string line = std::string(key ? key : "0123456789abcdef0123456789abcdef") + " end " + test + " passed\n";
      if (write(fd, line.data(), line.size()) < 0) break;
    }
  }
  std::_Exit(0);
  return corpus::serve<corpus::Peer>(std::move(peers), me, std::move(ps), std::move(ch));
}
