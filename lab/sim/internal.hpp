// Internals shared by the files of the simulation backend (lab/sim/*.cpp): the
// state of a run (Sim), its activities, waits and timers, and the scheduling
// algorithm that picks among ready fibers.
//
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
//
// Where to look:
//   scheduler.cpp  the simulation thread: SimAlgo, fiber stacks, spawning and
//                  ending activities, the virtual clock, go/after/sleep_for/yield
//   sync.cpp       Waiter (how an activity blocks), Mutex, CondVar
//   run.cpp        lab::run and its watchdog thread, shutdown, fail, rand, trace
//   guard.cpp      the libc guards, sim_where and sim_abort
#pragma once

#include <boost/fiber/context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lab/common.hpp"
#include "lab/lab.hpp"

namespace lab::detail {

namespace bf = boost::fibers;

// guard.cpp: the libc guards watch only threads that turned them on.
void guard_enable(bool on);

// guard.cpp: "activity 'x', virtual t=1.000000" for the calling simulation
// thread; safe to call from inside a libc interposer.
std::string sim_where();

// guard.cpp: prints "lab: <msg>" to stderr, then the seed and the recorded
// failures of every run in progress, and aborts the process.
[[noreturn]] void sim_abort(const std::string& msg);

constexpr std::size_t kStackSize = 256 * 1024;

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

struct Waiter;

// One activity. Owned by Sim::live until its fiber ends.
struct FiberRec {
  std::string name;
  std::uint64_t id = 0;
  bool killed = false;          // cancelled: blocking lab:: calls throw Killed
  bool abandoned = false;       // parked for good (see Sim::park_forever)
  const char* op = nullptr;     // the lab:: call it is blocked in, for reports
  const char* label = nullptr;  // set by lab::BlockingLabel
  Waiter* waiting = nullptr;    // set while parked in a lab:: wait
  Where started_at = Where::none();  // where go() or after() was called; empty for the root

  // Cancellation throws only while killed_objs == throw_at: not while a
  // lab::Killed of this activity is alive (unwinding, or in a handler), nor
  // in a CleanupScope (throw_at -1); lab::cancellable sets it to the count
  // at its entry.
  int killed_objs = 0;
  int throw_at = 0;
  bool may_throw() const { return killed_objs == throw_at; }

  // What it did, for the livelock report: context switches into it, lab::
  // calls, the last call. (Counted since it started: a looping activity
  // makes millions in the seconds the watchdog waits, normal ones a few.)
  std::uint64_t switches = 0;
  std::uint64_t ops = 0;
  const char* last_what = nullptr;
  Where last_at = Where::none();  // valid when last_what came with a site
  bool last_has_site = false;

  HeldLocks held;  // the lab::Mutexes it holds
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
  Where where = Where::none();  // where after() was called
};

class SimAlgo;
struct Sim;

inline thread_local Sim* tl_sim = nullptr;

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

// Shared with the watchdog thread: written by the simulation thread only,
// but for frozen_request and frozen_ms, which the watchdog writes.
struct Probe {
  std::atomic<std::uint64_t> progress{0};   // bumped at every context switch and lab:: call
  std::atomic<FiberRec*> current{nullptr};  // the running activity
  std::atomic<std::int64_t> now_ns{0};      // the virtual clock
  // The watchdog saw virtual time frozen while the run kept going: 1 asks
  // the simulation thread to fail the run as a livelock, 2 to park whoever
  // still loops (see Sim::on_frozen; it stays 2 from then on).
  std::atomic<int> frozen_request{0};
  std::atomic<std::int64_t> frozen_ms{0};  // how long time had stood still, for the message
};

struct Sim {
  explicit Sim(const Options& o) : opt(o), record(o.seed, o.test), rng(o.seed), sched_state(o.seed ^ 0x5851f42d4c957f2dull) {}

  const Options opt;
  RunRecord record;  // what an abort of the process prints about this run
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
  std::int64_t stop_ns = 0;          // when stop() ran: cleanup waits may last opt.grace beyond
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

  // One line per live activity, identical ones grouped (common.hpp).
  std::string live_report() const;

  // Drops the pending after() timers; waits' own timers stay (a cleanup
  // wait's deadline still ends it). Their state dies when the result does.
  std::vector<TimerEntry> drop_after_timers() {
    std::vector<TimerEntry> dropped;
    for (auto it = timers.begin(); it != timers.end();) {
      if (it->second.wid == 0) {
        dropped.push_back(std::move(it->second));
        it = timers.erase(it);
      } else {
        ++it;
      }
    }
    return dropped;
  }

  // Cancels every activity and drops the pending after() timers.
  void stop() {
    if (stopping) return;
    stopping = true;
    stop_ns = now();
    for (auto& [id, r] : live) r->killed = true;
    for (auto& [id, r] : live)
      if (r->waiting && r->waiting->cancellable && r->waiting->wid) wake(r->waiting->wid, Wake::Killed);
    auto dropped = drop_after_timers();  // their state dies here
    wake_main();
  }

  void record_failure(std::string msg, Outcome why) {
    if (outcome == Outcome::Passed) outcome = why;
    record.record(msg);
    failures.push_back(std::move(msg));
    stop();
  }

  // Every lab:: call of an activity passes here (me may be null: the
  // runtime's own contexts). It feeds the watchdog's progress counter and
  // the livelock report, and acts on the watchdog's requests. `where`: the
  // caller's site, if the call has one; a call made under a BlockingLabel
  // reports the label instead.
  void note_op(FiberRec* me, const char* what, const Where* where) {
    probe.progress.store(probe.progress.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (me) {
      ++me->ops;
      if (me->label == nullptr) {
        me->last_what = what;
        me->last_has_site = where != nullptr;
        if (where) me->last_at = *where;
      } else if (me->last_what != me->label) {
        me->last_what = me->label;
        me->last_has_site = false;
      }
    }
    if (probe.frozen_request.load(std::memory_order_relaxed) != 0) on_frozen(me);
  }
  // Throws Killed if the calling activity is cancelled and may throw.
  static void cancellation_point(FiberRec* me) {
    if (me && me->killed && me->may_throw()) throw Killed{};
  }
  // Reports a blocking call made while holding a lab::Mutex other than
  // `except` (the one a CondVar wait releases).
  void check_held(FiberRec* me, const Mutex* except, const char* what, const Where& where) {
    if (me == nullptr || me->held.empty() || me->held.only(except)) return;
    check_held_slow(me, except, what, where);
  }
  void check_held_slow(FiberRec* me, const Mutex* except, const char* what, const Where& where);

  void on_frozen(FiberRec* me);  // run.cpp
  std::string livelock_report(std::int64_t frozen_ms) const;
  // Parks the calling activity for good: nothing wakes it; when nothing
  // else can run, the run ends and reports it as abandoned.
  void park_forever(FiberRec* me, const char* why);

  void spawn(std::string name, std::function<void()> fn, bool root, Where where = Where::none());
  void body(FiberRec* r, std::function<void()>& fn, bool root);
  void on_idle(std::chrono::steady_clock::time_point tp);
  Result main_loop(std::function<void()> root);
};

// The running simulation of the calling thread; aborts with a message naming
// `what` outside one.
inline Sim& sim_or_die(const char* what) {
  Sim* s = tl_sim;
  if (s == nullptr)
    sim_abort(std::string("lab:: primitive used outside a running simulation (wrong OS thread?): ") + what);
  return *s;
}

// --- the OS thread of a run and its watchdog -------------------------------------

// What the simulation thread hands back to the watchdog (the thread in lab::run).
struct RunShared {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::atomic<int> tid{0};  // the simulation thread's, for the watchdog's /proc reads
  Result result;
  std::unique_ptr<Sim> sim;
};

// scheduler.cpp: the body of the simulation thread of one run.
void sim_thread(const std::shared_ptr<RunShared>& sh, std::function<void()> root);

}  // namespace lab::detail
