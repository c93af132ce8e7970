#include "raftapi/report.hpp"

#include <atomic>

namespace raftapi {

namespace {
std::atomic<Reporter*> reporter{nullptr};
}  // namespace

const char* to_string(Role r) {
  switch (r) {
    case Role::Follower:
      return "follower";
    case Role::PreCandidate:
      return "precandidate";
    case Role::Candidate:
      return "candidate";
    case Role::Leader:
      return "leader";
  }
  return "?";
}

void set_reporter(Reporter* r) { reporter.store(r, std::memory_order_release); }

void report_role(int me, int term, Role role) {
  if (Reporter* r = reporter.load(std::memory_order_acquire)) r->role(me, term, role);
}

void annotate(int me, std::string_view text) {
  if (Reporter* r = reporter.load(std::memory_order_acquire)) r->annotate(me, text);
}

}  // namespace raftapi
