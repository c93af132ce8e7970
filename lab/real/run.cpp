// lab::run over real threads: the root, the time limit and the Result; how a
// run is cancelled (fail, shutdown, the end of the root) and reports what
// stays alive; and the run's seeded random source and trace.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lab/common.hpp"
#include "lab/lab.hpp"
#include "lab/real/internal.hpp"

namespace lab {
namespace detail {

std::string stamp(RunState& rs, const std::string& name) {
  return "activity '" + name + "', t=" +
         format_seconds(std::chrono::duration_cast<Duration>(Clock::now() - rs.start));
}

// Requires rs.m. Cancels every activity of the run but `except`, drops the
// pending timers, and stops new activities from starting.
void cancel_locked(RunState& rs, Activity* except) {
  rs.stopping = true;
  for (auto& [id, a] : rs.live)
    if (a != except) a->stop.request_stop();
  // Timers are touched only on the I/O thread; cancel them there.
  if (!rs.timers.empty()) {
    boost::asio::post(io(), [keep = rs.shared_from_this()] {
      std::lock_guard lk(keep->m);
      for (auto* t : keep->timers) t->cancel();
    });
  }
  rs.cv.notify_all();
}

void record_failure_locked(RunState& rs, std::string msg, Outcome why) {
  if (rs.outcome == Outcome::Passed) rs.outcome = why;
  rs.record.record(msg);
  rs.failures.push_back(std::move(msg));
  cancel_locked(rs, nullptr);
}

std::string live_report_locked(RunState& rs, const Activity* except) {
  std::vector<ReportLine> lines;
  for (auto& [id, a] : rs.live) {
    if (a == except) continue;
    const char* op = a->blocked_in.load();
    const char* label = a->label.load();
    lines.push_back(
        ReportLine{id, a->name,
                   op ? std::string("blocked in ") + (label ? std::string(label) + " (" + op + ")" : std::string(op))
                      : std::string("running (not in a lab:: call)")});
  }
  return group_report(lines);
}

std::string live_activities() {
  Activity* a = tl_act;
  if (a == nullptr) abort_process("lab::detail::live_activities() called outside a run");
  std::lock_guard lk(a->run->m);
  return live_report_locked(*a->run, nullptr);
}

std::string busiest_locked(RunState& rs) {
  const Activity* top = nullptr;
  std::uint64_t most = 0;
  for (auto& [id, a] : rs.live) {
    const std::uint64_t n = a->ops.load(std::memory_order_relaxed);
    if (n > most) {
      most = n;
      top = a;
    }
  }
  if (top == nullptr) return "";
  std::string s = "\n  busiest: '" + top->name + "' (#" + std::to_string(top->id);
  if (*top->started_at.file) s += ", started at " + site(top->started_at);
  s += ") with " + std::to_string(most) + " lab:: calls";
  const char* what = top->last_what.load(std::memory_order_relaxed);
  const char* file = top->last_file.load(std::memory_order_relaxed);
  if (what && file) {
    std::string at = std::string(file) + ":" + std::to_string(top->last_line.load(std::memory_order_relaxed));
    if (at.starts_with("./")) at = at.substr(2);
    s += ", the last " + std::string(what) + (at.starts_with("lab/") ? std::string() : " at " + at);
  }
  return s;
}

}  // namespace detail

using namespace detail;

// --- the free functions ------------------------------------------------------------

// Requires rs.m. Waits up to the grace period until only `self` (if any) is
// left and no timer is pending; otherwise reports the rest as stuck.
void join_locked(RunState& rs, std::unique_lock<std::mutex>& lk, Activity* self, std::uint64_t& stuck) {
  const std::size_t keep = self ? 1 : 0;
  if (rs.cv.wait_for(lk, rs.opt.grace, [&] { return rs.live.size() == keep && rs.timers.empty(); })) return;
  stuck = rs.live.size() - keep;
  std::string msg = std::to_string(stuck) +
                    " activities did not end after the run was cancelled (a wait in cleanup code, such as a "
                    "Kill() or a destructor, that nothing ends within the grace of " +
                    format_seconds(rs.opt.grace) +
                    " s; a wait outside lab::; a swallowed lab::Killed; or a loop that kept going); abandoned:" +
                    live_report_locked(rs, self);
  rs.record.record(msg);
  rs.failures.push_back(std::move(msg));
  if (rs.outcome == Outcome::Passed) rs.outcome = Outcome::Failed;
}

Result run(const Options& opts, std::function<void()> root) {
  install_crash_handlers();
  auto rs = std::make_shared<RunState>(opts);
  std::unique_lock lk(rs->m);
  spawn_locked(rs, opts.name, std::move(root), true);
  auto limit = rs->start + opts.time_limit;
  if (!rs->cv.wait_until(lk, limit, [&] { return rs->root_done || rs->outcome != Outcome::Passed; })) {
    record_failure_locked(*rs,
                          "time limit of " + format_seconds(opts.time_limit) +
                              " s exceeded; activities still alive:" + live_report_locked(*rs) + busiest_locked(*rs),
                          Outcome::TimeLimit);
  }
  cancel_locked(*rs, nullptr);
  Result r;
  join_locked(*rs, lk, nullptr, r.stuck);
  r.outcome = rs->outcome;
  r.failures = rs->failures;
  r.seed = opts.seed;
  r.elapsed = std::chrono::duration_cast<Duration>(Clock::now() - rs->start);
  r.trace_hash = rs->trace_hash;
  r.trace_lines = rs->trace_lines;
  r.spawned = rs->next_id;
  rs->record.end();
  return r;
}

void shutdown() {
  Activity& a = require_activity("lab::shutdown");
  RunState& rs = *a.run;
  std::unique_lock lk(rs.m);
  cancel_locked(rs, &a);
  std::uint64_t stuck = 0;
  join_locked(rs, lk, &a, stuck);
}

void fail(std::string msg) {
  Activity& a = require_activity("lab::fail");
  {
    std::lock_guard lk(a.run->m);
    record_failure_locked(*a.run, msg + " (" + stamp(*a.run, a.name) + ")", Outcome::Failed);
  }
  if (!a.may_throw()) {
    // In cleanup code a throw could leave a destructor and end the process:
    // this thread waits for good instead, and the run reports it abandoned.
    a.blocked_in.store("lab::fail in cleanup code (parked for good)");
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  throw Killed{};
}

std::uint64_t rand_u64() {
  if (tl_act == nullptr) {
    static std::mutex m;
    static std::mt19937_64 g(std::random_device{}());
    std::lock_guard lk(m);
    return g();
  }
  RunState& rs = *tl_act->run;
  std::lock_guard lk(rs.rng_mu);
  return rs.rng();
}

void trace(std::string_view line) {
  Activity& a = require_activity("lab::trace");
  std::lock_guard lk(a.run->m);
  a.run->trace_hash = fnv1a(a.run->trace_hash, line);
  a.run->trace_hash = fnv1a(a.run->trace_hash, "\n");
  ++a.run->trace_lines;
}

bool trace_enabled() { return false; }

}  // namespace lab
