// tests/hostile/fork_bomb.cpp — processes until none can be made.
//
// The trick: fork in a loop, so that the grader (and everything else on the
// machine) cannot start a process any more.
//
// What the grader says: the sandbox's process limit is hit, the test fails
// with it, and every forked process dies with the test.
//
// expect score 0: process limit of \d+ reached
// needs: cgroup
#include <unistd.h>

#include "raft/base.hpp"

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  for (int i = 0; i < 100000; i++) {
    const pid_t pid = fork();
    if (pid == 0) {
      for (;;) pause();
    }
    if (pid < 0) break;
  }
  return corpus::serve<corpus::Peer>(std::move(peers), me, std::move(ps), std::move(ch));
}
