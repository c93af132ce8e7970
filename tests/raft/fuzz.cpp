// The fault fuzzer: random fault schedules (tester/schedule.hpp) played
// against a cluster under client load, with strict mode's checks on, then a
// liveness check once the faults stop. A failing schedule is shrunk to a
// smallest one that still fails and saved as a file that Fuzz/Replay plays
// again. Disabled, like the timeline demo: the 28 ported tests run as
// before, and these run only when named.
//
//   LAB_FUZZ_SEEDS=200 build/sim/raft_tests --run_test=Fuzz/Search      (make fuzz)
//   LAB_FUZZ_SCHEDULE=build/fuzz/x.sched build/sim/raft_tests --run_test=Fuzz/Replay
//
// Search (sim only: shrinking needs runs that a seed replays exactly) plays
// seeds LAB_FUZZ_FIRST (1) to LAB_FUZZ_FIRST + LAB_FUZZ_SEEDS - 1 (20), one
// line each. At the first failure it shrinks the schedule, writes it to
// LAB_FUZZ_DIR (build/fuzz) as <LAB_FUZZ_TAG>-seed<N>.sched with the failure
// in its header, plays it once more to write the failure timeline, and fails.
// Replay plays one file in either backend (LAB_SEED overrides its seed line).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "tester/schedule.hpp"
#include "tests/raft/common.hpp"

using namespace raft_tests;
using tester::FaultEvent;
using tester::Schedule;

namespace {

std::string env(const char* name, const std::string& otherwise) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : otherwise;
}

long long envNumber(const char* name, long long otherwise) {
  const std::string v = env(name, "");
  if (v.empty()) return otherwise;
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (end == nullptr || *end != '\0' || x < 0) {
    std::fprintf(stderr, "fuzz: %s=%s is not a number\n", name, v.c_str());
    std::exit(2);
  }
  return x;
}

// Sets an environment variable for one scope (the fuzzer's runs are always
// strict; the search's own runs write no timeline).
class EnvOverride {
 public:
  EnvOverride(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~EnvOverride() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  EnvOverride(const EnvOverride&) = delete;
  EnvOverride& operator=(const EnvOverride&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Sends stdout to /dev/null for one scope: the search plays hundreds of runs
// and prints one line per seed of its own (LAB_FUZZ_VERBOSE=1 shows all).
class Quiet {
 public:
  Quiet() {
    if (env("LAB_FUZZ_VERBOSE", "0") != "0") return;
    std::fflush(stdout);
    saved_ = ::dup(1);
    const int null = ::open("/dev/null", O_WRONLY);
    if (saved_ < 0 || null < 0) return;
    ::dup2(null, 1);
    ::close(null);
  }
  ~Quiet() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    ::dup2(saved_, 1);
    ::close(saved_);
  }
  Quiet(const Quiet&) = delete;
  Quiet& operator=(const Quiet&) = delete;

 private:
  int saved_ = -1;
};

// The client load's pause between two rounds, drawn from this range.
constexpr int kLoadMinMs = 20, kLoadMaxMs = 150;

// The running server that claims to lead in the highest term, or -1.
int leaderNow(Config& cfg) {
  int leader = -1, term = -1;
  for (int i = 0; i < cfg.n; i++) {
    if (auto rf = cfg.rafts(i)) {
      const auto st = rf->GetState();
      if (st.isLeader && st.term > term) leader = i, term = st.term;
    }
  }
  return leader;
}

// Plays s in a run of its own, in strict mode, and returns the result.
// `title` goes into the tester's title line.
lab::Result play(const Schedule& s, const std::string& title) {
  EnvOverride strict("LAB_STRICT", "1");
  lab::Options opts;
  opts.seed = s.seed;
  opts.time_limit = 120s;
  opts.test = "Fuzz/" + title;
  return lab::run(opts, [&s, &title] {
    const int n = s.servers;
    auto cfg = make_config(n, false, s.snapshots);
    Cleanup cleanup(cfg);
    cfg->begin("Fuzz: " + title + " (" + std::to_string(s.events.size()) + " faults)");
    const Config::Applier applier = s.snapshots ? &Config::applierSnap : &Config::applier;
    const lab::Duration t0 = lab::now();

    // Client load: every few tens of ms, ask every running server its state
    // (strict mode checks each answer: one leader per term, terms never go
    // back) and, every other time, offer each a new command.
    auto stop = std::make_shared<std::atomic<bool>>(false);
    lab::go("fuzz client load", [cfg, stop, n] {
      int next = 100;
      while (!stop->load()) {
        lab::sleep_for(std::chrono::milliseconds(kLoadMinMs + lab::rand_intn(kLoadMaxMs - kLoadMinMs + 1)));
        const bool offer = lab::rand_intn(2) == 0;
        if (offer) next++;
        for (int i = 0; i < n; i++) {
          auto rf = cfg->rafts(i);
          if (!rf) continue;
          rf->GetState();
          if (offer) rf->Start(Command(next));
        }
      }
    });

    std::vector<bool> alive(static_cast<std::size_t>(n), true), isolated(static_cast<std::size_t>(n), false);
    for (FaultEvent e : s.events) {
      const lab::Duration at = t0 + std::chrono::milliseconds(e.ms);
      if (at > lab::now()) lab::sleep_for(at - lab::now());
      std::string what = "fault: " + tester::describe(e);
      if (e.server == FaultEvent::kLeader) {
        e.server = leaderNow(*cfg);
        if (e.server < 0) {
          cfg->note(what + ": no server claims to lead, nothing done");
          continue;
        }
        what += " (server " + std::to_string(e.server) + ")";
      }
      cfg->note(what);
      const auto i = static_cast<std::size_t>(e.server);
      switch (e.kind) {
        case FaultEvent::Kind::Isolate:
          isolated[i] = true;
          cfg->disconnect(e.server);
          break;
        case FaultEvent::Kind::Connect:
          isolated[i] = false;
          if (alive[i]) cfg->connect(e.server);
          break;
        case FaultEvent::Kind::Partition:
          cfg->partition(e.groupOf);
          break;
        case FaultEvent::Kind::Heal:
          cfg->partition(std::vector<int>(static_cast<std::size_t>(n), 0));
          for (int k = 0; k < n; k++) {
            isolated[static_cast<std::size_t>(k)] = false;
            if (alive[static_cast<std::size_t>(k)]) cfg->connect(k);
          }
          break;
        case FaultEvent::Kind::Crash:
          if (alive[i]) cfg->crash1(e.server);
          alive[i] = false;
          break;
        case FaultEvent::Kind::Restart:  // of a running server: a reboot
          cfg->start1(e.server, applier);
          alive[i] = true;
          if (!isolated[i]) cfg->connect(e.server);
          break;
        case FaultEvent::Kind::Unreliable:
          cfg->setunreliable(e.on);
          break;
        case FaultEvent::Kind::Reordering:
          cfg->setlongreordering(e.on);
          break;
      }
    }
    const lab::Duration stopAt = t0 + std::chrono::milliseconds(s.stopMs);
    if (stopAt > lab::now()) lab::sleep_for(stopAt - lab::now());

    // The faults stop: a reliable network, one side, every server running
    // and connected. A correct Raft now elects one leader and commits a new
    // command on every server, within one()'s bound.
    cfg->note("faults stop: heal, restart, reliable; liveness check");
    stop->store(true);
    cfg->setunreliable(false);
    cfg->setlongreordering(false);
    cfg->partition(std::vector<int>(static_cast<std::size_t>(n), 0));
    for (int k = 0; k < n; k++) {
      if (!alive[static_cast<std::size_t>(k)]) cfg->start1(k, applier);
      cfg->connect(k);
    }
    cfg->checkOneLeader();
    cfg->one(Command(std::string("after the faults")), n, true);
    cfg->end();
  });
}

// Plays s as a test does: the seed line, the run, the timeline (whose page
// shows `replay`), the trace line.
lab::Result playRecorded(const Schedule& s, const std::string& title, const std::string& replay) {
  labtest::announce_seed(s.seed);
  lab::Result r = play(s, title);
  labtest::announce_trace(r);
  tester::Timeline::finishRun(title, r, replay);
  return r;
}

// A run of the search: quiet, strict, no timeline.
lab::Result playQuietly(const Schedule& s) {
  EnvOverride vis("LAB_VIS", "never");
  Quiet quiet;
  lab::Result r = play(s, "seed" + std::to_string(s.seed));
  tester::Timeline::finishRun("", r);
  return r;
}

// The command that plays the schedule file at path with this binary.
std::string replayCommand(const std::string& path) {
  return "LAB_FUZZ_SCHEDULE=" + path + " " + boost::unit_test::framework::master_test_suite().argv[0] +
         " --run_test=Fuzz/Replay";
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string firstFailure(const lab::Result& r) {
  return r.failures.empty() ? lab::to_string(r.outcome) : firstLine(r.failures.front());
}

// Delta debugging over the events: delete chunks (halves first, then
// smaller, down to single events) as long as the run still fails, with the
// same seed. Ends with a schedule from which no single event can be deleted.
// Any failure counts, so the result may fail in another way than the
// original; its header says how each failed.
Schedule shrink(Schedule s, int maxRuns, int& runs) {
  std::size_t parts = 2;
  while (!s.events.empty() && runs < maxRuns) {
    const std::size_t size = s.events.size();
    const std::size_t chunk = (size + parts - 1) / parts;
    bool smaller = false;
    for (std::size_t from = 0; from < size && runs < maxRuns; from += chunk) {
      Schedule c = s;
      c.events.erase(c.events.begin() + static_cast<std::ptrdiff_t>(from),
                     c.events.begin() + static_cast<std::ptrdiff_t>(std::min(size, from + chunk)));
      runs++;
      if (!playQuietly(c).ok()) {
        s = c;
        parts = std::max<std::size_t>(parts - 1, 2);
        smaller = true;
        break;
      }
    }
    if (smaller) continue;
    if (chunk == 1) break;
    parts = std::min(parts * 2, size);
  }
  // Then the end of the faults, as early as it will go (by halves) while
  // the run still fails: a failure long before `stop` needs no more.
  std::int64_t lo = s.events.empty() ? 1 : s.events.back().ms + 1, hi = s.stopMs;
  while (lo < hi && runs < maxRuns) {
    Schedule c = s;
    c.stopMs = lo + (hi - lo) / 2;
    runs++;
    if (!playQuietly(c).ok()) {
      s = c;
      hi = c.stopMs;
    } else {
      lo = c.stopMs + 1;
    }
  }
  return s;
}

double wallSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Fuzz, *boost::unit_test::disabled())

BOOST_AUTO_TEST_CASE(Search) {
  if (std::string_view(lab::backend()) != "sim")
    BOOST_FAIL("the fuzzer's search runs in the sim backend only: shrinking needs runs that a seed replays exactly");
  const auto first = static_cast<std::uint64_t>(envNumber("LAB_FUZZ_FIRST", 1));
  const long long count = envNumber("LAB_FUZZ_SEEDS", 20);
  const std::string dir = env("LAB_FUZZ_DIR", "build/fuzz");
  const std::string tag = env("LAB_FUZZ_TAG", "fuzz");
  const int maxShrinkRuns = static_cast<int>(envNumber("LAB_FUZZ_SHRINK_RUNS", 400));
  std::printf("fuzz: seeds %llu to %llu, strict mode, schedules of failures in %s/\n",
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + count - 1), dir.c_str());
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  for (long long k = 0; k < count; k++) {
    const Schedule s = tester::generate(first + static_cast<std::uint64_t>(k));
    const auto t = std::chrono::steady_clock::now();
    const lab::Result r = playQuietly(s);
    std::printf("fuzz: seed %llu: %s (%d servers, snapshots %s, %zu faults, %.1f s virtual, %.2f s wall)%s%s\n",
                static_cast<unsigned long long>(s.seed), r.ok() ? "passed" : "FAILED", s.servers,
                s.snapshots ? "on" : "off", s.events.size(), std::chrono::duration<double>(r.elapsed).count(),
                wallSince(t), r.ok() ? "" : ": ", r.ok() ? "" : firstFailure(r).c_str());
    std::fflush(stdout);
    if (r.ok()) continue;

    // Shrink, then save and replay what is left.
    int runs = 0;
    const auto t1 = std::chrono::steady_clock::now();
    const Schedule small = shrink(s, maxShrinkRuns, runs);
    const lab::Result again = playQuietly(small);
    if (again.ok()) BOOST_FAIL("fuzz: the shrunk schedule passes when played again: a run that its seed does not replay");
    std::printf("fuzz: shrunk from %zu faults to %zu in %d runs (%.1f s wall)\n", s.events.size(), small.events.size(),
                runs, wallSince(t1));
    std::filesystem::create_directories(dir);
    const std::string name = tag + "-seed" + std::to_string(s.seed);
    const std::string path = dir + "/" + name + ".sched";
    std::ofstream(path) << tester::format(
        small, {"A fault schedule that fails, shrunk by the fuzzer (tests/raft/fuzz.cpp) from seed " +
                    std::to_string(s.seed) + "'s " + std::to_string(s.events.size()) + " faults.",
                "Replay: " + replayCommand(path),
                "(for the tree's own Raft: make lab TEST=Fuzz/Replay LAB_FUZZ_SCHEDULE=" + path + ")",
                "first failure: " + firstFailure(r), "this schedule's: " + firstFailure(again)});
    std::printf("fuzz: wrote %s\n", path.c_str());
    std::printf("%s", tester::format(small).c_str());
    std::fflush(stdout);
    // Once more, as Replay plays it, for the timeline and the full message.
    const lab::Result shown = playRecorded(small, name, replayCommand(path));
    BOOST_FAIL("fuzz: seed " + std::to_string(s.seed) + " fails; shrunk to " + std::to_string(small.events.size()) +
               " faults in " + path + ":\n" + shown.summary());
  }
  const double secs = wallSince(start);
  std::printf("fuzz: %lld seeds passed in %.1f s of wall time (%.0f seeds per minute)\n", count, secs,
              secs > 0 ? 60.0 * static_cast<double>(count) / secs : 0.0);
}

BOOST_AUTO_TEST_CASE(Replay) {
  const std::string path = env("LAB_FUZZ_SCHEDULE", "");
  if (path.empty()) BOOST_FAIL("set LAB_FUZZ_SCHEDULE to a schedule file (as Fuzz/Search writes them)");
  Schedule s;
  try {
    s = tester::load(path);
  } catch (const tester::ScheduleError& e) {
    BOOST_FAIL(e.what());
  }
  if (!env("LAB_SEED", "").empty()) s.seed = lab::seed_from_env();
  const lab::Result r = playRecorded(s, std::filesystem::path(path).stem().string(), replayCommand(path));
  LAB_REQUIRE_PASSED(r);
}

// The file format: what format() writes, parse() reads back as it was, and a
// mistake names its file and line.
BOOST_AUTO_TEST_CASE(Schedule_format_roundTrips) {
  for (std::uint64_t seed = 1; seed <= 50; seed++) {
    const Schedule s = tester::generate(seed);
    BOOST_TEST_REQUIRE(!s.events.empty());
    const Schedule back = tester::parse(tester::format(s, {"a comment"}), "x.sched");
    BOOST_TEST((back == s), "seed " << seed << " reads back differently:\n" << tester::format(s));
  }
}

BOOST_AUTO_TEST_CASE(Schedule_parse_namesFileAndLine) {
  const auto error = [](const std::string& text) {
    try {
      tester::parse(text, "f.sched");
    } catch (const tester::ScheduleError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = "seed 3\nservers 3\n";
  BOOST_TEST(error(head + "at 1.0 crash 3\nstop 2\n") == "f.sched:3: server 3 is out of range (0 to 2)");
  BOOST_TEST(error(head + "at 2.0 heal\nat 1.5 heal\nstop 3\n") == "f.sched:4: time 1.5 is before the previous event's");
  BOOST_TEST(error(head + "at 1.0 partition 0 | 1\nstop 3\n") ==
             "f.sched:3: server 2 is on no side (a partition names every server once)");
  BOOST_TEST(error(head + "at 1.0 unreliable maybe\nstop 3\n") == "f.sched:3: expected on or off, got 'maybe'");
  BOOST_TEST(error(head + "at 1.0 heal\n") ==
             "f.sched:3: no 'stop' line: the faults must end before the liveness check");
  BOOST_TEST(error(head + "at 4.0 heal\nstop 3\n") == "f.sched:3: time 4.0 is not before 'stop'");
  BOOST_TEST(error("seed 1\nat 1 heal\n") == "f.sched:2: 'servers' must come before the first 'at'");
  BOOST_TEST(error(head + "# fine\nwait 2\n") ==
             "f.sched:4: unknown statement 'wait' (expected seed, servers, snapshots, at or stop)");
  BOOST_TEST(error(head + "at 0.5 isolate 1 # a comment\nstop 1.25\n") == "no error");
}

BOOST_AUTO_TEST_SUITE_END()
