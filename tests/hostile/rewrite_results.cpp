// tests/hostile/rewrite_results.cpp — a child that outlives the test and
// rewrites the grade.
//
// The trick: fork in Make(), leave the session, wait for the grader to write
// results.json and replace it with a perfect score. The Raft itself works, so
// the test passes or fails on its own merits meanwhile.
//
// What the grader says: nothing about it. The child is killed with its test
// (PID namespace, cgroup), and it could not reach the results anyway (not in
// its filesystem view; not its user's). The runner checks results.json is
// unchanged after the grader has ended and that no child is left.
// @OUT@ is replaced by the runner with where the results go.
//
// expect score 10
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "raft/base.hpp"

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  static bool forked = false;
  if (!forked) {
    forked = true;
    if (fork() == 0) {
      setsid();
      if (fork() == 0) {
        const char* paths[] = {"@OUT@/rewrite_results/results.json", "/autograder/results/results.json",
                               "results.json"};
        for (int i = 0; i < 100; i++) {  // about 20 s
          for (const char* p : paths) {
            if (FILE* f = std::fopen(p, "w")) {
              std::fputs("{\"score\": 999}\n", f);
              std::fclose(f);
            }
          }
          const timespec t{0, 200'000'000};
          nanosleep(&t, nullptr);
        }
      }
      _exit(0);
    }
  }
  return corpus::serve<corpus::Peer>(std::move(peers), me, std::move(ps), std::move(ch));
}
