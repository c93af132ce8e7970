// Checking a test's history (Go's kvtest1/porcupine.go).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "kvtest/kvtest.hpp"

namespace kvtest {

namespace {

// The sim backend's budget per key, in search steps: about half a second on
// this project's machines, and well under the simulation's 2 s watchdog,
// which a search (it makes no lab:: call) must not reach.
constexpr std::uint64_t kSimSteps = 2'000'000;

// Where the viewer's page goes: VIS_FILE, else one page per test and backend
// next to the failure timelines.
std::string visPath(const std::string& test) {
  if (const char* f = std::getenv("VIS_FILE"); f && *f) return f;
  const char* dirEnv = std::getenv("LAB_VIS_DIR");
  std::filesystem::path dir = dirEnv && *dirEnv ? dirEnv : "build/timelines";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string name = test;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return (dir / ("porcupine-" + name + "-" + lab::backend() + ".html")).string();
}

}  // namespace

void Test::CheckPorcupine() { CheckPorcupineT(1s); }

void Test::CheckPorcupineT(lab::Duration nsec) {
  porcupine::CheckOptions opts;
  if (std::string_view(lab::backend()) == "sim") {
    // One partition after another in this activity: no thread, no clock.
    opts.threads = 1;
    opts.maxSteps = kSimSteps;
  } else {
    opts.timeout = nsec;
  }
  auto [res, info] = porcupine::checkOperationsVerbose(porcupine::models::kvModel(), oplog_.Read(), opts);
  if (res == porcupine::CheckResult::Illegal) {
    const char* enable = std::getenv("VIS_ENABLE");
    if (!(enable && std::string_view(enable) == "never")) {
      const std::string path = visPath(name_);
      std::string error;
      if (porcupine::visualize(porcupine::models::kvModel(), info, path, name_ + ": history", &error))
        std::printf("info: wrote history visualization to %s\n", path.c_str());
      else
        std::printf("info: failed to write history visualization to %s\n", path.c_str());
      std::fflush(stdout);
    }
    lab::fail("history is not linearizable");
  }
  if (res == porcupine::CheckResult::Unknown) {
    std::printf("info: linearizability check timed out, assuming history is ok\n");
    std::fflush(stdout);
  }
}

}  // namespace kvtest
