// tester/schedule.hpp — a fault schedule for the fuzzer (tests/raft/fuzz.cpp):
// what happens to a cluster's network and servers, and when.
//
//   tester::Schedule s = tester::generate(17);            // from a seed
//   std::string text = tester::format(s);                 // the file's text
//   tester::Schedule t = tester::parse(text, "x.sched");  // back; a mistake throws
//                                                         // ScheduleError("x.sched:4: ...")
//
// The file is plain text, one statement per line; `#` starts a comment:
//
//   seed 17                  the lab seed the run uses (LAB_SEED may override it)
//   servers 5                the cluster's size, 3 to 7
//   snapshots on             the 2D applier (a snapshot every 10 entries), or off
//   at 0.350 isolate 3       at 0.350 s after the start: disconnect server 3
//   at 0.400 isolate leader  the same for the running server that claims to lead
//                            in the highest term (nothing if none does); also
//                            for crash and restart
//   at 0.900 connect 3       put it back (on its side of any partition)
//   at 1.200 partition 0 1 | 2 3 4   split the cluster (every server once)
//   at 2.000 heal            one side again, every server connected
//   at 2.500 crash 1         crash1(1): it keeps what it had persisted
//   at 3.000 restart 1       start1(1), then on the network unless isolated
//                            (of a running server: a crash and restart at once)
//   at 3.500 unreliable on   drops and delays (off: reliable again)
//   at 4.000 reordering on   long reordering of replies (off: none)
//   stop 12.000              the faults end: everything is healed and restarted,
//                            then a new command must commit on every server
//
// Times are seconds of the run's clock after the cluster is made (virtual
// time in sim), with at most three decimals, never going back, all before
// `stop`. Every event is valid in any state (a crash of a crashed server does
// nothing), so any subset of a schedule is a schedule: that is what lets the
// fuzzer shrink one by deleting events.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tester {

struct FaultEvent {
  enum class Kind { Isolate, Connect, Partition, Heal, Crash, Restart, Unreliable, Reordering };
  std::int64_t ms = 0;          // when, in milliseconds after the start
  Kind kind = Kind::Heal;
  int server = -1;              // Isolate, Connect, Crash, Restart; or kLeader
  static constexpr int kLeader = -2;  // whoever leads in the highest term then
  bool on = false;              // Unreliable, Reordering
  std::vector<int> groupOf;     // Partition: each server's side, 0, 1, ...
  bool operator==(const FaultEvent&) const = default;
};

struct Schedule {
  std::uint64_t seed = 1;
  int servers = 5;
  bool snapshots = false;
  std::int64_t stopMs = 10000;  // the faults end here; then the liveness check
  std::vector<FaultEvent> events;
  bool operator==(const Schedule&) const = default;
};

// A mistake in a schedule file: what() is "<file>:<line>: <what is wrong>".
struct ScheduleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A random schedule from seed alone (its own generator, not the run's): 3 or
// 5 servers, 10 to 30 s of faults, an event every 30 to 800 ms.
Schedule generate(std::uint64_t seed);
// The event as it reads after `at <time> ` ("partition 0 1 | 2 3 4").
std::string describe(const FaultEvent& e);
// The whole file: `header` lines first (each gets "# "), then the statements.
std::string format(const Schedule& s, const std::vector<std::string>& header = {});
Schedule parse(const std::string& text, const std::string& file);
Schedule load(const std::string& path);  // parse() of a file; ScheduleError if unreadable

}  // namespace tester
