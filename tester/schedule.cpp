// Fault schedules: generation from a seed, the text format, its parser.
#include "tester/schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace tester {

namespace {

// splitmix64: a generator of our own, so that a seed gives the same schedule
// with any standard library (std:: distributions are not specified exactly).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : x_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (x_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int intn(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  int between(int lo, int hi) { return lo + intn(hi - lo + 1); }

 private:
  std::uint64_t x_;
};

// A server picked at random among those for which want(i) holds, or -1.
template <class F>
int pick(Rng& rng, int n, F want) {
  std::vector<int> c;
  for (int i = 0; i < n; i++)
    if (want(i)) c.push_back(i);
  return c.empty() ? -1 : c[static_cast<std::size_t>(rng.intn(static_cast<int>(c.size())))];
}

std::string timeText(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
  return buf;
}

}  // namespace

Schedule generate(std::uint64_t seed) {
  Rng rng(seed);
  Schedule s;
  s.seed = seed;
  s.servers = rng.intn(3) == 0 ? 3 : 5;
  s.snapshots = rng.intn(2) == 0;
  s.stopMs = rng.between(10000, 30000);
  const int n = s.servers;
  // What the schedule has done so far, to pick events that change something.
  std::vector<bool> alive(static_cast<std::size_t>(n), true), isolated(static_cast<std::size_t>(n), false);
  bool split = false, unreliable = false, reordering = false;
  int leaderCrashes = 0;  // crashes of "the leader": which server is not known here
  // The event kinds in FaultEvent::Kind's order, then a reboot (a restart of
  // a running server). Isolating and reconnecting servers one at a time come
  // most often, so runs of isolations healed in another order are common.
  enum { kIsolate, kConnect, kPartition, kHeal, kCrash, kRestart, kUnreliable, kReordering, kReboot, kKinds };
  std::int64_t t = 0;
  for (;;) {
    t += rng.between(30, 800);
    if (t >= s.stopMs) break;
    const bool anyIsolated = std::count(isolated.begin(), isolated.end(), true) > 0;
    const bool anyCrashed = std::count(alive.begin(), alive.end(), false) > 0 || leaderCrashes > 0;
    const int w[kKinds] = {4, anyIsolated ? 4 : 0, 2, anyIsolated || split ? 1 : 0, 2, anyCrashed ? 3 : 0, 1, 1, 2};
    int total = 0;
    for (int x : w) total += x;
    int r = rng.intn(total), k = 0;
    while (r >= w[k]) r -= w[k++];
    FaultEvent e;
    e.ms = t;
    e.kind = static_cast<FaultEvent::Kind>(k == kReboot ? kRestart : k);
    // Isolations, crashes and reboots hit the leader half the time: the
    // server whose loss tests the most.
    const bool leader = (k == kIsolate || k == kCrash || k == kReboot) && rng.intn(2) == 0;
    const auto at = [](std::vector<bool>& v, int i) { return v[static_cast<std::size_t>(i)]; };
    switch (k) {
      case kIsolate:
        e.server = leader ? FaultEvent::kLeader : pick(rng, n, [&](int i) { return !at(isolated, i); });
        if (e.server == -1) continue;
        if (e.server >= 0) isolated[static_cast<std::size_t>(e.server)] = true;
        split = split || e.server < 0;  // something for a heal to undo
        break;
      case kConnect:
        e.server = pick(rng, n, [&](int i) { return at(isolated, i); });
        isolated[static_cast<std::size_t>(e.server)] = false;
        break;
      case kPartition: {
        // Two sides, now and then three; never all on one side.
        const int sides = rng.intn(4) == 0 ? 3 : 2;
        do {
          e.groupOf.clear();
          for (int i = 0; i < n; i++) e.groupOf.push_back(rng.intn(sides));
        } while (std::count(e.groupOf.begin(), e.groupOf.end(), e.groupOf[0]) == n);
        // Sides numbered in order of their lowest server, as parse() numbers them.
        std::vector<int> renumber(3, -1);
        int next = 0;
        for (int& g : e.groupOf) {
          if (renumber[static_cast<std::size_t>(g)] < 0) renumber[static_cast<std::size_t>(g)] = next++;
          g = renumber[static_cast<std::size_t>(g)];
        }
        split = true;
        break;
      }
      case kHeal:
        isolated.assign(static_cast<std::size_t>(n), false);
        split = false;
        break;
      case kCrash:
        e.server = leader ? FaultEvent::kLeader : pick(rng, n, [&](int i) { return at(alive, i); });
        if (e.server == -1) continue;
        if (e.server >= 0) alive[static_cast<std::size_t>(e.server)] = false;
        leaderCrashes += e.server < 0;
        break;
      case kRestart:
        // A server known to be down, else any (the crashed leader, or a reboot).
        e.server = pick(rng, n, [&](int i) { return !at(alive, i); });
        if (e.server < 0) {
          e.server = rng.intn(n);
          leaderCrashes--;
        }
        alive[static_cast<std::size_t>(e.server)] = true;
        break;
      case kReboot:
        e.server = leader ? FaultEvent::kLeader : pick(rng, n, [&](int i) { return at(alive, i); });
        if (e.server == -1) continue;
        break;
      case kUnreliable:
        e.on = unreliable = !unreliable;
        break;
      case kReordering:
        e.on = reordering = !reordering;
        break;
    }
    s.events.push_back(e);
  }
  return s;
}

std::string describe(const FaultEvent& e) {
  const std::string i = e.server == FaultEvent::kLeader ? "leader" : std::to_string(e.server);
  switch (e.kind) {
    case FaultEvent::Kind::Isolate: return "isolate " + i;
    case FaultEvent::Kind::Connect: return "connect " + i;
    case FaultEvent::Kind::Heal: return "heal";
    case FaultEvent::Kind::Crash: return "crash " + i;
    case FaultEvent::Kind::Restart: return "restart " + i;
    case FaultEvent::Kind::Unreliable: return std::string("unreliable ") + (e.on ? "on" : "off");
    case FaultEvent::Kind::Reordering: return std::string("reordering ") + (e.on ? "on" : "off");
    case FaultEvent::Kind::Partition: {
      std::string out = "partition";
      const int sides = e.groupOf.empty() ? 0 : *std::max_element(e.groupOf.begin(), e.groupOf.end()) + 1;
      for (int g = 0; g < sides; g++) {
        if (g > 0) out += " |";
        for (std::size_t k = 0; k < e.groupOf.size(); k++)
          if (e.groupOf[k] == g) out += " " + std::to_string(k);
      }
      return out;
    }
  }
  return "?";
}

std::string format(const Schedule& s, const std::vector<std::string>& header) {
  std::ostringstream os;
  for (const auto& h : header) os << "# " << h << "\n";
  os << "seed " << s.seed << "\n";
  os << "servers " << s.servers << "\n";
  os << "snapshots " << (s.snapshots ? "on" : "off") << "\n";
  for (const auto& e : s.events) os << "at " << timeText(e.ms) << " " << describe(e) << "\n";
  os << "stop " << timeText(s.stopMs) << "\n";
  return os.str();
}

namespace {

// Reads one file, line by line, with the position for messages.
struct Reader {
  const std::string& file;
  int line = 0;
  [[noreturn]] void error(const std::string& what) const {
    throw ScheduleError(file + ":" + std::to_string(line) + ": " + what);
  }
  long long number(const std::string& w, const char* noun, long long lo, long long hi) const {
    if (w.empty() || w.find_first_not_of("0123456789") != std::string::npos || w.size() > 18)
      error(std::string("expected a number for ") + noun + ", got '" + w + "'");
    const long long v = std::stoll(w);
    if (v < lo || v > hi)
      error(std::string(noun) + " " + w + " is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
    return v;
  }
  // Seconds with at most three decimals, as milliseconds.
  std::int64_t time(const std::string& w) const {
    const auto dot = w.find('.');
    const std::string whole = w.substr(0, dot), frac = dot == std::string::npos ? "" : w.substr(dot + 1);
    if (whole.empty() || frac.size() > 3 || (dot != std::string::npos && frac.empty()) ||
        (whole + frac).find_first_not_of("0123456789") != std::string::npos || whole.size() > 6)
      error("expected a time in seconds such as 1.250, got '" + w + "'");
    return std::stoll(whole) * 1000 + (frac.empty() ? 0 : std::stoll((frac + "00").substr(0, 3)));
  }
  bool onOff(const std::string& w) const {
    if (w == "on") return true;
    if (w == "off") return false;
    error("expected on or off, got '" + w + "'");
  }
};

}  // namespace

Schedule parse(const std::string& text, const std::string& file) {
  Schedule s;
  Reader rd{file};
  bool haveSeed = false, haveServers = false, haveStop = false;
  struct Pending {
    int line;
    std::vector<std::string> words;
  };
  std::vector<Pending> ats;  // checked once servers is known
  std::istringstream in(text);
  std::string raw;
  while (std::getline(in, raw)) {
    rd.line++;
    if (auto hash = raw.find('#'); hash != std::string::npos) raw.resize(hash);
    std::istringstream ws(raw);
    std::vector<std::string> w;
    for (std::string x; ws >> x;) w.push_back(x);
    if (w.empty()) continue;
    const auto arity = [&](std::size_t k) {
      if (w.size() != k) rd.error("'" + w[0] + "' takes " + std::to_string(k - 1) + " value(s)");
    };
    if (haveStop) rd.error("nothing may follow 'stop'");
    if (w[0] == "seed") {
      arity(2);
      if (w[1].empty() || w[1].find_first_not_of("0123456789") != std::string::npos || w[1].size() > 19)
        rd.error("expected a seed (a decimal number), got '" + w[1] + "'");
      s.seed = std::stoull(w[1]);
      haveSeed = true;
    } else if (w[0] == "servers") {
      arity(2);
      s.servers = static_cast<int>(rd.number(w[1], "servers", 3, 7));
      haveServers = true;
    } else if (w[0] == "snapshots") {
      arity(2);
      s.snapshots = rd.onOff(w[1]);
    } else if (w[0] == "at") {
      if (w.size() < 3) rd.error("expected 'at <seconds> <event>'");
      if (!haveServers) rd.error("'servers' must come before the first 'at'");
      ats.push_back({rd.line, w});
    } else if (w[0] == "stop") {
      arity(2);
      s.stopMs = rd.time(w[1]);
      haveStop = true;
    } else {
      rd.error("unknown statement '" + w[0] + "' (expected seed, servers, snapshots, at or stop)");
    }
  }
  if (!haveSeed) rd.error("no 'seed' line");
  if (!haveServers) rd.error("no 'servers' line");
  if (!haveStop) rd.error("no 'stop' line: the faults must end before the liveness check");
  const int n = s.servers;
  std::int64_t last = 0;
  for (const Pending& p : ats) {
    const std::vector<std::string>& w = p.words;
    rd.line = p.line;
    FaultEvent e;
    e.ms = rd.time(w[1]);
    if (e.ms < last) rd.error("time " + w[1] + " is before the previous event's");
    if (e.ms >= s.stopMs) rd.error("time " + w[1] + " is not before 'stop'");
    last = e.ms;
    const std::string& what = w[2];
    const auto args = [&](std::size_t k) {
      if (w.size() != 3 + k) rd.error("'" + what + "' takes " + std::to_string(k) + " value(s)");
    };
    if (what == "isolate" || what == "connect" || what == "crash" || what == "restart") {
      args(1);
      if (w[3] == "leader" && what != "connect")
        e.server = FaultEvent::kLeader;
      else
        e.server = static_cast<int>(rd.number(w[3], "server", 0, n - 1));
      e.kind = what == "isolate"   ? FaultEvent::Kind::Isolate
               : what == "connect" ? FaultEvent::Kind::Connect
               : what == "crash"   ? FaultEvent::Kind::Crash
                                   : FaultEvent::Kind::Restart;
    } else if (what == "heal") {
      args(0);
      e.kind = FaultEvent::Kind::Heal;
    } else if (what == "unreliable" || what == "reordering") {
      args(1);
      e.kind = what == "unreliable" ? FaultEvent::Kind::Unreliable : FaultEvent::Kind::Reordering;
      e.on = rd.onOff(w[3]);
    } else if (what == "partition") {
      e.kind = FaultEvent::Kind::Partition;
      e.groupOf.assign(static_cast<std::size_t>(n), -1);
      int side = 0;
      for (std::size_t k = 3; k < w.size(); k++) {
        if (w[k] == "|") {
          side++;
          continue;
        }
        const int i = static_cast<int>(rd.number(w[k], "server", 0, n - 1));
        if (e.groupOf[static_cast<std::size_t>(i)] != -1) rd.error("server " + w[k] + " is on two sides");
        e.groupOf[static_cast<std::size_t>(i)] = side;
      }
      for (int i = 0; i < n; i++)
        if (e.groupOf[static_cast<std::size_t>(i)] == -1)
          rd.error("server " + std::to_string(i) + " is on no side (a partition names every server once)");
    } else {
      rd.error("unknown event '" + what +
               "' (expected isolate, connect, partition, heal, crash, restart, unreliable or reordering)");
    }
    s.events.push_back(e);
  }
  return s;
}

Schedule load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ScheduleError(path + ": cannot read the file");
  std::ostringstream os;
  os << f.rdbuf();
  return parse(os.str(), path);
}

}  // namespace tester
