// tests/hostile/memory_bomb.cpp — take all the memory there is.
//
// The trick (or the bug: a log that is never trimmed): allocate and touch
// memory until the machine gives out, taking the grader and every other
// submission down with it.
//
// What the grader says: the sandbox's memory limit stops the test, and that
// is its result.
//
// expect score 0: memory limit of \d+ MB reached
// needs: cgroup
#include <cstring>
#include <vector>

#include "raft/base.hpp"

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  static std::vector<char*> hoard;
  for (int i = 0; i < 64; i++) {  // 64 x 64 MB, each page touched
    char* block = new char[64 << 20];
    std::memset(block, i + 1, 64 << 20);
    hoard.push_back(block);
  }
  return corpus::serve<corpus::Peer>(std::move(peers), me, std::move(ps), std::move(ch));
}
