// lab::Timer and lab::Ticker — Go's time.Timer and time.Ticker, built on
// lab::after, with channels that work in lab::select.
//
//   lab::Timer t(300ms, "election timer");   // t := time.NewTimer(300 * time.Millisecond)
//   lab::select(lab::recv(t.C(), [&](lab::Duration at) { ... }),   // case at := <-t.C:
//               lab::recv(requests, [&](Request r) { ... }));
//   t.Reset(150ms);                          // true if it was still going to fire (or had, unseen)
//   t.Stop();                                // the same; then it never fires
//
//   lab::Ticker tick(100ms, "heartbeat");    // tick := time.NewTicker(100 * time.Millisecond)
//   tick.C().recv();  tick.Reset(50ms);  tick.Stop();
//
// C() is a channel of capacity 1. When the timer fires it receives lab::now()
// (virtual in sim). A ticker sends every period; if the last tick is still
// unreceived it skips one, so a slow reader sees fewer ticks, not a backlog.
//
// Stop and Reset follow Go 1.23: once they return, no value from before them
// can be received: a value already fired but not yet received is taken back.
// Timer::Stop and Timer::Reset return true when the timer was active, that is
// due to fire or fired with its value still unreceived; false when it had
// been stopped or its value received. Stale firings (one lab::after per arm,
// which cannot be cancelled) find their generation out of date and send
// nothing.
//
// Make timers inside a lab::run (they are armed with lab::after); pending
// firings are dropped when the run ends. Destroying a Timer or Ticker stops
// it. `lab::Timer t;` makes a stopped timer, for a member armed later with
// Reset (Go has no such constructor).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "lab/select.hpp"

namespace lab {

namespace detail {

// What a timer and its pending lab::after firings share.
struct TimerState {
  explicit TimerState(std::string name) : c(1, std::move(name)) {}
  Mutex mu;
  Chan<Duration> c;
  std::uint64_t gen LAB_GUARDED_BY(mu) = 0;  // bumped by Stop and Reset: older firings are stale
  bool armed LAB_GUARDED_BY(mu) = false;     // a firing of this generation is pending
  Duration period LAB_GUARDED_BY(mu){};      // a ticker's period; zero for a timer
  Duration due LAB_GUARDED_BY(mu){};         // when the pending firing is due (lab::now() time)
};

inline void timerArm(const std::shared_ptr<TimerState>& s, Duration d) LAB_REQUIRES(s->mu);

inline void timerFire(const std::shared_ptr<TimerState>& s, std::uint64_t gen) {
  MutexLock lk(s->mu);
  if (s->gen != gen || !s->armed) return;  // stopped or reset since it was armed
  // Never blocks: a timer's buffer is empty here (Stop and Reset drain it);
  // a ticker whose last tick is unread drops this one.
  lab::select(lab::send(s->c, now()), lab::otherwise());
  s->armed = false;
  if (s->period > Duration::zero()) {
    // The next tick is due a period after this one was, whenever it ran.
    const Duration next = s->due + s->period;
    s->armed = true;
    s->due = next;
    const Duration wait = next - now();
    after(wait > Duration::zero() ? wait : Duration::zero(), [s, gen] { timerFire(s, gen); });
  }
}

inline void timerArm(const std::shared_ptr<TimerState>& s, Duration d) LAB_REQUIRES(s->mu) {
  if (d < Duration::zero()) d = Duration::zero();
  s->armed = true;
  s->due = now() + d;
  after(d, [s, gen = s->gen] { timerFire(s, gen); });
}

// Makes every pending firing stale and takes back a fired, unreceived value.
// True if the timer was active.
inline bool timerDisarm(TimerState& s) LAB_REQUIRES(s.mu) {
  ++s.gen;
  bool active = std::exchange(s.armed, false);
  if (lab::select(lab::recv(s.c), lab::otherwise()) == 0) active = true;
  return active;
}

}  // namespace detail

// Go's time.Timer: fires once, d after it was made or last Reset.
class Timer {
 public:
  // A stopped timer: C() receives nothing until Reset.
  explicit Timer(std::string name = "timer") : s_(std::make_shared<detail::TimerState>(std::move(name))) {}
  explicit Timer(Duration d, std::string name = "timer") : Timer(std::move(name)) {
    MutexLock lk(s_->mu);
    detail::timerArm(s_, d);
  }
  ~Timer() {
    if (in_run()) Stop();
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  Chan<Duration>& C() { return s_->c; }

  // Prevents the timer from firing. True if it was active (see the top).
  bool Stop() {
    MutexLock lk(s_->mu);
    return detail::timerDisarm(*s_);
  }
  // Makes the timer fire d from now, whatever it was doing. Returns what Stop would.
  bool Reset(Duration d) {
    MutexLock lk(s_->mu);
    const bool active = detail::timerDisarm(*s_);
    detail::timerArm(s_, d);
    return active;
  }

 private:
  std::shared_ptr<detail::TimerState> s_;
};

// Go's time.Ticker: sends on C() every period d (d > 0), until stopped.
class Ticker {
 public:
  explicit Ticker(Duration d, std::string name = "ticker") : s_(std::make_shared<detail::TimerState>(std::move(name))) {
    Reset(d);
  }
  ~Ticker() {
    if (in_run()) Stop();
  }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  Chan<Duration>& C() { return s_->c; }

  // No more ticks; an unreceived one is taken back.
  void Stop() {
    MutexLock lk(s_->mu);
    detail::timerDisarm(*s_);
  }
  // Stops the ticker and starts it again with period d: the next tick is d from now.
  void Reset(Duration d) {
    if (d <= Duration::zero()) fail("non-positive interval for lab::Ticker");
    MutexLock lk(s_->mu);
    detail::timerDisarm(*s_);
    s_->period = d;
    detail::timerArm(s_, d);
  }

 private:
  std::shared_ptr<detail::TimerState> s_;
};

}  // namespace lab
