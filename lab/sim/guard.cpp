// libc guards of the simulation backend. Every activity of a run shares one OS
// thread, so a call that blocks that thread (a real sleep, a wait on a
// std::condition_variable, a std::mutex held by another fiber) stops the whole
// simulation for good. These interposers, linked into simulation binaries
// only, turn such a call into an immediate abort with a message naming the
// activity and the virtual time. They act only on a thread that turned them
// on (the simulation thread, during a run); every other thread goes straight
// to the real libc function.
//
// Boost.Fiber's own timed operations are caught elsewhere (SimAlgo::suspend_until,
// in scheduler.cpp) and busy loops by the watchdog (in run.cpp).
//
// Also here: sim_where and sim_abort, the message and the stop that every
// check of the backend shares (the stop prints, before it aborts, the seed
// and the recorded failures of every run in progress: lab/common.hpp).
//
// The real functions are found with dlsym(RTLD_NEXT): that is libc's, or the
// sanitizer's interceptor in a sanitizer build. (glibc's versioned alias
// __pthread_mutex_lock@GLIBC_2.2.5 does not work under ASan: libasan
// intercepts that name and its REAL() pointer is null on glibc >= 2.34.)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lab/sim/internal.hpp"

namespace lab::detail {

namespace {
thread_local bool tl_guard = false;

[[noreturn]] void blocked(const char* call) {
  tl_guard = false;
  sim_abort(std::string(call) +
            " called on the simulation thread: it would block every activity of the run (" + sim_where() +
            "). Use lab::Mutex, lab::CondVar, lab::sleep_for or lab::Chan instead.");
}

template <class Fn>
Fn next_symbol(const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (p == nullptr) sim_abort(std::string("guard: cannot find the real ") + name);
  return reinterpret_cast<Fn>(p);
}
}  // namespace

void guard_enable(bool on) { tl_guard = on; }

std::string sim_where() {
  Sim* s = tl_sim;
  if (s == nullptr) return "not in an activity";
  FiberRec* r = s->current();
  return "activity '" + (r ? r->name : std::string("(run)")) + "', virtual t=" + format_seconds(Duration(s->now()));
}

void crash_where(CrashWhere& w) {
  tl_guard = false;
  Sim* s = tl_sim;
  w.when[0] = 0;
  if (s == nullptr) {
    std::snprintf(w.who, sizeof w.who, "a thread outside the simulation (the test's own thread or the watchdog)");
    return;
  }
  FiberRec* r = s->current();
  if (r != nullptr)
    std::snprintf(w.who, sizeof w.who, "activity '%s' (#%llu)", r->name.c_str(), static_cast<unsigned long long>(r->id));
  else
    std::snprintf(w.who, sizeof w.who, "the simulation's scheduler (between activities)");
  std::snprintf(w.when, sizeof w.when, "virtual t=%.6f", static_cast<double>(s->now()) / 1e9);
}

void sim_abort(const std::string& msg) {
  guard_enable(false);
  abort_process(msg);
}

}  // namespace lab::detail

using lab::detail::blocked;
using lab::detail::next_symbol;
using lab::detail::tl_guard;

extern "C" {

int __nanosleep(const struct timespec* req, struct timespec* rem);

int pthread_mutex_lock(pthread_mutex_t* m) {
  if (tl_guard) {
    int r = pthread_mutex_trylock(m);
    if (r != EBUSY) return r;
    blocked("pthread_mutex_lock on a mutex held elsewhere (contended std::mutex?)");
  }
  // Resolved on first use, without a lock of any kind (dlsym takes only
  // glibc-internal locks). Racing first calls store the same pointer.
  using Fn = int (*)(pthread_mutex_t*);
  static std::atomic<Fn> real{nullptr};
  Fn f = real.load(std::memory_order_relaxed);
  if (f == nullptr) {
    f = next_symbol<Fn>("pthread_mutex_lock");
    real.store(f, std::memory_order_relaxed);
  }
  return f(m);
}

int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (tl_guard) blocked("nanosleep (std::this_thread::sleep_for?)");
  return __nanosleep(req, rem);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* req, struct timespec* rem) {
  if (tl_guard) blocked("clock_nanosleep (std::this_thread::sleep_until?)");
  using Fn = int (*)(clockid_t, int, const struct timespec*, struct timespec*);
  static Fn real = next_symbol<Fn>("clock_nanosleep");
  return real(clock, flags, req, rem);
}

int usleep(useconds_t us) {
  if (tl_guard) blocked("usleep");
  struct timespec ts {
    static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000
  };
  return __nanosleep(&ts, nullptr);
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  if (tl_guard) blocked("pthread_cond_wait (std::condition_variable::wait?)");
  using Fn = int (*)(pthread_cond_t*, pthread_mutex_t*);
  static Fn real = next_symbol<Fn>("pthread_cond_wait");
  return real(c, m);
}

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* t) {
  if (tl_guard) blocked("pthread_cond_timedwait (std::condition_variable::wait_for?)");
  using Fn = int (*)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
  static Fn real = next_symbol<Fn>("pthread_cond_timedwait");
  return real(c, m, t);
}

int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* t) {
  if (tl_guard) blocked("pthread_cond_clockwait (std::condition_variable::wait_for?)");
  using Fn = int (*)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
  static Fn real = next_symbol<Fn>("pthread_cond_clockwait");
  return real(c, m, clock, t);
}

}  // extern "C"
