// tests/hostile/read_reference.cpp — look for the reference solution.
//
// The trick: the grader's tree holds the reference Raft; read it at build
// time (an #include by absolute path) or at run time (from beside the test
// binary, or by its known path) and print it into the student-visible output;
// or write into the grader's build cache. @ROOT@ is replaced by the runner
// with the grader's tree, as a student who knows it would write it.
//
// What the grader says: the case fails its own check with what it found. It
// must find nothing: the build and the tests run in a sandbox that has only
// /usr, the copied lab tree (build) or the test binary (tests).
//
// expect score 0: found: nothing at build time; nothing at run time; cache not writable
// needs: bwrap
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "lab/lab.hpp"
#include "raft/base.hpp"

#if __has_include("@ROOT@/raft/election.cpp")
constexpr const char* kAtBuild = "the reference at build time";
#else
constexpr const char* kAtBuild = "nothing at build time";
#endif

namespace {
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  return std::getline(in, line) ? line : std::string();
}
}  // namespace

struct Reader : corpus::Peer {
  using Peer::Peer;
  raftapi::State GetState() override {
    std::string found;
    for (const char* p : {"@ROOT@/raft/election.cpp", "../../../raft/election.cpp", "../raft/election.cpp"}) {
      const std::string line = first_line(p);
      if (!line.empty()) found += std::string(" ") + p + ": " + line;
    }
    const bool cache = static_cast<bool>(std::ofstream("@ROOT@/build/grade-cache/poisoned"));
    lab::fail(std::string("found: ") + kAtBuild + "; " + (found.empty() ? "nothing at run time" : found) +
              "; cache " + (cache ? "WRITTEN" : "not writable"));
    return Peer::GetState();
  }
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<Reader>(std::move(peers), me, std::move(ps), std::move(ch));
}
