// labgob_sizes: how many bytes our labgob spends on the Raft states that the
// byte checks of the Raft tests measure. Counterpart of gob_sizes.go, which
// encodes the very same states with Go's encoding/gob; see README.md here.
//
//   g++ -std=c++20 -O2 -I. tests/encoding/labgob_sizes.cpp labgob/archive.cpp -lboost_serialization -o /tmp/labgob_sizes
//   /tmp/labgob_sizes
//
// What is encoded, and how:
//   - persisted Raft state as raft/persist.cpp saves it: one labgob::encode of
//     PersistentState {currentTerm, votedFor, log}, where log is raft/log.hpp's
//     Log {lastIncludedIndex, lastIncludedTerm, entries} (copies of both, same
//     fields in the same order and the same Boost levels; it is what
//     persister RaftStateSize() returns).
//   - RPC arguments and replies as labrpc counts them: labgob::encode of the
//     structs of raft/rpc.hpp (included, so the tool follows that file).
//
// Commands come from splitmix64 with fixed seeds, shifted right by one bit,
// exactly as in gob_sizes.go, so both programs encode identical states.
#include <boost/serialization/vector.hpp>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "labgob/command.hpp"
#include "labgob/labgob.hpp"
#include "raft/rpc.hpp"

namespace {

using raft::LogEntry;

// raft/log.hpp's Log, field for field (that header needs the lab runtime).
struct LogCopy {
  int base = 0;
  int baseTerm = 0;
  std::vector<LogEntry> entries;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & base & baseTerm & entries;
  }
};

// raft/persist.cpp's PersistentState (private to that file), field for field.
// Like there, it keeps Boost's default class level, so the archive carries
// its class header (tracking flag and version) once.
struct PersistentState {
  int currentTerm = 0;
  int votedFor = -1;
  LogCopy log;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & currentTerm & votedFor & log;
  }
};

// splitmix64 (Steele, Lea, Flood 2014), identical in gob_sizes.go.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    s += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t int63() { return static_cast<std::int64_t>(next() >> 1); }
  std::string randstring(int n) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string s;
    for (int i = 0; i < n; i++) s += alphabet[next() % 64];
    return s;
  }
};

// The representative state at the 2D check, as in gob_sizes.go.
constexpr int stTerm = 1;
constexpr int stVotedFor = 0;
constexpr int stBase = 300;
constexpr std::uint64_t stSeed = 2023;
constexpr std::size_t maxLogSize = 2000;  // the 2D tests fail when LogSize() >= MAXLOGSIZE

using CmdFn = std::function<labgob::Command(int)>;

std::vector<LogEntry> makeLog(int n, int base, int term, const CmdFn& cmd) {
  std::vector<LogEntry> log{LogEntry{term, labgob::Command{}}};  // sentinel: the snapshot's last entry
  for (int i = 1; i <= n; i++) log.push_back(LogEntry{term, cmd(base + i)});
  return log;
}

CmdFn int63Cmds(std::uint64_t seed) {
  auto r = std::make_shared<Rng>(Rng{seed});
  return [r](int) { return labgob::Command(r->int63()); };
}

// log[0] is the sentinel standing for the snapshot's last entry; the Log
// keeps only its term.
std::size_t persisted(int term, int voted, int base, std::vector<LogEntry> log) {
  const int baseTerm = log.front().Term;
  log.erase(log.begin());
  PersistentState st{term, voted, LogCopy{base, baseTerm, std::move(log)}};
  return labgob::encode(st).size();
}

std::size_t stateAt(int n) { return persisted(stTerm, stVotedFor, stBase, makeLog(n, stBase, stTerm, int63Cmds(stSeed))); }

template <class T>
std::size_t rpcBytes(const T& v) {
  return labgob::encode(v).size();
}

}  // namespace

// As raft/log.hpp declares for Log.
BOOST_CLASS_IMPLEMENTATION(LogCopy, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(LogCopy, boost::serialization::track_never)

int main() {
  std::printf("# labgob -- our Boost.Serialization archives (labgob/archive.hpp)\n");

  std::printf("\n## calibration: the sizes gob is known to give (the Go lab's TestBytes cases)\n");
  std::printf("CAL int 0            %zu\n", rpcBytes(0));
  std::printf("CAL int 99           %zu\n", rpcBytes(99));
  std::printf("CAL int 2^62         %zu   (Go int is 64-bit: int64_t)\n", rpcBytes(std::int64_t{1} << 62));
  std::printf("CAL string 5000      %zu\n", rpcBytes(std::string(5000, 'x')));

  std::printf("\n## persisted Raft state (RaftStateSize), bytes\n");
  std::printf("## state: currentTerm=%d votedFor=%d logBase=%d,\n", stTerm, stVotedFor, stBase);
  std::printf("##        log = sentinel + N entries {Term 1, Command 63-bit random int}\n");
  std::printf("## cols: N  PersistentState\n");
  for (int n : {0, 1, 2, 5, 10, 11, 20, 50, 90, 95, 100, 150, 200}) std::printf("STATE %4d %6zu\n", n, stateAt(n));
  std::size_t s0 = stateAt(0), s100 = stateAt(100), s200 = stateAt(200);
  std::printf("FIXED   %zu   (N=0)\n", s0);
  std::printf("SLOPE   %.2f ((size(200)-size(0))/200)  %.2f ((size(200)-size(100))/100)\n",
              static_cast<double>(s200 - s0) / 200, static_cast<double>(s200 - s100) / 100);
  int fit = 0;
  for (int n = 0; stateAt(n) < maxLogSize; n++) fit = n;
  std::printf("FIT     %d   (largest N with size < %zu)\n", fit, maxLogSize);
  std::printf("SIZEAT  %zu %zu   (size at N=FIT and N=FIT+1)\n", stateAt(fit), stateAt(fit + 1));

  std::printf("\n## per-entry cost by command and term ((size(100)-size(0))/100)\n");
  auto slope = [](int term, const CmdFn& cmd) {
    std::size_t a = persisted(term, stVotedFor, stBase, makeLog(0, stBase, term, cmd));
    std::size_t b = persisted(term, stVotedFor, stBase, makeLog(100, stBase, term, cmd));
    return static_cast<double>(b - a) / 100;
  };
  std::printf("ENTRY int63 term1    %.2f\n", slope(1, int63Cmds(stSeed)));
  std::printf("ENTRY int63 term100  %.2f\n", slope(100, int63Cmds(stSeed)));
  std::printf("ENTRY int index*100  %.2f   (2B/2C-style small commands, 30100..40000)\n",
              slope(1, [](int i) { return labgob::Command(i * 100); }));
  std::printf("ENTRY int 2^62       %.2f\n", slope(1, [](int) { return labgob::Command(std::int64_t{1} << 62); }));

  std::printf("\n## RPC messages as labrpc counts them, bytes\n");
  Rng r{7};
  auto entries = [](int k, const std::function<labgob::Command()>& cmd) {
    std::vector<LogEntry> es;
    for (int i = 0; i < k; i++) es.push_back(LogEntry{1, cmd()});
    return es;
  };
  auto int63 = [&r] { return labgob::Command(r.int63()); };
  auto str5000 = [&r] { return labgob::Command(r.randstring(5000)); };
  auto ae = [](std::vector<LogEntry> es) {
    return rpcBytes(raft::AppendEntriesArgs{1, 0, 5, 1, std::move(es), 5});
  };
  raft::RequestVoteArgs rva;
  rva.Term = 2, rva.CandidateId = 1, rva.LastLogIndex = 5, rva.LastLogTerm = 1;
  raft::RequestVoteReply rvr;
  rvr.Term = 2, rvr.VoteGranted = true;
  raft::AppendEntriesReply ok;
  ok.Term = 1, ok.Success = true, ok.XTerm = -1, ok.XIndex = -1, ok.XLen = 0;
  raft::AppendEntriesReply fail;
  fail.Term = 1, fail.Success = false, fail.XTerm = 1, fail.XIndex = 3, fail.XLen = 6;
  std::printf("RPC RequestVoteArgs            %zu\n", rpcBytes(rva));
  std::printf("RPC RequestVoteReply           %zu\n", rpcBytes(rvr));
  std::printf("RPC AppendEntriesArgs/0        %zu   (heartbeat)\n", ae({}));
  std::printf("RPC AppendEntriesArgs/1int     %zu\n", ae(entries(1, int63)));
  std::printf("RPC AppendEntriesArgs/10int    %zu\n", ae(entries(10, int63)));
  std::printf("RPC AppendEntriesArgs/1str     %zu   (one 5000-char command)\n", ae(entries(1, str5000)));
  std::printf("RPC AppendEntriesArgs/2str     %zu\n", ae(entries(2, str5000)));
  std::printf("RPC AppendEntriesArgs/10str    %zu\n", ae(entries(10, str5000)));
  std::printf("RPC AppendEntriesReply/ok      %zu\n", rpcBytes(ok));
  std::printf("RPC AppendEntriesReply/fail    %zu\n", rpcBytes(fail));
  return 0;
}
