// The real-threads backend of lab::. Activities run on a cached pool of
// threads; timers are Boost.Asio steady_timers on one I/O thread;
// cancellation is a std::stop_source per activity, whose callbacks wake a
// cancelled waiter at once (no polling).
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <random>
#include <set>
#include <stop_token>
#include <thread>

#include "lab/common.hpp"
#include "lab/lab.hpp"

namespace lab {
namespace detail {

using Clock = std::chrono::steady_clock;
struct RunState;

struct Activity {
  std::string name;
  std::uint64_t id = 0;
  std::shared_ptr<RunState> run;
  std::stop_source stop;
  std::atomic<const char*> blocked_in{nullptr};  // what it waits on, for reports
  std::atomic<const char*> label{nullptr};       // set by lab::BlockingLabel
  std::function<void()> fn;  // what it runs; dropped before it stops counting as live
  bool root = false;
  CondVar sleep_cv;           // sleep_for waits here; nobody notifies it
  Mutex sleep_mu;
};

struct RunState : std::enable_shared_from_this<RunState> {
  explicit RunState(const Options& o) : opt(o), rng(o.seed), start(Clock::now()) {}
  const Options opt;

  std::mutex m;                  // guards everything below but rng
  std::condition_variable cv;    // run() waits here
  std::map<std::uint64_t, Activity*> live;  // ordered by id, for reports
  std::set<boost::asio::steady_timer*> timers;
  bool root_done = false;
  bool stopping = false;
  Outcome outcome = Outcome::Passed;
  std::vector<std::string> failures;
  std::uint64_t next_id = 0;
  std::uint64_t next_after = 0;
  std::uint64_t trace_hash = kFnvOffset;
  std::uint64_t trace_lines = 0;

  std::mutex rng_mu;
  std::mt19937_64 rng;
  const Clock::time_point start;
};

thread_local Activity* tl_act = nullptr;

Activity* current_activity() { return tl_act; }

const Clock::time_point process_start = Clock::now();

// How long a waiter spins before it blocks in the kernel. Spinning turns a
// hand-off between two running threads into a few hundred nanoseconds instead
// of two futex calls and a context switch (tens of microseconds on a VM).
constexpr Clock::duration kSpin = std::chrono::microseconds(20);

// Polls ready() for up to `budget`: first with a CPU pause, then yielding
// the core to whoever else is runnable. True once ready() held.
template <class F>
bool spin_until(F ready, Clock::duration budget) {
  if (budget <= Clock::duration::zero()) return ready();
  const auto end = Clock::now() + budget;
  for (unsigned i = 0;; i++) {
    if (ready()) return true;
    if (i < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      if ((i & 7) == 0 && Clock::now() >= end) return ready();
      std::this_thread::yield();
    }
  }
}

// --- the cached thread pool -------------------------------------------------
// Grows when every thread is busy; a thread idle for kIdleRetire retires.
// Leaked on purpose: idle threads may still wait on it at process exit.
class Pool {
 public:
  void submit(std::function<void()> task) {
    lastSubmit_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    std::unique_lock lk(m_);
    q_.push_back(std::move(task));
    queued_.store(q_.size(), std::memory_order_release);
    if (idle_ >= q_.size()) {
      // Spinning workers pick the task up themselves; wake a sleeper only
      // when they are too few.
      if (sleeping_ > 0 && idle_ - sleeping_ < q_.size()) cv_.notify_one();
      return;
    }
    lk.unlock();
    std::thread([this] { work(); }).detach();
  }

 private:
  static constexpr auto kIdleRetire = std::chrono::seconds(10);
  static constexpr auto kIdleSpin = std::chrono::microseconds(50);
  // An idle worker spins only while tasks come thick and fast (the last one
  // less than this ago): a burst of calls then costs no wake-ups, and a quiet
  // test no spinning.
  static constexpr auto kBusy = std::chrono::microseconds(200);

  void work() {
    std::unique_lock lk(m_);
    for (;;) {
      if (q_.empty()) {
        ++idle_;
        // One spinner is enough; more would only take cores from the busy.
        if (spinning_ == 0 && Clock::now().time_since_epoch().count() -
                                      lastSubmit_.load(std::memory_order_relaxed) <
                                  std::chrono::duration_cast<Clock::duration>(kBusy).count()) {
          ++spinning_;
          lk.unlock();
          spin_until([&] { return queued_.load(std::memory_order_acquire) > 0; }, kIdleSpin);
          lk.lock();
          --spinning_;
        }
        while (q_.empty()) {
          ++sleeping_;
          bool timed_out = !cv_.wait_for(lk, kIdleRetire, [&] { return !q_.empty(); });
          --sleeping_;
          if (timed_out) {
            --idle_;
            return;
          }
        }
        --idle_;
      }
      auto task = std::move(q_.front());
      q_.pop_front();
      queued_.store(q_.size(), std::memory_order_release);
      lk.unlock();
      task();
      task = nullptr;
      lk.lock();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  std::atomic<std::size_t> queued_{0};  // q_.size(), readable without m_
  std::size_t idle_ = 0;                // workers without a task, spinning or asleep
  std::size_t sleeping_ = 0;            // idle workers asleep in cv_
  std::size_t spinning_ = 0;            // idle workers polling queued_
  std::atomic<Clock::rep> lastSubmit_{0};  // steady_clock ticks of the last submit
};

Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

// --- the timer thread ---------------------------------------------------------
boost::asio::io_context& io() {
  static boost::asio::io_context* ctx = [] {
    auto* c = new boost::asio::io_context(1);
    std::thread([c] {
      auto guard = boost::asio::make_work_guard(*c);
      c->run();
    }).detach();
    return c;
  }();
  return *ctx;
}

// --- activities -----------------------------------------------------------------

Activity& require_activity(const char* what) {
  if (tl_act == nullptr) {
    std::fprintf(stderr, "lab: %s called outside lab::run (no activity on this thread)\n", what);
    std::abort();
  }
  return *tl_act;
}

void throw_if_killed(Activity& a) {
  if (a.stop.stop_requested()) throw Killed{};
}

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
  rs.failures.push_back(std::move(msg));
  cancel_locked(rs, nullptr);
}

void run_activity(Activity* a);

void spawn_locked(const std::shared_ptr<RunState>& rs, std::string name, std::function<void()> fn,
                  bool root) {
  auto* a = new Activity;  // owned by run_activity, which deletes it at the end
  a->name = std::move(name);
  a->id = ++rs->next_id;
  a->run = rs;
  a->fn = std::move(fn);
  a->root = root;
  rs->live.emplace(a->id, a);
  pool().submit([a] { run_activity(a); });  // small enough for std::function to keep inline
}

void run_activity(Activity* a) {
  RunState& r = *a->run;
  tl_act = a;
  if (a->root || !a->stop.stop_requested()) {
    try {
      a->fn();
    } catch (const Killed&) {
    } catch (const std::exception& e) {
      std::lock_guard lk(r.m);
      record_failure_locked(r, "uncaught exception: " + std::string(e.what()) + " (" + stamp(r, a->name) + ")",
                            Outcome::Failed);
    } catch (...) {
      std::lock_guard lk(r.m);
      record_failure_locked(r, "uncaught non-standard exception (" + stamp(r, a->name) + ")", Outcome::Failed);
    }
  }
  a->fn = nullptr;  // captured state dies while the activity still counts as live
  tl_act = nullptr;
  const bool root = a->root;
  std::shared_ptr<RunState> keep = std::move(a->run);
  std::lock_guard lk(r.m);
  r.live.erase(a->id);
  if (root) r.root_done = true;
  delete a;
  if (root || r.stopping) r.cv.notify_all();  // wakes run() or shutdown()
}

std::string live_report_locked(RunState& rs, const Activity* except = nullptr) {
  std::string s;
  for (auto& [id, a] : rs.live) {
    if (a == except) continue;
    const char* op = a->blocked_in.load();
    const char* label = a->label.load();
    s += "\n    '" + a->name + "' (#" + std::to_string(id) + ") " +
         (op ? std::string("blocked in ") + (label ? std::string(label) + " (" + op + ")" : std::string(op))
             : std::string("running (not in a lab:: call)"));
  }
  return s;
}

// Marks the calling activity as blocked in `op` for reports, for one scope.
// The outermost mark wins: sleep_for waits on a CondVar, and is reported as
// sleep_for.
class Blocked {
 public:
  Blocked(Activity& a, const char* op) : a_(a), outer_(a.blocked_in.load(std::memory_order_relaxed) == nullptr) {
    if (outer_) a_.blocked_in.store(op, std::memory_order_relaxed);
  }
  ~Blocked() {
    if (outer_) a_.blocked_in.store(nullptr, std::memory_order_relaxed);
  }

 private:
  Activity& a_;
  const bool outer_;
};

const void* lock_owner_id() {
  static thread_local char marker;
  return tl_act ? static_cast<const void*>(tl_act) : &marker;
}

}  // namespace detail

using namespace detail;

// --- Mutex and CondVar --------------------------------------------------------------

void Mutex::lock() {
  const void* me = lock_owner_id();
  if (owner_.load(std::memory_order_relaxed) == me)
    fail("lab::Mutex locked twice by the same activity (it is not recursive)");
  if (!m_.try_lock()) {
    if (tl_act) {
      Blocked b(*tl_act, "Mutex::lock");
      m_.lock();
    } else {
      m_.lock();
    }
  }
  owner_.store(me, std::memory_order_relaxed);
}

bool Mutex::try_lock() {
  if (!m_.try_lock()) return false;
  owner_.store(lock_owner_id(), std::memory_order_relaxed);
  return true;
}

void Mutex::unlock() {
  if (owner_.load(std::memory_order_relaxed) != lock_owner_id())
    fail("lab::Mutex unlocked by an activity that does not hold it");
  owner_.store(nullptr, std::memory_order_relaxed);
  m_.unlock();
}

void CondVar::notify(bool all) {
  {
    std::lock_guard g(im_);
    seq_.fetch_add(1, std::memory_order_release);
  }
  if (blocked_.load(std::memory_order_acquire) == 0) return;
  if (all)
    cv_.notify_all();
  else
    cv_.notify_one();
}

bool CondVar::block(Mutex& mu, const Clock::time_point* deadline) {
  Activity* a = tl_act;
  if (a) throw_if_killed(*a);
  const std::uint64_t seq0 = seq_.load(std::memory_order_acquire);
  auto notified = [&] { return seq_.load(std::memory_order_acquire) != seq0; };
  {
    std::optional<Blocked> b;
    if (a) b.emplace(*a, deadline ? "CondVar::wait_until" : "CondVar::wait");
    mu.unlock();
    auto spin_for = kSpin;
    if (deadline) spin_for = std::min<Clock::duration>(spin_for, *deadline - Clock::now());
    if (!spin_until(notified, spin_for)) {
      // The callback runs at once if a stop is already requested, so it is
      // registered before im_ is taken.
      std::optional<std::stop_callback<std::function<void()>>> cb;
      if (a)
        cb.emplace(a->stop.get_token(), std::function<void()>([this] {
                     std::lock_guard g(im_);
                     cv_.notify_all();
                   }));
      std::unique_lock g(im_);
      auto done = [&] { return notified() || (a && a->stop.stop_requested()); };
      blocked_.fetch_add(1, std::memory_order_acq_rel);
      if (deadline)
        cv_.wait_until(g, *deadline, done);
      else
        cv_.wait(g, done);
      blocked_.fetch_sub(1, std::memory_order_acq_rel);
    }
    mu.lock();
  }
  if (a) throw_if_killed(*a);
  return !deadline || Clock::now() < *deadline;
}

void CondVar::wait(Mutex& mu) { block(mu, nullptr); }

bool CondVar::wait_until(Mutex& mu, Duration deadline) {
  auto abs = (tl_act ? tl_act->run->start : process_start) + std::chrono::duration_cast<Clock::duration>(deadline);
  return block(mu, &abs);
}

// --- the free functions ------------------------------------------------------------

// Requires rs.m. Waits up to the grace period until only `self` (if any) is
// left and no timer is pending; otherwise reports the rest as stuck.
void join_locked(RunState& rs, std::unique_lock<std::mutex>& lk, Activity* self, std::uint64_t& stuck) {
  const std::size_t keep = self ? 1 : 0;
  if (rs.cv.wait_for(lk, rs.opt.grace, [&] { return rs.live.size() == keep && rs.timers.empty(); })) return;
  stuck = rs.live.size() - keep;
  rs.failures.push_back(std::to_string(stuck) + " activities ignored cancellation for " +
                        format_seconds(rs.opt.grace) +
                        " s (blocked outside lab::, or swallowed lab::Killed); abandoned:" +
                        live_report_locked(rs, self));
  if (rs.outcome == Outcome::Passed) rs.outcome = Outcome::Failed;
}

Result run(const Options& opts, std::function<void()> root) {
  auto rs = std::make_shared<RunState>(opts);
  std::unique_lock lk(rs->m);
  spawn_locked(rs, opts.name, std::move(root), true);
  auto limit = rs->start + opts.time_limit;
  if (!rs->cv.wait_until(lk, limit, [&] { return rs->root_done || rs->outcome != Outcome::Passed; })) {
    record_failure_locked(*rs,
                          "time limit of " + format_seconds(opts.time_limit) +
                              " s exceeded; activities still alive:" + live_report_locked(*rs),
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
  return r;
}

// Release and acquire: a report on another thread reads the label's text.
BlockingLabel::BlockingLabel(const char* what) : prev_(nullptr) {
  if (tl_act) prev_ = tl_act->label.exchange(what, std::memory_order_acq_rel);
}

BlockingLabel::~BlockingLabel() {
  if (tl_act) tl_act->label.store(prev_, std::memory_order_release);
}

void shutdown() {
  Activity& a = require_activity("lab::shutdown");
  RunState& rs = *a.run;
  std::unique_lock lk(rs.m);
  cancel_locked(rs, &a);
  std::uint64_t stuck = 0;
  join_locked(rs, lk, &a, stuck);
}

void go(std::string name, std::function<void()> fn) {
  Activity& a = require_activity("lab::go");
  std::lock_guard lk(a.run->m);
  if (a.run->stopping) return;  // the run is ending; the new activity would be cancelled at once
  spawn_locked(a.run, std::move(name), std::move(fn), false);
}

void go(std::function<void()> fn) {
  Activity& a = require_activity("lab::go");
  go("go#" + std::to_string(a.run->next_id + 1), std::move(fn));
}

void after(Duration d, std::function<void()> fn) {
  Activity& a = require_activity("lab::after");
  std::shared_ptr<RunState> rs = a.run;
  std::lock_guard lk(rs->m);
  if (rs->stopping) return;
  auto t = std::make_shared<boost::asio::steady_timer>(io(), std::chrono::duration_cast<Clock::duration>(d));
  rs->timers.insert(t.get());
  std::string name = "after#" + std::to_string(++rs->next_after);
  t->async_wait([rs, t, name = std::move(name), fn = std::move(fn)](const boost::system::error_code& ec) mutable {
    std::unique_lock lk(rs->m);
    if (!ec && !rs->stopping) {
      spawn_locked(rs, std::move(name), std::move(fn), false);
    } else {
      lk.unlock();
      fn = nullptr;  // what it captured dies before the timer counts as gone
      lk.lock();
    }
    rs->timers.erase(t.get());
    if (rs->stopping && rs->timers.empty()) rs->cv.notify_all();  // wakes run() or shutdown()
  });
}

void sleep_for(Duration d) {
  Activity* a = tl_act;
  if (a == nullptr) {
    std::this_thread::sleep_for(d);
    return;
  }
  throw_if_killed(*a);
  {
    Blocked b(*a, "sleep_for");
    MutexLock lk(a->sleep_mu);
    const Duration deadline = now() + d;
    while (a->sleep_cv.wait_until(a->sleep_mu, deadline)) {
    }
  }
  throw_if_killed(*a);
}

Duration now() {
  auto start = tl_act ? tl_act->run->start : process_start;
  return std::chrono::duration_cast<Duration>(Clock::now() - start);
}

void yield() {
  if (tl_act) throw_if_killed(*tl_act);
  std::this_thread::yield();
}

void fail(std::string msg) {
  Activity& a = require_activity("lab::fail");
  {
    std::lock_guard lk(a.run->m);
    record_failure_locked(*a.run, msg + " (" + stamp(*a.run, a.name) + ")", Outcome::Failed);
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

std::string activity_name() { return tl_act ? tl_act->name : std::string(); }
bool in_run() { return tl_act != nullptr; }
const char* backend() { return "real"; }

}  // namespace lab
