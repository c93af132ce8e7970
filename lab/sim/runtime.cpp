// The simulation backend of lab::. Every activity is a Boost.Fiber fiber on one
// fresh OS thread per run; a custom scheduling algorithm picks among ready
// fibers with the run's seed and, when every fiber is blocked, advances the
// virtual clock to the next timer (SimAlgo::suspend_until, the only place time
// moves). The thread that called run() is the watchdog.
//
// Blocking: every lab:: wait builds a Waiter on its own stack with a fresh wait
// id (wid). Wait queues and timers store only wids; a wid that is no longer
// registered is stale and ignored, which settles the races between a timeout,
// a notify and a cancellation without dangling pointers.
//
// Nothing here is ordered or hashed by an address: ids and sequence numbers
// only, so one seed gives one schedule, whatever ASLR does.
#include <boost/context/stack_context.hpp>
#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/properties.hpp>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "lab/common.hpp"
#include "lab/lab.hpp"
#include "lab/sim/internal.hpp"

namespace lab {
namespace detail {

namespace bf = boost::fibers;

constexpr std::size_t kStackSize = 256 * 1024;
constexpr std::size_t kReleaseBatch = 16;  // ended fibers before the dispatcher frees them

// Fiber stacks, kept for reuse. A 256 KiB malloc is an mmap and its free a
// munmap, which cost more than the rest of a spawn; a run spawns one
// activity per RPC. Shared by the allocators of one simulation thread's
// fibers, freed with the last of them (a fiber's stack is released by Boost
// after the fiber ended, possibly after the run).
class StackPool {
 public:
  ~StackPool() {
    for (void* p : free_) std::free(p);
  }
  void* take() {
    if (free_.empty()) {
      void* p = std::malloc(kStackSize);
      if (p == nullptr) throw std::bad_alloc();
      return p;
    }
    void* p = free_.back();
    free_.pop_back();
    return p;
  }
  void give(void* p) {
    if (free_.size() < kKeep)
      free_.push_back(p);
    else
      std::free(p);
  }

 private:
  static constexpr std::size_t kKeep = 256;
  std::vector<void*> free_;
};

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

struct Waiter;

// One activity. Owned by Sim::live until its fiber ends.
struct FiberRec {
  std::string name;
  std::uint64_t id = 0;
  bool killed = false;          // cancelled: blocking lab:: calls throw Killed
  const char* op = nullptr;     // the lab:: call it is blocked in, for reports
  const char* label = nullptr;  // set by lab::BlockingLabel
  Waiter* waiting = nullptr;    // set while parked in a lab:: wait
};

// Ties a Boost context to its activity, so pick_next() knows who runs next.
struct SimProps final : bf::fiber_properties {
  explicit SimProps(bf::context* c) : bf::fiber_properties(c) {}
  FiberRec* rec = nullptr;
};

enum class Wake : unsigned char { None, Notified, Timeout, Killed };
using TimerKey = std::pair<std::int64_t, std::uint64_t>;  // (deadline ns, sequence)

// Every timer fires 1 ns of virtual time after its deadline, as a real timer
// fires a little late. Without it, a periodic poller (a fresh timeout each
// round, like labrpc's 100 ms death check) and a test's own timeout fall due
// at the same instant, and the seeded scheduler decides which sees the other.
// With it, as on real clocks, a chain of k timers drifts k ns later.
constexpr std::int64_t kTimerLatencyNs = 1;

struct TimerEntry {
  std::uint64_t wid = 0;       // wakes this wait, or (0) ...
  std::string name;            // ... starts fn as activity `name`
  std::function<void()> fn;
};

class SimAlgo;
struct Sim;

thread_local Sim* tl_sim = nullptr;

struct Waiter {
  Waiter(Sim& s, const char* op, bool cancellable);
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  void set_timer(std::int64_t deadline);
  void park();  // suspends until woken; throws Killed if cancelled

  Sim& sim;
  const char* op;
  const bool cancellable;
  bool parked = false;
  bool has_timer = false;
  Wake reason = Wake::None;
  std::uint64_t wid = 0;  // 0 once woken
  FiberRec* rec;
  const void* ident;      // lock-owner identity of the waiting activity
  bf::context* ctx;
  TimerKey timer{};
};

// Shared with the watchdog thread: written by the simulation thread only.
struct Probe {
  std::atomic<std::uint64_t> progress{0};   // bumped at every context switch
  std::atomic<FiberRec*> current{nullptr};  // the running activity
  std::atomic<std::int64_t> now_ns{0};      // the virtual clock
};

struct Sim {
  explicit Sim(const Options& o) : opt(o), rng(o.seed), sched_state(o.seed ^ 0x5851f42d4c957f2dull) {}

  const Options opt;
  SimAlgo* algo = nullptr;
  Probe probe;

  std::map<std::uint64_t, std::unique_ptr<FiberRec>> live;  // by id: reports in spawn order
  std::map<TimerKey, TimerEntry> timers;
  std::uint64_t timer_seq = 0;

  // The wait registry: wid = (generation << 32) | slot.
  struct Slot {
    Waiter* w = nullptr;
    std::uint32_t gen = 1;
  };
  std::vector<Slot> slots;
  std::vector<std::uint32_t> free_slots;

  bool stopping = false;
  bool shut = false;                 // lab::shutdown() ran: later go()/after() never run
  std::uint64_t shutdown_wid = 0;    // the activity waiting in lab::shutdown()
  Outcome outcome = Outcome::Passed;
  std::vector<std::string> failures;
  std::uint64_t next_id = 0;
  std::shared_ptr<StackPool> stacks = std::make_shared<StackPool>();
  std::size_t ended_unreleased = 0;  // fibers ended since the dispatcher last ran
  std::uint64_t next_after = 0;
  std::uint64_t trace_hash = kFnvOffset;
  std::uint64_t trace_lines = 0;
  std::mt19937_64 rng;
  std::uint64_t sched_state;

  bf::context* main_ctx = nullptr;
  bool main_parked = false;
  bool gave_up = false;      // some activity ignored cancellation: the thread is abandoned
  std::uint64_t stuck = 0;
  FiberRec* spawning = nullptr;

  FiberRec* current() const { return probe.current.load(std::memory_order_relaxed); }
  std::int64_t now() const { return probe.now_ns.load(std::memory_order_relaxed); }
  const void* ident() const {
    FiberRec* r = current();
    return r ? static_cast<const void*>(r) : static_cast<const void*>(this);
  }
  std::uint64_t sched_rand() {  // splitmix64: cheap, and fixed by its definition
    std::uint64_t z = (sched_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  std::uint64_t register_waiter(Waiter* w) {
    std::uint32_t i;
    if (!free_slots.empty()) {
      i = free_slots.back();
      free_slots.pop_back();
    } else {
      i = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    }
    slots[i].w = w;
    return (std::uint64_t{slots[i].gen} << 32) | i;
  }
  Waiter* lookup(std::uint64_t wid) const {
    std::uint32_t i = static_cast<std::uint32_t>(wid);
    if (i >= slots.size() || slots[i].gen != static_cast<std::uint32_t>(wid >> 32)) return nullptr;
    return slots[i].w;
  }
  void release(std::uint64_t wid) {
    std::uint32_t i = static_cast<std::uint32_t>(wid);
    slots[i].w = nullptr;
    ++slots[i].gen;
    free_slots.push_back(i);
  }

  // Wakes the waiter behind wid; false if it is stale.
  bool wake(std::uint64_t wid, Wake why) {
    Waiter* w = lookup(wid);
    if (w == nullptr) return false;
    release(wid);
    w->wid = 0;
    if (w->has_timer) {
      timers.erase(w->timer);
      w->has_timer = false;
    }
    w->reason = why;
    if (w->parked) bf::context::active()->schedule(w->ctx);
    return true;
  }

  void wake_main() {
    if (!main_parked) return;
    main_parked = false;
    bf::context::active()->schedule(main_ctx);
  }

  std::string stamp(const std::string& name) const {
    return "activity '" + name + "', t=" + format_seconds(Duration(now()));
  }

  std::string live_report() const {
    std::string s;
    for (const auto& [id, r] : live) {
      s += "\n    '" + r->name + "' (#" + std::to_string(id) + ") ";
      if (r->op && r->label)
        s += std::string("blocked in ") + r->label + " (" + r->op + ")";
      else if (r->op)
        s += std::string("blocked in ") + r->op;
      else if (r.get() == current())
        s += "running (not in a lab:: call)";
      else
        s += "blocked outside lab:: (a raw Boost.Fiber wait?)";
    }
    return s;
  }

  // Cancels every activity and drops the pending after() timers.
  void stop() {
    if (stopping) return;
    stopping = true;
    for (auto& [id, r] : live) r->killed = true;
    for (auto& [id, r] : live)
      if (r->waiting && r->waiting->cancellable && r->waiting->wid) wake(r->waiting->wid, Wake::Killed);
    auto dropped = std::move(timers);  // only after() entries remain; their state dies here
    timers.clear();
    wake_main();
  }

  void record_failure(std::string msg, Outcome why) {
    if (outcome == Outcome::Passed) outcome = why;
    failures.push_back(std::move(msg));
    stop();
  }

  void spawn(std::string name, std::function<void()> fn, bool root);
  void body(FiberRec* r, std::function<void()>& fn, bool root);
  void on_idle(std::chrono::steady_clock::time_point tp);
  Result main_loop(std::function<void()> root);
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

// --- waiting ------------------------------------------------------------------

Waiter::Waiter(Sim& s, const char* o, bool c)
    : sim(s), op(o), cancellable(c), rec(s.current()), ident(s.ident()), ctx(bf::context::active()) {
  wid = s.register_waiter(this);
}

Waiter::~Waiter() {
  if (wid) sim.release(wid);
  if (has_timer) sim.timers.erase(timer);
}

void Waiter::set_timer(std::int64_t deadline) {
  timer = TimerKey{deadline + kTimerLatencyNs, ++sim.timer_seq};
  sim.timers.emplace(timer, TimerEntry{wid, {}, {}});
  has_timer = true;
}

void Waiter::park() {
  if (cancellable && rec && rec->killed) throw Killed{};
  if (wid != 0) {  // not woken already
    if (ctx->is_context(bf::type::dispatcher_context))
      sim_abort("a blocking lab:: call ran on the scheduler's own context (in a destructor of a dropped timer?)");
    if (rec) {
      rec->op = op;
      rec->waiting = this;
    }
    parked = true;
    ctx->suspend();
    if (rec) {
      rec->op = nullptr;
      rec->waiting = nullptr;
    }
  }
  if (reason == Wake::Killed) throw Killed{};
}

Sim& sim_or_die(const char* what) {
  Sim* s = tl_sim;
  if (s == nullptr)
    sim_abort(std::string("lab:: primitive used outside a running simulation (wrong OS thread?): ") + what);
  return *s;
}

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

// --- the OS thread of a run and its watchdog -------------------------------------

struct RunShared {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  Result result;
  std::unique_ptr<Sim> sim;
};

std::chrono::milliseconds watchdog_limit() {
  if (const char* s = std::getenv("LAB_WATCHDOG_MS"); s && *s) return std::chrono::milliseconds(std::atol(s));
  return std::chrono::milliseconds(2000);
}

std::chrono::nanoseconds thread_cpu(clockid_t cid) {
  timespec ts{};
  clock_gettime(cid, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

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

std::string detail::sim_where() {
  Sim* s = tl_sim;
  if (s == nullptr) return "not in an activity";
  FiberRec* r = s->current();
  return "activity '" + (r ? r->name : std::string("(run)")) + "', virtual t=" + format_seconds(Duration(s->now()));
}

void detail::sim_abort(const std::string& msg) {
  guard_enable(false);
  std::fprintf(stderr, "lab: %s\n", msg.c_str());
  std::fflush(stderr);
  std::abort();
}

// --- wait queues, Mutex, CondVar ---------------------------------------------------

void WaitQueue::push(std::uint64_t wid) {
  if (Sim* s = tl_sim)
    while (!empty() && s->lookup(ids_[head_]) == nullptr) pop();
  if (head_ > 64 && head_ * 2 > ids_.size()) {
    ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  ids_.push_back(wid);
}

void Mutex::lock() {
  Sim& s = sim_or_die("lab::Mutex::lock");
  const void* me = s.ident();
  if (owner_ == me) fail("lab::Mutex locked twice by the same activity (it is not recursive)");
  if (owner_ == nullptr) {
    owner_ = me;
    return;
  }
  Waiter w(s, "Mutex::lock", true);
  waiters_.push(w.wid);
  w.park();  // unlock() made us the owner
}

void Mutex::relock_uncancellable() {
  Sim& s = *tl_sim;
  if (owner_ == nullptr) {
    owner_ = s.ident();
    return;
  }
  Waiter w(s, "Mutex::lock (after CondVar::wait)", false);
  waiters_.push(w.wid);
  w.park();
}

bool Mutex::try_lock() {
  Sim& s = sim_or_die("lab::Mutex::try_lock");
  if (owner_ != nullptr) return false;
  owner_ = s.ident();
  return true;
}

void Mutex::unlock() {
  Sim& s = sim_or_die("lab::Mutex::unlock");
  if (owner_ != s.ident()) fail("lab::Mutex unlocked by an activity that does not hold it");
  while (!waiters_.empty()) {
    std::uint64_t wid = waiters_.pop();
    if (Waiter* w = s.lookup(wid)) {
      owner_ = w->ident;  // hand-off: nobody can barge in between
      s.wake(wid, Wake::Notified);
      return;
    }
  }
  owner_ = nullptr;
}

bool CondVar::wait_impl(Mutex& mu, const Duration* deadline) LAB_NO_TSA {
  Sim& s = sim_or_die("lab::CondVar::wait");
  FiberRec* me = s.current();
  if (me && me->killed) throw Killed{};
  if (deadline && deadline->count() <= s.now()) return false;
  Waiter w(s, deadline ? "CondVar::wait_until" : "CondVar::wait", true);
  waiters_.push(w.wid);
  if (deadline) w.set_timer(deadline->count());
  mu.unlock();
  try {
    w.park();
  } catch (const Killed&) {
    mu.relock_uncancellable();
    throw;
  }
  mu.relock_uncancellable();
  return deadline == nullptr || s.now() < deadline->count();
}

void CondVar::wait(Mutex& mu) { wait_impl(mu, nullptr); }

bool CondVar::wait_until(Mutex& mu, Duration deadline) { return wait_impl(mu, &deadline); }

void CondVar::notify_slow(bool all) {
  Sim& s = sim_or_die("lab::CondVar::notify");
  while (!waiters_.empty())
    if (s.wake(waiters_.pop(), Wake::Notified) && !all) return;
}

// --- the free functions ------------------------------------------------------------

Result run(const Options& opts, std::function<void()> root) {
  if (tl_sim) sim_abort("lab::run called inside a running simulation");
  auto sh = std::make_shared<RunShared>();
  sh->sim = std::make_unique<Sim>(opts);
  std::thread t([sh, root = std::move(root)]() mutable { sim_thread(sh, std::move(root)); });

  // The watchdog: a run that makes no context switch for watchdog_limit() is
  // stuck inside the OS or spinning; the thread cannot be recovered.
  const auto limit = watchdog_limit();
  clockid_t cid{};
  bool have_cpu = pthread_getcpuclockid(t.native_handle(), &cid) == 0;
  Probe& probe = sh->sim->probe;
  std::uint64_t seen = probe.progress.load(std::memory_order_relaxed);
  auto since = std::chrono::steady_clock::now();
  auto cpu_since = have_cpu ? thread_cpu(cid) : std::chrono::nanoseconds{};
  {
    std::unique_lock lk(sh->m);
    while (!sh->done) {
      sh->cv.wait_for(lk, std::chrono::milliseconds(50));
      if (sh->done) break;
      auto wall = std::chrono::steady_clock::now();
      std::uint64_t p = probe.progress.load(std::memory_order_relaxed);
      if (p != seen) {
        seen = p;
        since = wall;
        if (have_cpu) cpu_since = thread_cpu(cid);
        continue;
      }
      if (wall - since < limit) continue;
      double stalled = std::chrono::duration<double>(wall - since).count();
      double cpu = have_cpu ? std::chrono::duration<double>(thread_cpu(cid) - cpu_since).count() : 0;
      int share = static_cast<int>(100 * cpu / stalled + 0.5);
      FiberRec* r = probe.current.load(std::memory_order_relaxed);
      std::string who = r ? "'" + r->name + "' (#" + std::to_string(r->id) + ")" : std::string("(the runtime)");
      std::string vt = format_seconds(Duration(probe.now_ns.load(std::memory_order_relaxed)));
      char head[160];
      std::snprintf(head, sizeof head, "WATCHDOG: the simulation made no progress for %.2f s; ", stalled);
      std::string msg = std::string(head) + "activity " + who + " at virtual t=" + vt + " is " +
                        (share < 20 ? "BLOCKED inside the OS (std::mutex, std::condition_variable, sleep, I/O?)"
                                    : "SPINNING without blocking or yielding (a busy loop? wait on a lab:: "
                                      "primitive or call lab::yield())") +
                        ", CPU " + std::to_string(share) + " % during the stall";
      sim_abort(msg);
    }
  }
  Result r = std::move(sh->result);
  if (r.stuck)
    t.detach();
  else
    t.join();
  return r;
}

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

BlockingLabel::BlockingLabel(const char* what) : prev_(nullptr) {
  if (tl_sim == nullptr) return;
  if (FiberRec* me = tl_sim->current()) prev_ = std::exchange(me->label, what);
}

BlockingLabel::~BlockingLabel() {
  if (tl_sim == nullptr) return;
  if (FiberRec* me = tl_sim->current()) me->label = prev_;
}

void shutdown() {
  // Never throws: ShutdownGuard calls it from a destructor, also while its
  // activity unwinds after a cancellation.
  Sim& s = sim_or_die("lab::shutdown");
  FiberRec* me = s.current();
  s.shut = true;
  for (auto& [id, r] : s.live)
    if (r.get() != me) r->killed = true;
  for (auto& [id, r] : s.live)
    if (r.get() != me && r->waiting && r->waiting->cancellable && r->waiting->wid)
      s.wake(r->waiting->wid, Wake::Killed);
  {
    auto dropped = std::move(s.timers);  // the caller is running, so none of these is its own
    s.timers.clear();
  }
  while (s.live.size() > (me ? 1u : 0u)) {
    Waiter w(s, "shutdown", false);
    s.shutdown_wid = w.wid;
    w.park();
  }
  s.shutdown_wid = 0;
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

void fail(std::string msg) {
  Sim& s = sim_or_die("lab::fail");
  FiberRec* me = s.current();
  s.record_failure(msg + " (" + s.stamp(me ? me->name : std::string()) + ")", Outcome::Failed);
  throw Killed{};
}

std::uint64_t rand_u64() { return sim_or_die("lab::rand_u64").rng(); }

void trace(std::string_view line) {
  Sim& s = sim_or_die("lab::trace");
  s.trace_hash = fnv1a(fnv1a(s.trace_hash, line), "\n");
  ++s.trace_lines;
}

bool trace_enabled() { return true; }

std::string activity_name() {
  Sim* s = tl_sim;
  FiberRec* r = s ? s->current() : nullptr;
  return r ? r->name : std::string();
}

bool in_run() { return tl_sim != nullptr; }
const char* backend() { return "sim"; }

}  // namespace lab
