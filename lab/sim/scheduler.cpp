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
#include <cstdlib>
#include <memory>
#include <string>

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
      Probe& pr = sim_->probe;
      pr.current.store(p ? p->rec : nullptr, std::memory_order_relaxed);
      pr.progress.store(pr.progress.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
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

void Sim::spawn(std::string name, std::function<void()> fn, bool root) {
  auto rec = std::make_unique<FiberRec>();
  rec->id = ++next_id;
  rec->name = std::move(name);
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
    } catch (const std::exception& e) {
      record_failure("uncaught exception: " + std::string(e.what()) + " (" + stamp(r->name) + ")",
                     Outcome::Failed);
    } catch (...) {
      record_failure("uncaught non-standard exception (" + stamp(r->name) + ")", Outcome::Failed);
    }
  }
  fn = nullptr;  // captured state dies while the activity still counts as live
  if (root) stop();
  static_cast<SimProps*>(bf::context::active()->get_properties())->rec = nullptr;
  probe.current.store(nullptr, std::memory_order_relaxed);
  live.erase(r->id);
  ++ended_unreleased;
  if (shutdown_wid) wake(shutdown_wid, Wake::Notified);  // it re-checks who is left
  if (live.empty()) wake_main();
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
    if (!live.empty() && !gave_up) {  // nothing can run, yet some activities are alive
      gave_up = true;
      stuck = live.size();
      failures.push_back(std::to_string(live.size()) +
                         " activities ignored cancellation (blocked outside lab::, or swallowed "
                         "lab::Killed); abandoned:" +
                         live_report());
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
        spawn(std::move(e.name), std::move(e.fn), false);
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

void go(std::string name, std::function<void()> fn) {
  Sim& s = sim_or_die("lab::go");
  if (s.stopping || s.shut) return;  // the run is ending; the new activity would be cancelled at once
  s.spawn(std::move(name), std::move(fn), false);
}

void go(std::function<void()> fn) {
  Sim& s = sim_or_die("lab::go");
  go("go#" + std::to_string(s.next_id + 1), std::move(fn));
}

void after(Duration d, std::function<void()> fn) {
  Sim& s = sim_or_die("lab::after");
  if (s.stopping || s.shut) return;
  std::int64_t at = s.now() + std::max<std::int64_t>(d.count(), 0) + kTimerLatencyNs;
  s.timers.emplace(TimerKey{at, ++s.timer_seq},
                   TimerEntry{0, "after#" + std::to_string(++s.next_after), std::move(fn)});
}

void sleep_for(Duration d) {
  Sim& s = sim_or_die("lab::sleep_for");
  FiberRec* me = s.current();
  if (me && me->killed) throw Killed{};
  if (d.count() <= 0) return;
  Waiter w(s, "sleep_for", true);
  w.set_timer(s.now() + d.count());
  w.park();
}

Duration now() { return Duration(sim_or_die("lab::now").now()); }

void yield() {
  Sim& s = sim_or_die("lab::yield");
  FiberRec* me = s.current();
  if (me == nullptr) return;  // the runtime's own contexts do not yield
  if (me->killed) throw Killed{};
  me->op = "yield";
  s.algo->yielding_ = bf::context::active();
  boost::this_fiber::yield();
  me->op = nullptr;
  if (me->killed) throw Killed{};
}

std::string activity_name() {
  Sim* s = tl_sim;
  FiberRec* r = s ? s->current() : nullptr;
  return r ? r->name : std::string();
}

bool in_run() { return tl_sim != nullptr; }
const char* backend() { return "sim"; }

}  // namespace lab
