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

// guard.cpp: prints "lab: <msg>" to stderr and aborts the process.
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
  const char* op = nullptr;     // the lab:: call it is blocked in, for reports
  const char* label = nullptr;  // set by lab::BlockingLabel
  Waiter* waiting = nullptr;    // set while parked in a lab:: wait
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
  Result result;
  std::unique_ptr<Sim> sim;
};

// scheduler.cpp: the body of the simulation thread of one run.
void sim_thread(const std::shared_ptr<RunShared>& sh, std::function<void()> root);

}  // namespace lab::detail
