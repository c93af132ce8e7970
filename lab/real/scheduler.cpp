// The real-threads scheduler: the cached thread pool that activities run on,
// the I/O thread that runs the timers, how an activity starts and ends, and
// the lab:: verbs that start activities or let time pass.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "lab/common.hpp"
#include "lab/lab.hpp"
#include "lab/real/internal.hpp"

namespace lab {
namespace detail {

Activity* current_activity() { return tl_act; }

const Clock::time_point process_start = Clock::now();

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
    thread_altstack();
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

// The pool and the timer thread are made again in a forked child (which
// has no threads but the one that forked): a test may run lab::run there.
Pool* g_pool = nullptr;
boost::asio::io_context* g_io = nullptr;

boost::asio::io_context* new_io() {
  auto* c = new boost::asio::io_context(1);
  std::thread([c] {
    auto guard = boost::asio::make_work_guard(*c);
    c->run();
  }).detach();
  return c;
}

void after_fork_in_child() {
  if (g_pool != nullptr) g_pool = new Pool;  // the old ones are leaked: their threads are gone
  if (g_io != nullptr) g_io = new_io();
}

void once_per_process() {
  static const bool done = [] {
    pthread_atfork(nullptr, nullptr, after_fork_in_child);
    return true;
  }();
  (void)done;
}

Pool& pool() {
  static Pool* p = [] {
    once_per_process();
    return g_pool = new Pool;
  }();
  (void)p;
  return *g_pool;
}

// --- the timer thread ---------------------------------------------------------
boost::asio::io_context& io() {
  static boost::asio::io_context* ctx = [] {
    once_per_process();
    return g_io = new_io();
  }();
  (void)ctx;
  return *g_io;
}

// --- activities -----------------------------------------------------------------

void run_activity(Activity* a);

void spawn_locked(const std::shared_ptr<RunState>& rs, std::string name, std::function<void()> fn, bool root,
                  Where where) {
  auto* a = new Activity;  // owned by run_activity, which deletes it at the end
  a->name = std::move(name);
  a->started_at = where;
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
    } catch (...) {
      std::string story = current_exception_story();
      std::lock_guard lk(r.m);
      record_failure_locked(r, "uncaught exception " + story + " (" + stamp(r, a->name) + ")", Outcome::Failed);
    }
  }
  // Captured state dies while the activity still counts as live, as cleanup
  // code: a destructor there may wait, and never throws lab::Killed.
  a->throw_at = -1;
  a->fn = nullptr;
  tl_act = nullptr;
  const bool root = a->root;
  std::shared_ptr<RunState> keep = std::move(a->run);
  std::lock_guard lk(r.m);
  r.live.erase(a->id);
  if (root) r.root_done = true;
  delete a;
  if (root || r.stopping) r.cv.notify_all();  // wakes run() or shutdown()
}

}  // namespace detail

using namespace detail;

// --- the free functions that start activities or let time pass ----------------------

void go(std::string name, std::function<void()> fn, Where where) {
  Activity& a = require_activity("lab::go");
  a.note_op("lab::go", &where);
  throw_if_killed(a);
  std::lock_guard lk(a.run->m);
  if (a.run->stopping) return;  // the run is ending; the new activity would be cancelled at once
  spawn_locked(a.run, std::move(name), std::move(fn), false, where);
}

void go(std::function<void()> fn, Where where) {
  // Named after the caller's line: no counter of the run is read here.
  go("go@" + site(where), std::move(fn), where);
}

void after(Duration d, std::function<void()> fn, Where where) {
  Activity& a = require_activity("lab::after");
  a.note_op("lab::after", &where);
  throw_if_killed(a);
  std::shared_ptr<RunState> rs = a.run;
  std::lock_guard lk(rs->m);
  if (rs->stopping) return;
  auto t = std::make_shared<boost::asio::steady_timer>(io(), std::chrono::duration_cast<Clock::duration>(d));
  rs->timers.insert(t.get());
  std::string name = "after#" + std::to_string(++rs->next_after);
  t->async_wait(
      [rs, t, name = std::move(name), fn = std::move(fn), where](const boost::system::error_code& ec) mutable {
        std::unique_lock lk(rs->m);
        if (!ec && !rs->stopping) {
          spawn_locked(rs, std::move(name), std::move(fn), false, where);
        } else {
          lk.unlock();
          fn = nullptr;  // what it captured dies before the timer counts as gone
          lk.lock();
        }
        rs->timers.erase(t.get());
        if (rs->stopping && rs->timers.empty()) rs->cv.notify_all();  // wakes run() or shutdown()
      });
}

void sleep_for(Duration d, Where where) {
  Activity* a = tl_act;
  if (a == nullptr) {
    std::this_thread::sleep_for(d);
    return;
  }
  a->note_op("sleep_for", &where);
  throw_if_killed(*a);
  if (d <= Duration::zero()) return;
  check_held(*a, nullptr, "lab::sleep_for", where);
  {
    // The wait below holds sleep_mu only: set the caller's mutexes aside,
    // or it would report them a second time.
    struct SetAside {
      Activity& a;
      HeldLocks held;
      explicit SetAside(Activity& act) : a(act), held(std::exchange(act.held, HeldLocks{})) {}
      ~SetAside() { a.held = held; }
    } aside(*a);
    Blocked b(*a, "sleep_for");
    MutexLock lk(a->sleep_mu, where);
    const Duration deadline = now() + d;
    while (a->sleep_cv.wait_until(a->sleep_mu, deadline, where)) {
    }
  }
  throw_if_killed(*a);
}

Duration now() {
  auto start = tl_act ? tl_act->run->start : process_start;
  return std::chrono::duration_cast<Duration>(Clock::now() - start);
}

void yield(Where where) {
  if (tl_act) {
    tl_act->note_op("yield", &where);
    throw_if_killed(*tl_act);
  }
  std::this_thread::yield();
}

void checkpoint(const char* what, Where where) {
  Activity& a = require_activity("lab::checkpoint");
  a.note_op(what, nullptr);
  a.last_what.store(what, std::memory_order_relaxed);  // the caller's own site, even under a label
  a.last_file.store(where.file, std::memory_order_relaxed);
  a.last_line.store(where.line, std::memory_order_relaxed);
  throw_if_killed(a);
  check_held(a, nullptr, what, where);
}

void detail::crash_where(CrashWhere& w) {
  Activity* a = tl_act;
  w.when[0] = 0;
  if (a == nullptr) {
    std::snprintf(w.who, sizeof w.who, "a thread outside the run's activities (the test's own thread, a timer)");
    return;
  }
  std::snprintf(w.who, sizeof w.who, "activity '%s' (#%llu)", a->name.c_str(), static_cast<unsigned long long>(a->id));
  if (a->run)
    std::snprintf(w.when, sizeof w.when, "t=%.6f (real time since the run began)",
                  std::chrono::duration<double>(Clock::now() - a->run->start).count());
}

std::string activity_name() { return tl_act ? tl_act->name : std::string(); }
bool in_run() { return tl_act != nullptr; }
const char* backend() { return "real"; }

}  // namespace lab
