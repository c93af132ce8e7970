// Benchmarks, run by `make bench` in each backend. Figures are printed, never
// asserted: compare them across runs and machines.
//
// labrpc round trip: Go's TestBenchmark, 100,000 sequential calls of a
// handler on a reliable network, reported in µs per RPC. A baseline in the
// same run times a bare lab::go + channel hand-off, the floor any Call pays.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lab/chan.hpp"
#include "labrpc/labrpc.hpp"

namespace {

struct Echo {
  void Handler2(const int& args, std::string* reply) { *reply = "handler2-" + std::to_string(args); }
};

using WallClock = std::chrono::steady_clock;

double usPer(WallClock::time_point t0, int n) {
  return std::chrono::duration<double, std::micro>(WallClock::now() - t0).count() / n;
}

void check(const lab::Result& r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, r.summary().c_str());
    std::exit(1);
  }
}

}  // namespace

int main() {
  const int n = std::getenv("BENCH_N") ? std::atoi(std::getenv("BENCH_N")) : 100000;
  lab::Options opts;
  opts.time_limit = std::chrono::hours(1);

  double baseline = 0;
  check(lab::run(opts,
                 [&] {
                   auto t0 = WallClock::now();
                   for (int i = 0; i < n; i++) {
                     lab::Chan<int> done(1);
                     lab::go("handoff", [&] { done.send(i); });
                     done.recv();
                   }
                   baseline = usPer(t0, n);
                 }),
        "baseline");

  double rpc = 0;
  check(lab::run(opts,
                 [&] {
                   auto net = labrpc::MakeNetwork();
                   auto svc = std::make_shared<labrpc::Service>("JunkServer");
                   svc->Handle("Handler2", std::make_shared<Echo>(), &Echo::Handler2);
                   auto srv = std::make_shared<labrpc::Server>();
                   srv->AddService(svc);
                   net->AddServer("server99", srv);
                   auto e = net->MakeEnd("end1-99");
                   net->Connect("end1-99", "server99");
                   net->Enable("end1-99", true);
                   auto t0 = WallClock::now();
                   for (int i = 0; i < n; i++) {
                     std::string reply;
                     e->Call("JunkServer.Handler2", 111, &reply);
                     if (reply != "handler2-111") lab::fail("wrong reply from Handler2");
                   }
                   rpc = usPer(t0, n);
                   net->Cleanup();
                 }),
        "labrpc");

  std::printf("backend %s\n", lab::backend());
  std::printf("  baseline: go + channel hand-off   %8.2f us each (%d)\n", baseline, n);
  std::printf("  labrpc round trip (TestBenchmark) %8.2f us per RPC (%d), %.2fx the baseline\n", rpc, n,
              rpc / baseline);
  return 0;
}
