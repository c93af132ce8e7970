// raftapi/debug.hpp — the debug log, one line per event, in the format that
// scripts/dslogs colours and splits into columns:
//
//   VERBOSE=1 build/real/raft_tests --run_test=@2B | scripts/dslogs -c 3
//
// A line is `<time> <TOPIC> S<id> <message>`: six digits of tenths of a
// millisecond since the test began (lab::now()), then a four-letter topic.
//
//   DLOG(kVote, "S%d <- S%d vote granted in T%d", me_, peer, term);
//
// The topic is one of the names below, written bare. Nothing is printed, and
// the arguments are not evaluated, unless VERBOSE >= 1 in the environment.
#pragma once

namespace raftapi {

// The topics dslogs knows.
namespace topics {
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
inline constexpr const char* kTest = "TEST";
inline constexpr const char* kInfo = "INFO";
inline constexpr const char* kWarn = "WARN";
inline constexpr const char* kErro = "ERRO";
}  // namespace topics

bool verbose();
void dlog(const char* topic, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace raftapi

#define DLOG(topic, ...)                                                              \
  do {                                                                                \
    if (::raftapi::verbose()) ::raftapi::dlog(::raftapi::topics::topic, __VA_ARGS__); \
  } while (0)
