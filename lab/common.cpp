// The parts of lab:: that do not depend on the backend.
#include "lab/common.hpp"

#include <cstdio>
#include <cstdlib>
#include <random>

namespace lab {

namespace detail {
std::string format_seconds(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", std::chrono::duration<double>(d).count());
  return buf;
}
}  // namespace detail

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::Passed: return "passed";
    case Outcome::Failed: return "FAILED";
    case Outcome::Deadlock: return "DEADLOCK";
    case Outcome::TimeLimit: return "TIME-LIMIT";
  }
  return "?";
}

std::string Result::summary() const {
  if (failures.empty()) return to_string(outcome);
  std::string s = to_string(outcome);
  for (const auto& f : failures) s += "\n  " + f;
  return s;
}

std::int64_t rand_intn(std::int64_t n) {
  if (n <= 0) fail("lab::rand_intn(" + std::to_string(n) + "): n must be positive");
  // Plain modulo keeps the draw independent of the standard library (the
  // bias is below 2^-40 for the ranges the lab uses).
  return static_cast<std::int64_t>(rand_u64() % static_cast<std::uint64_t>(n));
}

std::string time_string() { return detail::format_seconds(now()); }

std::uint64_t seed_from_env() {
  if (const char* s = std::getenv("LAB_SEED"); s && *s) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (end && *end == '\0') return v;
    std::fprintf(stderr, "lab: LAB_SEED=%s is not a decimal number\n", s);
    std::exit(2);
  }
  std::random_device rd;
  return ((std::uint64_t{rd()} << 32) | rd()) & ((std::uint64_t{1} << 62) - 1);
}

}  // namespace lab
