// tester/timeline.hpp — the failure timeline: a recorder of one test
// run, written as one self-contained HTML file when the test fails.
//
//   LAB_VIS unset or "fail"   record every Raft test; write the failed ones
//   LAB_VIS=always            write every test
//   LAB_VIS=never             record nothing
//   LAB_VIS_DIR=<dir>         where to write (default build/timelines)
//
// The tester (Config) makes one Timeline per test and feeds it: crashes and
// restarts, connects and disconnects, the appliers' progress, its own checks
// (begin, end, one(), checkOneLeader) and every RPC, through labrpc's
// Network::SetObserver. Raft feeds it through raftapi/report.hpp:
// report_role() on every role or term change, annotate() for marks of the
// student's own. After the run, Timeline::finishRun() adds the run's failures
// from lab::Result and writes the file; the page (timeline.html) draws one
// lane per server with zoom, pan and details on hover.
//
// Memory is bounded: the newest kMaxRpcs calls and kMaxEvents other events
// are kept, older ones are counted as dropped. Recording never blocks on
// anything but its own lab::Mutex and never touches the run's random source,
// so it changes nothing a test checks, nor a seed's run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lab/lab.hpp"
#include "labrpc/labrpc.hpp"
#include "raftapi/report.hpp"

namespace tester {

class Timeline final : public raftapi::Reporter, public std::enable_shared_from_this<Timeline> {
 public:
  static constexpr std::size_t kMaxRpcs = 200000;
  static constexpr std::size_t kMaxEvents = 100000;
  static constexpr std::size_t kMaxText = 300;  // characters of an annotation or command

  // A fresh recorder for a run of n servers, now the process's current one
  // (the one finishRun() writes). Records nothing when LAB_VIS=never.
  static std::shared_ptr<Timeline> make(int n);

  explicit Timeline(int n, bool on);
  bool on() const { return on_; }

  // Sees every call on net (Network::SetObserver). Call once.
  void watch(labrpc::Network& net);
  // From the tester.
  void endNames(int from, const std::vector<std::string>& names);  // names[to]
  void crashed(int server);
  void started(int server);
  void connected(int server, bool yes);
  void applied(int server, int index);
  void snapshot(int server, int index);
  void begin(const std::string& description);
  void end();
  void oneStart(const std::string& cmd, int expectedServers);
  void oneDone(const std::string& cmd, int index);
  void leaderFound(int leader, int term);
  void note(const std::string& text);  // a mark on the tester's lane
  // From labrpc's observer.
  void rpc(const labrpc::CallEvent& ev);
  // From Raft (raftapi/report.hpp).
  void role(int server, int term, raftapi::Role role) override;
  void annotate(int server, std::string_view text) override;

  // After the run: for the process's current Timeline (if any), adds the
  // failures of r, writes the HTML file when r failed or LAB_VIS=always,
  // prints "timeline: <path>" and detaches the recorder. Returns the path or "".
  // `replay` is the command the page shows to run it again (default: the
  // test by name, with its LAB_SEED).
  static std::string finishRun(const std::string& testName, const lab::Result& r, const std::string& replay = "");

 private:
  enum class Kind : std::uint8_t {
    Role, Applied, Snapshot, Crash, Start, Connect, Disconnect, Annotate, Begin, End, OneStart, OneDone, Leader,
  };
  struct Event {
    std::int64_t t;  // ns since the run began
    std::int16_t server;  // -1: the tester
    Kind kind;
    std::int32_t a, b;  // Role: term, role; Applied/Snapshot: index; OneStart: expected; OneDone: index; Leader: term
    std::string text;
  };
  struct Rpc {
    std::int64_t start, end;  // ns
    std::int16_t from, to;
    std::uint8_t method;
    labrpc::CallFate fate;
    std::uint32_t argsBytes, replyBytes;
  };
  // The newest `cap` items, oldest first once it wraps.
  template <class T>
  struct Ring {
    std::vector<T> items;
    std::size_t next = 0;  // where the next item goes once full
    std::uint64_t dropped = 0;
    void push(T v, std::size_t cap);
    template <class F>
    void each(F f) const;
  };

  void add(std::int16_t server, Kind kind, std::int32_t a, std::int32_t b, std::string text = {});
  std::string json(const std::string& testName, const lab::Result& r, const std::string& replay) const;
  std::string write(const std::string& testName, const lab::Result& r, const std::string& replay) const;

  const int n_;
  const bool on_;
  lab::Mutex mu_;
  std::unordered_map<std::string, std::pair<std::int16_t, std::int16_t>> ends_ LAB_GUARDED_BY(mu_);
  std::vector<std::string> methods_ LAB_GUARDED_BY(mu_);
  std::vector<bool> up_ LAB_GUARDED_BY(mu_);  // not crashed: a crashed instance's reports are dropped
  Ring<Event> events_ LAB_GUARDED_BY(mu_);
  Ring<Rpc> rpcs_ LAB_GUARDED_BY(mu_);
  std::uint64_t strayRpcs_ LAB_GUARDED_BY(mu_) = 0;  // calls on ends the tester did not name
};

}  // namespace tester
