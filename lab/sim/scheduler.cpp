// The simulation thread of a run: the seeded scheduling algorithm over its
// fibers, their stacks, how activities start and end, and the virtual clock;
// with them the lab:: verbs that start activities or let time pass.
#include <boost/context/stack_context.hpp>
#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/properties.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "lab/common.hpp"
#include "lab/lab.hpp"
#include "lab/sim/internal.hpp"

namespace lab {
namespace detail {

constexpr std::size_t kReleaseBatch = 16;  // ended fibers before the dispatcher frees them

// A Boost.Context stack allocator over a StackPool.
class PooledStack {
 public:
  explicit PooledStack(std::shared_ptr<StackPool> pool) : pool_(std::move(pool)) {}
  boost::context::stack_context allocate() {
    boost::context::stack_context sc;
    sc.size = kStackSize;
    sc.sp = static_cast<char*>(pool_->take()) + kStackSize;
    return sc;
  }
  void deallocate(boost::context::stack_context& sc) noexcept {
    pool_->give(static_cast<char*>(sc.sp) - sc.size);
  }

 private:
  std::shared_ptr<StackPool> pool_;
};

// Ties a Boost context to its activity, so pick_next() knows who runs next.
struct SimProps final : bf::fiber_properties {
  explicit SimProps(bf::context* c) : bf::fiber_properties(c) {}
  FiberRec* rec = nullptr;
};

// --- the scheduling algorithm -------------------------------------------------

class SimAlgo final : public bf::algo::algorithm {
 public:
  explicit SimAlgo(Sim* s) : sim_(s) { s->algo = this; }

  void awakened(bf::context* ctx) noexcept override {
    if (ctx->is_context(bf::type::dispatcher_context)) {
      dispatcher_ = ctx;
      return;
    }
    if (ctx == yielding_) {
      yielding_ = nullptr;
      yielded_.push_back(ctx);
      return;
    }
    if (sim_ && sim_->spawning && ctx->get_properties() == nullptr &&
        ctx->is_context(bf::type::worker_context)) {
      auto* p = new SimProps(ctx);
      p->rec = sim_->spawning;
      ctx->set_properties(p);
    }
    ready_.push_back(ctx);
  }

  bf::context* pick_next() noexcept override {
    bf::context* next;
    if (sim_ && sim_->ended_unreleased >= kReleaseBatch && dispatcher_) {
      // Boost frees ended fibers (and their stacks) only on the dispatcher,
      // which otherwise runs only when nothing is ready: let it run now, or
      // a busy run keeps thousands of dead stacks and maps new ones.
      sim_->ended_unreleased = 0;
      next = dispatcher_;
      dispatcher_ = nullptr;
    } else if (!ready_.empty()) {
      std::size_t n = ready_.size();
      std::size_t i = (n == 1 || !sim_) ? 0 : static_cast<std::size_t>(sim_->sched_rand() % n);
      next = ready_[i];
      if (i + 1 != n) ready_[i] = ready_.back();
      ready_.pop_back();
    } else if (dispatcher_) {
      next = dispatcher_;
      dispatcher_ = nullptr;
    } else {
      return nullptr;
    }
    if (sim_) {
      auto* p = static_cast<SimProps*>(next->get_properties());
      FiberRec* r = p ? p->rec : nullptr;
      Probe& pr = sim_->probe;
      pr.current.store(r, std::memory_order_relaxed);
      pr.progress.store(pr.progress.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      if (r) ++r->switches;
    }
    return next;
  }

  bool has_ready_fibers() const noexcept override { return !ready_.empty(); }

  void suspend_until(std::chrono::steady_clock::time_point const& tp) noexcept override {
    if (sim_) sim_->on_idle(tp);
  }

  void notify() noexcept override {}

  bool has_yielded() const { return !yielded_.empty(); }
  void release_yielded() {
    for (auto* c : yielded_) ready_.push_back(c);
    yielded_.clear();
  }

  Sim* sim_;
  bf::context* yielding_ = nullptr;  // the context inside lab::yield()

 private:
  std::vector<bf::context*> ready_;
  std::vector<bf::context*> yielded_;
  bf::context* dispatcher_ = nullptr;
};

// --- activities ---------------------------------------------------------------

void Sim::spawn(std::string name, std::function<void()> fn, bool root, Where where) {
  auto rec = std::make_unique<FiberRec>();
  rec->id = ++next_id;
  rec->name = std::move(name);
  rec->started_at = where;
  FiberRec* r = rec.get();
  live.emplace(r->id, std::move(rec));
  spawning = r;
  bf::fiber f(bf::launch::post, std::allocator_arg, PooledStack(stacks),
              [this, r, root, fn = std::move(fn)]() mutable { body(r, fn, root); });
  spawning = nullptr;
  f.detach();
}

void Sim::body(FiberRec* r, std::function<void()>& fn, bool root) {
  if (root || !r->killed) {
    try {
      fn();
    } catch (const Killed&) {
    } catch (...) {
      record_failure("uncaught exception " + current_exception_story() + " (" + stamp(r->name) + ")",
                     Outcome::Failed);
    }
  }
  {
    // Captured state dies while the activity still counts as live, as
    // cleanup code: a destructor there may wait (join what it started), and
    // never throws lab::Killed out of itself.
    r->throw_at = -1;
    fn = nullptr;
  }
  if (root) stop();
  static_cast<SimProps*>(bf::context::active()->get_properties())->rec = nullptr;
  probe.current.store(nullptr, std::memory_order_relaxed);
  live.erase(r->id);
  ++ended_unreleased;
  if (shutdown_wid) wake(shutdown_wid, Wake::Notified);  // it re-checks who is left
  if (live.empty()) wake_main();
}

// --- reports ---------------------------------------------------------------------

std::string Sim::live_report() const {
  std::vector<ReportLine> lines;
  for (const auto& [id, r] : live) {
    std::string state;
    if (r->abandoned)
      state = std::string("parked for good: ") + (r->op ? r->op : "?");
    else if (r->op && r->label)
      state = std::string("blocked in ") + r->label + " (" + r->op + ")";
    else if (r->op)
      state = std::string("blocked in ") + r->op;
    else if (r.get() == current())
      state = "running (not in a lab:: call)";
    else
      state = "blocked outside lab:: (a raw Boost.Fiber wait?)";
    if (!r->abandoned && r->killed && r->waiting && !r->waiting->cancellable) state += " in cleanup code";
    lines.push_back(ReportLine{id, r->name, std::move(state)});
  }
  return group_report(lines);
}

std::string live_activities() { return sim_or_die("lab::detail::live_activities").live_report(); }

namespace {
// "'S0 ticker' (#7, go at raft/raft.cpp:60): 412345 switches, 824690 lab:: calls, the last labrpc Call at raft/x.cpp:9"
std::string busy_line(const FiberRec& r) {
  std::string s = "'" + r.name + "' (#" + std::to_string(r.id);
  if (*r.started_at.file && r.name != "go@" + site(r.started_at)) s += ", started at " + site(r.started_at);
  s += "): " + std::to_string(r.switches) + " context switches, " + std::to_string(r.ops) + " lab:: calls";
  if (r.last_what) {
    s += ", the last " + std::string(r.last_what);
    if (r.last_has_site && !inside_lab(r.last_at)) s += " at " + site(r.last_at);
  }
  return s;
}
}  // namespace

std::string Sim::livelock_report(std::int64_t frozen_ms) const {
  std::vector<const FiberRec*> busy;
  for (const auto& [id, r] : live)
    if (r->switches + r->ops > 0) busy.push_back(r.get());
  std::stable_sort(busy.begin(), busy.end(),
                   [](const FiberRec* a, const FiberRec* b) { return a->switches + a->ops > b->switches + b->ops; });
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(frozen_ms) / 1000);
  std::string s = "livelock at t=" + format_seconds(Duration(now())) + ": virtual time stood still for " + secs +
                  " s of wall time while activities kept running";
  if (!busy.empty()) s += ", the busiest " + busy_line(*busy.front());
  s += ". Nothing waits long enough for time to pass: a loop that retries labrpc Call, or polls a channel or a "
       "flag, without lab::sleep_for? The busiest:";
  for (std::size_t i = 0; i < busy.size() && i < 5; i++) s += "\n    " + busy_line(*busy[i]);
  if (busy.empty()) s += " (none: the runtime itself?)";
  return s;
}

// Called on the dispatcher when no fiber is ready: the only place the virtual
// clock moves. Must not throw.
void Sim::on_idle(std::chrono::steady_clock::time_point tp) {
  if (tp != std::chrono::steady_clock::time_point::max()) {
    std::string who = "(unknown)";
    for (const auto& [id, r] : live)
      if (r->op == nullptr) {
        who = "'" + r->name + "'";
        break;
      }
    sim_abort("a Boost.Fiber timed operation (boost::this_fiber::sleep_for/sleep_until, or a wait_for/"
              "wait_until on a Boost.Fiber primitive) was used inside the simulation; it runs on the real "
              "clock. Use lab::sleep_for / lab::CondVar (activity " +
              who + ", virtual t=" + format_seconds(Duration(now())) + ")");
  }
  if (stopping) {
    if (algo->has_yielded()) {
      algo->release_yielded();
      return;
    }
    // Cleanup code waiting with a deadline (sleep_for, wait_until): its
    // time passes, up to the grace after the cancellation.
    while (!timers.empty() && timers.begin()->first.first <= stop_ns + opt.grace.count()) {
      const std::int64_t t = timers.begin()->first.first;
      probe.now_ns.store(std::max(t, now()), std::memory_order_relaxed);
      bool any = false;
      while (!timers.empty() && timers.begin()->first.first == t) {
        auto nh = timers.extract(timers.begin());
        if (std::uint64_t wid = nh.mapped().wid) {
          if (Waiter* w = lookup(wid)) w->has_timer = false;
          any |= wake(wid, Wake::Timeout);
        }
      }
      if (any) return;
    }
    if (!live.empty() && !gave_up) {  // nothing can run, yet some activities are alive
      gave_up = true;
      stuck = live.size();
      std::string msg = std::to_string(live.size()) +
                        " activities did not end after the run was cancelled (a wait in cleanup code, such as "
                        "a Kill() or a destructor, that nothing ends within the grace of " +
                        format_seconds(opt.grace) +
                        " s; a wait outside lab::; a swallowed lab::Killed; or a loop that kept going); "
                        "abandoned:" +
                        live_report();
      record.record(msg);
      failures.push_back(std::move(msg));
      if (outcome == Outcome::Passed) outcome = Outcome::Failed;
    }
    wake_main();
    return;
  }
  for (;;) {
    if (timers.empty()) {
      if (algo->has_yielded()) {
        algo->release_yielded();
        return;
      }
      if (live.empty()) {
        wake_main();
        return;
      }
      record_failure("deadlock at t=" + format_seconds(Duration(now())) +
                         ": all activities blocked, no timer pending:" + live_report(),
                     Outcome::Deadlock);
      return;
    }
    std::int64_t t = timers.begin()->first.first;
    if (t > opt.time_limit.count()) {
      probe.now_ns.store(opt.time_limit.count(), std::memory_order_relaxed);
      record_failure("time limit of " + format_seconds(opt.time_limit) +
                         " s exceeded; activities still alive:" + live_report(),
                     Outcome::TimeLimit);
      return;
    }
    probe.now_ns.store(t, std::memory_order_relaxed);
    bool any = false;
    while (!timers.empty() && timers.begin()->first.first == t) {
      auto nh = timers.extract(timers.begin());
      TimerEntry& e = nh.mapped();
      if (e.wid) {
        if (Waiter* w = lookup(e.wid)) w->has_timer = false;
        any |= wake(e.wid, Wake::Timeout);
      } else {
        spawn(std::move(e.name), std::move(e.fn), false, e.where);
        any = true;
      }
    }
    if (algo->has_yielded()) {  // a spinning yielder has let this time pass
      algo->release_yielded();
      return;
    }
    if (any) return;
  }
}

Result Sim::main_loop(std::function<void()> root) {
  main_ctx = bf::context::active();
  spawn(opt.name, std::move(root), true);
  while (!live.empty() && !gave_up) {
    main_parked = true;
    main_ctx->suspend();
  }
  Result r;
  r.outcome = outcome;
  r.failures = failures;
  r.seed = opt.seed;
  r.elapsed = Duration(now());
  r.trace_hash = trace_hash;
  r.trace_lines = trace_lines;
  r.spawned = next_id;
  r.stuck = stuck;
  return r;
}

// --- the OS thread of a run ---------------------------------------------------------

void sim_thread(const std::shared_ptr<RunShared>& sh, std::function<void()> root) {
  Sim& sim = *sh->sim;
  tl_sim = &sim;
  sh->tid.store(static_cast<int>(gettid()));
  thread_altstack();
  bf::use_scheduling_algorithm<SimAlgo>(&sim);
  if (std::getenv("LAB_NO_GUARD") == nullptr) guard_enable(true);
  Result r = sim.main_loop(std::move(root));
  guard_enable(false);
  bool abandoned = sim.gave_up;
  if (!abandoned) {
    sim.algo->sim_ = nullptr;
    tl_sim = nullptr;
  }
  {
    std::lock_guard lk(sh->m);
    sh->result = std::move(r);
    sh->done = true;
    sh->cv.notify_all();
  }
  // A fiber that ignored cancellation can be neither resumed nor dropped (the
  // scheduler's destructor would wait for it forever): park this thread.
  if (abandoned)
    for (;;) pause();
}

}  // namespace detail

using namespace detail;

// --- the free functions that start activities or let time pass ----------------------

void go(std::string name, std::function<void()> fn, Where where) {
  Sim& s = sim_or_die("lab::go");
  FiberRec* me = s.current();
  s.note_op(me, "lab::go", &where);
  Sim::cancellation_point(me);
  if (s.stopping || s.shut) return;  // the run is ending; the new activity would be cancelled at once
  s.spawn(std::move(name), std::move(fn), false, where);
}

void go(std::function<void()> fn, Where where) { go("go@" + site(where), std::move(fn), where); }

void after(Duration d, std::function<void()> fn, Where where) {
  Sim& s = sim_or_die("lab::after");
  FiberRec* me = s.current();
  s.note_op(me, "lab::after", &where);
  Sim::cancellation_point(me);
  if (s.stopping || s.shut) return;
  std::int64_t at = s.now() + std::max<std::int64_t>(d.count(), 0) + kTimerLatencyNs;
  s.timers.emplace(TimerKey{at, ++s.timer_seq},
                   TimerEntry{0, "after#" + std::to_string(++s.next_after), std::move(fn), where});
}

void sleep_for(Duration d, Where where) {
  Sim& s = sim_or_die("lab::sleep_for");
  FiberRec* me = s.current();
  s.note_op(me, "sleep_for", &where);
  Sim::cancellation_point(me);
  if (d.count() <= 0) return;
  s.check_held(me, nullptr, "lab::sleep_for", where);
  Waiter w(s, "sleep_for", true);
  w.set_timer(s.now() + d.count());
  w.park();
}

Duration now() { return Duration(sim_or_die("lab::now").now()); }

void yield(Where where) {
  Sim& s = sim_or_die("lab::yield");
  FiberRec* me = s.current();
  if (me == nullptr) return;  // the runtime's own contexts do not yield
  s.note_op(me, "yield", &where);
  Sim::cancellation_point(me);
  me->op = "yield";
  s.algo->yielding_ = bf::context::active();
  boost::this_fiber::yield();
  me->op = nullptr;
  Sim::cancellation_point(me);
}

void checkpoint(const char* what, Where where) {
  Sim& s = sim_or_die("lab::checkpoint");
  FiberRec* me = s.current();
  s.note_op(me, what, &where);
  if (me) {  // the caller's own site, even under a label
    me->last_what = what;
    me->last_at = where;
    me->last_has_site = true;
  }
  Sim::cancellation_point(me);
  s.check_held(me, nullptr, what, where);
}

std::string activity_name() {
  Sim* s = tl_sim;
  FiberRec* r = s ? s->current() : nullptr;
  return r ? r->name : std::string();
}

bool in_run() { return tl_sim != nullptr; }
const char* backend() { return "sim"; }

}  // namespace lab
