// The time of each corpus history (make porcupine-bench): one line per
// history, "<name> <answer> <seconds>", then the total and the five slowest.
// Times the plain check (not verbose, no time-out, threads as cores), as the
// checker's users call it.
//
//   build/real/porcupine_bench [--verbose] [--threads N] [--timeout-ms T] [--only NAME] [corpus folder]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "porcupine/checker.hpp"
#include "porcupine/models/append_kv.hpp"
#include "porcupine/models/register.hpp"
#include "tests/porcupine/corpus.hpp"

namespace {

template <class F>
double seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = corpus::root(), only;
  bool verbose = false;
  porcupine::CheckOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--verbose") {
      verbose = true;
    } else if (arg == "--threads" && i + 1 < argc) {
      options.threads = std::stoi(argv[++i]);
    } else if (arg == "--timeout-ms" && i + 1 < argc) {
      options.timeout = std::chrono::milliseconds(std::stoi(argv[++i]));
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      dir = arg;
    }
  }
  auto check = [&](const auto& model, const auto& events) {
    return verbose ? porcupine::checkEventsVerbose(model, events, options).first
                   : porcupine::checkEvents(model, events, options);
  };
  std::vector<std::pair<std::string, std::string>> cases;  // (name, path)
  for (int i = 0; i <= 102; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "etcd_%03d", i);
    cases.emplace_back(name, dir + "/jepsen/" + name + ".log");
  }
  for (const char* c : {"c01", "c10", "c50"}) {
    for (const char* kind : {"ok", "bad"}) {
      const std::string name = std::string(c) + "-" + kind;
      cases.emplace_back(name, dir + "/kv/" + name + ".txt");
    }
  }
  std::vector<std::pair<double, std::string>> times;
  double total = 0;
  for (const auto& [name, path] : cases) {
    if (!std::filesystem::exists(path) || (!only.empty() && name != only)) continue;
    porcupine::CheckResult result{};
    double t = 0;
    if (name.rfind("etcd_", 0) == 0) {
      const auto events = corpus::readJepsenLog(path);
      t = seconds([&] { result = check(porcupine::models::registerModel(), events); });
    } else {
      const auto events = corpus::readKvLog(path);
      t = seconds([&] { result = check(porcupine::models::appendKvModel(), events); });
    }
    std::printf("%s %s %.6f\n", name.c_str(), porcupine::toString(result).c_str(), t);
    std::fflush(stdout);
    times.emplace_back(t, name);
    total += t;
  }
  std::sort(times.rbegin(), times.rend());
  std::printf("total %zu histories %.3f s; slowest:", times.size(), total);
  for (std::size_t i = 0; i < std::min<std::size_t>(5, times.size()); ++i) {
    std::printf(" %s %.3f s%s", times[i].second.c_str(), times[i].first, i + 1 < 5 ? "," : "");
  }
  std::printf("\n");
  return 0;
}
