#include "raft/report.hpp"

namespace raft {

const char* to_string(Role r) {
  switch (r) {
    case Role::Follower:
      return "follower";
    case Role::Candidate:
      return "candidate";
    case Role::Leader:
      return "leader";
  }
  return "?";
}

void report_role(int, int, Role) {}

}  // namespace raft
