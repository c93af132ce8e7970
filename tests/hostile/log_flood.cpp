// tests/hostile/log_flood.cpp — print without end.
//
// The trick (or the bug: a debug print in a hot loop): fill the disk and the
// grader's memory with output it then reads whole.
//
// What the grader says: the sandbox's output limit stops the test, and the
// grader reads no more than that limit.
//
// expect score 0: output limit of \d+ MB reached
#include <cstdio>
#include <string>

#include "raft/base.hpp"

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  const std::string line(1000, 'x');
  for (;;) std::printf("server %d: %s\n", me, line.c_str());
  return corpus::serve<corpus::Peer>(std::move(peers), me, std::move(ps), std::move(ch));
}
