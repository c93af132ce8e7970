// raft/debug.hpp — debug logging in the format of "Debugging by Pretty
// Printing" (golab-spec §8.3), read by scripts/dslogs:
//
//   VERBOSE=1 build/real/raft_tests --run_test=@2B | scripts/dslogs -c 3
//
// Each line is `<time> <TOPIC> S<id> <message>`: time in tenths of a
// millisecond since the test began (lab::now()), six digits; a 4-letter topic.
//
//   DLOG(kVote, "S%d <- S%d vote granted in T%d", me_, peer, term);
//
// Off unless the environment has VERBOSE >= 1; when off, the arguments are
// not even evaluated.
#pragma once

namespace raft {

// The topics of the dslogs printer.
inline constexpr const char* kTimr = "TIMR";
inline constexpr const char* kVote = "VOTE";
inline constexpr const char* kLead = "LEAD";
inline constexpr const char* kTerm = "TERM";
inline constexpr const char* kLog1 = "LOG1";
inline constexpr const char* kLog2 = "LOG2";
inline constexpr const char* kCmit = "CMIT";
inline constexpr const char* kPers = "PERS";
inline constexpr const char* kSnap = "SNAP";
inline constexpr const char* kDrop = "DROP";
inline constexpr const char* kClnt = "CLNT";
inline constexpr const char* kInfo = "INFO";
inline constexpr const char* kWarn = "WARN";
inline constexpr const char* kErro = "ERRO";

bool verbose();
void dlog(const char* topic, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace raft

#define DLOG(topic, ...)                                    \
  do {                                                      \
    if (::raft::verbose()) ::raft::dlog(topic, __VA_ARGS__); \
  } while (0)
