// The parts of lab:: that do not depend on the backend.
#include "lab/common.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <utility>

namespace lab {

namespace detail {
std::string format_seconds(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", std::chrono::duration<double>(d).count());
  return buf;
}

std::string site(const Where& loc) {
  std::string_view f = loc.file;
  if (f.starts_with("./")) f.remove_prefix(2);
  // An absolute path: from the last directory but one, which reads as the
  // repository-rooted path of every file of the lab.
  if (f.starts_with("/")) {
    auto last = f.rfind('/');
    auto prev = last == 0 ? std::string_view::npos : f.rfind('/', last - 1);
    if (prev != std::string_view::npos) f.remove_prefix(prev + 1);
  }
  return std::string(f) + ":" + std::to_string(loc.line);
}

bool inside_lab(const Where& loc) {
  std::string_view f = loc.file;
  if (f.starts_with("./")) f.remove_prefix(2);
  return f.starts_with("lab/") || f.find("/lab/") != std::string_view::npos;
}

namespace {
// The runs in progress, for the abort paths. Leaked on purpose: an abort
// may come from any thread at any time, static destruction included.
SpinLock& runs_mu() {
  static SpinLock* m = new SpinLock;
  return *m;
}
std::vector<RunRecord*>& runs() {
  static auto* v = new std::vector<RunRecord*>;
  return *v;
}
}  // namespace

RunRecord::RunRecord(std::uint64_t seed) : seed_(seed) {
  std::lock_guard lk(runs_mu());
  runs().push_back(this);
}

RunRecord::~RunRecord() {
  std::lock_guard lk(runs_mu());
  std::erase(runs(), this);
}

void RunRecord::record(const std::string& failure) {
  std::lock_guard lk(mu_);
  failures_.push_back(failure);
}

void print_runs() {
  std::lock_guard lk(runs_mu());
  for (RunRecord* r : runs()) {
    const auto seed = static_cast<unsigned long long>(r->seed_);
    if (std::strcmp(backend(), "sim") == 0)
      std::fprintf(stderr, "lab: in progress: the run of seed %llu (sim backend; LAB_SEED=%llu replays it)\n", seed,
                   seed);
    else
      std::fprintf(stderr, "lab: in progress: the run of seed %llu (real backend)\n", seed);
    std::lock_guard lk2(r->mu_);
    if (r->failures_.empty()) std::fprintf(stderr, "lab:   it had recorded no failure\n");
    for (const auto& f : r->failures_) std::fprintf(stderr, "lab:   failure it had recorded: %s\n", f.c_str());
  }
  std::fflush(stderr);
}

void abort_process(const std::string& msg) {
  std::fprintf(stderr, "lab: %s\n", msg.c_str());
  print_runs();
  std::fflush(stderr);
  std::abort();
}

std::string group_report(const std::vector<ReportLine>& lines) {
  // Groups keyed by (name, state), kept in order of their first id.
  std::map<std::pair<std::string, std::string>, std::vector<std::uint64_t>> groups;
  std::vector<std::pair<std::uint64_t, const std::pair<std::string, std::string>*>> order;
  for (const auto& l : lines) {
    auto [it, fresh] = groups.try_emplace({l.name, l.state});
    if (fresh) order.emplace_back(l.id, &it->first);
    it->second.push_back(l.id);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string s;
  for (const auto& [first, key] : order) {
    const auto& ids = groups[*key];
    if (ids.size() == 1) {
      s += "\n    '" + key->first + "' (#" + std::to_string(ids[0]) + ") " + key->second;
      continue;
    }
    s += "\n    " + std::to_string(ids.size()) + " \u00d7 '" + key->first + "' (";
    for (std::size_t i = 0; i < ids.size(); i++) {
      if (i == 3 && ids.size() > 4) {
        s += ", \u2026 #" + std::to_string(ids.back());
        break;
      }
      s += (i ? ", #" : "#") + std::to_string(ids[i]);
    }
    s += ") " + key->second;
  }
  return s;
}

void report_lock_held(const char* what, const char* label, const Where& where, const Where& locked_at,
                      const std::string& activity, bool may_fail) {
  const char* v = std::getenv("LAB_STRICT");
  const bool strict = v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
  // The call site: the student's line if the call came from there, else
  // the operation's label ("Chan::send on applyCh S1").
  std::string call = label != nullptr ? std::string(label) : std::string(what);
  if (!inside_lab(where)) call += " at " + site(where);
  std::string msg = call + " while holding the lab::Mutex locked at " + site(locked_at) + " (activity '" + activity +
                    "', t=" + time_string() +
                    "): every activity that needs that mutex waits as long; unlock it around the call";
  if (strict && may_fail) fail("blocking with a lock held: " + msg + " (LAB_STRICT=1)");
  if (strict) return;
  static SpinLock mu;
  static auto* seen = new std::set<std::pair<std::string, std::string>>;
  {
    std::lock_guard lk(mu);
    if (!seen->emplace(site(where) + "|" + call, site(locked_at)).second) return;
  }
  std::fprintf(stderr, "lab: warning: %s (LAB_STRICT=1 makes this a failure; reported once per site)\n", msg.c_str());
  std::fflush(stderr);
}

}  // namespace detail

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::Passed: return "passed";
    case Outcome::Failed: return "FAILED";
    case Outcome::Deadlock: return "DEADLOCK";
    case Outcome::TimeLimit: return "TIME-LIMIT";
    case Outcome::Livelock: return "LIVELOCK";
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
