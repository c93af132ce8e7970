// The editions' table (tester/edition.hpp), and the choice of one by LAB_EDITION.
#include "tester/edition.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace tester {

namespace {

// clang-format off
const Edition kEditions[] = {
  // year, part, networkInTitle, opsSummary, countOps, persistCrashes, restartConnectsAll,
  // startAllThenConnect, allCrashUnreliable, sizeMessage, applyErrorDeferred
  {2023, '2', false, false, false, false, false, false, false, "Log size too large",  false},
  {2025, '3', true,  true,  false, true,  true,  true,  true,  "Log size too large",  false},
  {2026, '3', true,  true,  true,  true,  false, true,  true,  "Raft size too large", true},
};
// clang-format on

const char kAccepted[] = "2023 (the default), 2025 or 2026";

}  // namespace

const Edition* findEdition(const std::string& value) {
  if (value.empty()) return &kEditions[0];
  for (const auto& e : kEditions)
    if (value == std::to_string(e.year)) return &e;
  return nullptr;
}

const Edition& edition() {
  static const Edition& chosen = []() -> const Edition& {
    const char* v = std::getenv("LAB_EDITION");
    const std::string value = v != nullptr ? v : "";
    if (const Edition* e = findEdition(value)) return *e;
    std::fprintf(stderr, "LAB_EDITION=%s: no such edition of the Raft tests; use %s\n", value.c_str(), kAccepted);
    std::exit(2);
  }();
  return chosen;
}

std::string Edition::name(const std::string& name2023) const {
  // A part is the digit 2 and a letter at the end of the name: Raft2A, 2A,
  // TestInitialElection2A.
  std::string s = name2023;
  const std::size_t n = s.size();
  if (n >= 2 && s[n - 2] == '2' && s[n - 1] >= 'A' && s[n - 1] <= 'D') s[n - 2] = part;
  return s;
}

std::string Edition::title(const std::string& title2023) const {
  std::string s = title2023;
  // "Test (2A): ..." — the part in parentheses.
  if (s.rfind("Test (2", 0) == 0) s[6] = part;
  if (networkInTitle) {
    static const std::pair<const char*, const char*> renamed[] = {
        {"install snapshots (disconnect+unreliable)", "install snapshots (disconnect)"},
        {"install snapshots (unreliable+crash)", "install snapshots (crash)"},
    };
    for (const auto& [from, to] : renamed) {
      const std::string f = from;
      if (s.size() >= f.size() && s.compare(s.size() - f.size(), f.size(), f) == 0)
        s = s.substr(0, s.size() - f.size()) + to;
    }
  }
  return s;
}

}  // namespace tester
