// The parts of lab:: that do not depend on the backend.
#include "lab/common.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <utility>

namespace lab {

namespace detail {
std::string format_seconds(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", std::chrono::duration<double>(d).count());
  return buf;
}

std::string site(const Where& loc) {
  std::string_view f = loc.file;
  if (f.starts_with("./")) f.remove_prefix(2);
  // An absolute path: from the last directory but one, which reads as the
  // repository-rooted path of every file of the lab.
  if (f.starts_with("/")) {
    auto last = f.rfind('/');
    auto prev = last == 0 ? std::string_view::npos : f.rfind('/', last - 1);
    if (prev != std::string_view::npos) f.remove_prefix(prev + 1);
  }
  return std::string(f) + ":" + std::to_string(loc.line);
}

bool inside_lab(const Where& loc) {
  std::string_view f = loc.file;
  if (f.starts_with("./")) f.remove_prefix(2);
  return f.starts_with("lab/") || f.find("/lab/") != std::string_view::npos;
}

namespace {
// The runs in progress, for the abort paths. Leaked on purpose: an abort
// may come from any thread at any time, static destruction included.
SpinLock& runs_mu() {
  static SpinLock* m = new SpinLock;
  return *m;
}
std::vector<RunRecord*>& runs() {
  static auto* v = new std::vector<RunRecord*>;
  return *v;
}
}  // namespace

RunRecord::RunRecord(std::uint64_t seed, std::string test) : seed_(seed), test_(std::move(test)) {
  std::lock_guard lk(runs_mu());
  runs().push_back(this);
}

RunRecord::~RunRecord() { end(); }

void RunRecord::end() {
  std::lock_guard lk(runs_mu());
  std::erase(runs(), this);
}

void RunRecord::record(const std::string& failure) {
  std::lock_guard lk(mu_);
  failures_.push_back(failure);
}

void print_runs() {
  std::lock_guard lk(runs_mu());
  for (RunRecord* r : runs()) {
    const auto seed = static_cast<unsigned long long>(r->seed_);
    if (std::strcmp(backend(), "sim") == 0)
      std::fprintf(stderr, "lab: in progress: the run of seed %llu (sim backend; LAB_SEED=%llu replays it)\n", seed,
                   seed);
    else
      std::fprintf(stderr, "lab: in progress: the run of seed %llu (real backend)\n", seed);
    std::lock_guard lk2(r->mu_);
    if (r->failures_.empty()) std::fprintf(stderr, "lab:   it had recorded no failure\n");
    for (const auto& f : r->failures_) std::fprintf(stderr, "lab:   failure it had recorded: %s\n", f.c_str());
  }
  std::fflush(stderr);
}

namespace {
// A crash report in progress (0: none): every other abort path waits for it.
std::atomic<int> g_crashing{0};
// abort_process's own std::abort: the SIGABRT handler lets it through.
std::atomic<bool> g_lab_abort{false};
[[noreturn]] void wait_forever() {
  for (;;) pause();
}
}  // namespace


std::string group_report(const std::vector<ReportLine>& lines) {
  // Groups keyed by (name, state), kept in order of their first id.
  std::map<std::pair<std::string, std::string>, std::vector<std::uint64_t>> groups;
  std::vector<std::pair<std::uint64_t, const std::pair<std::string, std::string>*>> order;
  for (const auto& l : lines) {
    auto [it, fresh] = groups.try_emplace({l.name, l.state});
    if (fresh) order.emplace_back(l.id, &it->first);
    it->second.push_back(l.id);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string s;
  for (const auto& [first, key] : order) {
    const auto& ids = groups[*key];
    if (ids.size() == 1) {
      s += "\n    '" + key->first + "' (#" + std::to_string(ids[0]) + ") " + key->second;
      continue;
    }
    s += "\n    " + std::to_string(ids.size()) + " \u00d7 '" + key->first + "' (";
    for (std::size_t i = 0; i < ids.size(); i++) {
      if (i == 3 && ids.size() > 4) {
        s += ", \u2026 #" + std::to_string(ids.back());
        break;
      }
      s += (i ? ", #" : "#") + std::to_string(ids[i]);
    }
    s += ") " + key->second;
  }
  return s;
}

void report_lock_held(const char* what, const char* label, const Where& where, const Where& locked_at,
                      const std::string& activity, bool may_fail) {
  const bool strict = lab::strict();
  // The call site: the student's line if the call came from there, else
  // the operation's label ("Chan::send on applyCh S1").
  std::string call = label != nullptr ? std::string(label) : std::string(what);
  if (!inside_lab(where)) call += " at " + site(where);
  std::string msg = call + " while holding the lab::Mutex locked at " + site(locked_at) + " (activity '" + activity +
                    "', t=" + time_string() +
                    "): every activity that needs that mutex waits as long; unlock it around the call";
  if (strict && may_fail) fail("blocking with a lock held: " + msg + " (LAB_STRICT=1)");
  if (strict) return;
  static SpinLock mu;
  static auto* seen = new std::set<std::pair<std::string, std::string>>;
  {
    std::lock_guard lk(mu);
    if (!seen->emplace(site(where) + "|" + call, site(locked_at)).second) return;
  }
  std::fprintf(stderr, "lab: warning: %s (LAB_STRICT=1 makes this a failure; reported once per site)\n", msg.c_str());
  std::fflush(stderr);
}


// --- crashes ------------------------------------------------------------------------
//
// Written for a process that may be in any state: plain write(2) to the file
// descriptors, fixed buffers for the first line; the stack is symbolized by
// addr2line in a child process (binutils), after everything else is out.

namespace {

bool same_file(int a, int b) {
  struct stat x {}, y{};
  return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

void write_all(int fd, const char* s, std::size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, s, n);
    if (k <= 0) return;
    s += k;
    n -= static_cast<std::size_t>(k);
  }
}

// To stdout and stderr (once if they are the same file: lab-report's pipe).
void emit(const char* s, std::size_t n) {
  write_all(1, s, n);
  static const bool same = same_file(1, 2);
  if (!same) write_all(2, s, n);
}
void emit(const std::string& s) { emit(s.data(), s.size()); }

// "fatal error: in "<test>": " when the test is known: the line then reads,
// to scripts/labtests.py, as the test's failure.
std::string lead_in(const std::string& test) {
  return test.empty() ? std::string("lab: fatal: ") : "fatal error: in \"" + test + "\": ";
}

// The run in progress (the crash's), if any: its seed and test.
bool current_run(std::uint64_t& seed, std::string& test) {
  std::lock_guard lk(runs_mu());
  if (runs().empty()) return false;
  seed = runs().back()->seed();
  test = runs().back()->test();
  return true;
}

std::string seed_line(std::uint64_t seed) {
  const auto n = static_cast<unsigned long long>(seed);
  char buf[200];
  if (std::strcmp(backend(), "sim") == 0)
    std::snprintf(buf, sizeof buf, "seed %llu (sim backend): LAB_SEED=%llu replays this run", n, n);
  else
    std::snprintf(buf, sizeof buf, "seed %llu (real backend): real time: the seed fixes random choices, not the schedule",
                  n);
  return buf;
}

// Runs addr2line on `module` for `offsets`; one string per offset
// ("raft::Raft::Start(...) at raft/raft.cpp:12", inlined callers following).
std::vector<std::string> addr2line(const char* module, const std::vector<std::uintptr_t>& offsets) {
  std::vector<std::string> out(offsets.size());
  if (access("/usr/bin/addr2line", X_OK) != 0) return out;
  std::vector<std::string> args = {"addr2line", "-C", "-f", "-i", "-p", "-a", "-e", module};
  for (auto o : offsets) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%zx", static_cast<std::size_t>(o));
    args.emplace_back(b);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) return out;
  pid_t pid = fork();
  if (pid < 0) return out;
  if (pid == 0) {
    dup2(fds[1], 1);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    close(fds[0]);
    close(fds[1]);
    execv("/usr/bin/addr2line", argv.data());
    syscall(SYS_exit_group, 127);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  // "0x0000000000001234: f(int) at /work/main/raft/raft.cpp:12\n (inlined by) g() at ...\n"
  char cwd[512];
  std::string root = getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" : std::string();
  int i = -1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.starts_with("0x")) {
      if (++i >= static_cast<int>(out.size())) break;
      auto colon = line.find(": ");
      line = colon == std::string::npos ? line : line.substr(colon + 2);
    } else if (i < 0) {
      continue;
    } else {
      if (line.find(" at /usr/") != std::string::npos) continue;  // the standard library's and Boost's inlining
      line = "\n         " + line.substr(line.find_first_not_of(' '));
    }
    if (!root.empty())
      for (std::size_t at; (at = line.find(root)) != std::string::npos;) line.erase(at, root.size());
    // A long line (a lambda's name, a tree checked out deep) loses part of
    // its function's name, never the file and line it is at.
    constexpr std::size_t kMax = 240;
    if (line.size() > kMax) {
      const std::size_t at = line.rfind(" at ");
      if (at != std::string::npos && line.size() - at <= kMax / 2)
        line = line.substr(0, kMax - (line.size() - at) - 3) + "..." + line.substr(at);
      else
        line = line.substr(0, kMax - 3) + "...";
    }
    out[static_cast<std::size_t>(i)] += line;
  }
  return out;
}

// The frames from `pc` on (all of them if pc is null or not found), one
// line each, symbolized.
std::string stack_story(void** frames, int n, void* pc) {
  int first = 0;
  if (pc != nullptr) {
    for (int i = 0; i < n; i++)
      if (frames[i] == pc) {
        first = i;
        break;
      }
  } else {
    // Called from exit and its kin, or from a libc guard (lab/sim/guard.cpp):
    // the story starts at their caller.
    for (int i = 0; i < n && i < 12; i++) {
      Dl_info info{};
      if (dladdr(frames[i], &info) == 0 || info.dli_sname == nullptr) continue;
      for (const char* f : {"exit", "_exit", "_Exit", "quick_exit", "nanosleep", "clock_nanosleep", "usleep",
                            "pthread_mutex_lock", "pthread_cond_wait", "pthread_cond_timedwait",
                            "pthread_cond_clockwait"})
        if (std::strcmp(info.dli_sname, f) == 0) first = i + 1;
    }
  }
  struct F {
    void* pc;
    std::string module;
    std::uintptr_t off = 0;
    const char* sym = nullptr;
    bool main = false;
  };
  std::vector<F> fs;
  for (int i = first; i < n && fs.size() < 48; i++) {
    F f{frames[i], "", 0, nullptr, false};
    // A return address points after its call: the line of the call is one byte before.
    auto a = reinterpret_cast<std::uintptr_t>(frames[i]) - (i == first && pc != nullptr ? 0 : 1);
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(a), &info) != 0 && info.dli_fbase != nullptr) {
      static Dl_info self{};
      static const bool have_self = dladdr(reinterpret_cast<void*>(&install_crash_handlers), &self) != 0;
      const bool main_exe = have_self && info.dli_fbase == self.dli_fbase;
      static const std::string exe = [] {
        char p[4096];
        ssize_t k = readlink("/proc/self/exe", p, sizeof p - 1);
        return k > 0 ? std::string(p, static_cast<std::size_t>(k)) : std::string();
      }();
      f.module = main_exe ? exe : (info.dli_fname ? info.dli_fname : "");
      f.main = main_exe;
      const auto* eh = static_cast<const ElfW(Ehdr)*>(info.dli_fbase);
      f.off = eh->e_type == ET_DYN ? a - reinterpret_cast<std::uintptr_t>(info.dli_fbase) : a;
      f.sym = info.dli_sname;
    }
    fs.push_back(std::move(f));
  }
  std::vector<std::string> text(fs.size());
  std::vector<std::string> done;
  for (std::size_t i = 0; i < fs.size(); i++) {
    if (fs[i].module.empty() || std::find(done.begin(), done.end(), fs[i].module) != done.end()) continue;
    done.push_back(fs[i].module);
    std::vector<std::size_t> idx;
    std::vector<std::uintptr_t> offs;
    for (std::size_t j = i; j < fs.size(); j++)
      if (fs[j].module == fs[i].module) {
        idx.push_back(j);
        offs.push_back(fs[j].off);
      }
    auto lines = addr2line(fs[i].module.c_str(), offs);
    for (std::size_t k = 0; k < idx.size(); k++) text[idx[k]] = lines[k];
  }
  std::string s;
  for (std::size_t i = 0; i < fs.size(); i++) {
    std::string t = text[i];
    if (t.empty() || t.starts_with("??")) {
      char b[64];
      std::snprintf(b, sizeof b, "%p", fs[i].pc);
      t = b;
      if (fs[i].sym) {
        int st = 0;
        char* d = abi::__cxa_demangle(fs[i].sym, nullptr, nullptr, &st);
        t += std::string(" in ") + (st == 0 && d ? d : fs[i].sym);
        std::free(d);
      }
      if (!fs[i].module.empty() && !fs[i].main) t += " (" + fs[i].module + ")";
    }
    char num[32];
    std::snprintf(num, sizeof num, "lab:   #%-2zu ", i);
    s += num + t + "\n";
    // The activity's entry in the runtime: what lies beyond is the runtime's.
    if (t.find("Sim::body") != std::string::npos || t.find("run_activity") != std::string::npos) break;
  }
  return s;
}

const char* signal_story(int sig, const siginfo_t* si, char* buf, std::size_t n) {
  switch (sig) {
    case SIGSEGV:
      std::snprintf(buf, n, "SIGSEGV (segmentation fault: invalid memory access at address %p)", si ? si->si_addr : nullptr);
      break;
    case SIGBUS:
      std::snprintf(buf, n, "SIGBUS (bus error at address %p)", si ? si->si_addr : nullptr);
      break;
    case SIGFPE:
      std::snprintf(buf, n, "SIGFPE (%s)",
                    si && si->si_code == FPE_INTDIV ? "integer division by zero" : "arithmetic exception");
      break;
    case SIGILL: std::snprintf(buf, n, "SIGILL (illegal instruction)"); break;
    case SIGABRT:
      std::snprintf(buf, n,
                    "SIGABRT (abort(): a failed assert, std::abort, or std::terminate after an exception left a "
                    "noexcept function or a std::thread)");
      break;
    default: std::snprintf(buf, n, "signal %d", sig); break;
  }
  return buf;
}

// Prints the crash story and ends the process. `what`: "SIGSEGV (...)" or
// "exit(0) called"; `pc`: the faulting instruction (null: the caller's frames).
[[noreturn]] void crash(const char* what, void* pc, bool called) {
  int expected = 0;
  if (!g_crashing.compare_exchange_strong(expected, 1)) wait_forever();  // another thread reports its crash
  CrashWhere w{};
  crash_where(w);
  void* frames[128];
  const int n = backtrace(frames, 128);
  std::fflush(stdout);  // what the test printed so far comes first
  std::uint64_t seed = 0;
  std::string test;
  const bool in_run = current_run(seed, test);
  std::string line = lead_in(test) + what + (called ? " by " : " in ") + w.who;
  if (w.when[0]) line += std::string(" at ") + w.when;
  if (!test.empty()) line += " during test " + test;
  if (in_run) line += "; " + seed_line(seed);
  emit(line + "\n");
  if (in_run) emit("lab: " + seed_line(seed) + "\n");
  print_crash_runs();
  emit("lab: stack of " + std::string(w.who) + ":\n");
  emit(stack_story(frames, n, pc));
  char tail[160];
  std::snprintf(tail, sizeof tail,
                "lab: the process ends here (exit status %d): after this, nothing else can run safely\n", kCrashStatus);
  emit(tail, std::strlen(tail));
  syscall(SYS_exit_group, kCrashStatus);
  __builtin_unreachable();
}

void on_fatal_signal(int sig, siginfo_t* si, void* ctx) {
  if (sig == SIGABRT && g_lab_abort.load()) {  // the lab's own abort, its message already out
    signal(SIGABRT, SIG_DFL);
    raise(SIGABRT);
    return;
  }
  void* pc = nullptr;
#if defined(__x86_64__)
  if (ctx != nullptr) pc = reinterpret_cast<void*>(static_cast<ucontext_t*>(ctx)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  if (ctx != nullptr) pc = reinterpret_cast<void*>(static_cast<ucontext_t*>(ctx)->uc_mcontext.pc);
#endif
  char buf[256];
  crash(signal_story(sig, si, buf, sizeof buf), sig == SIGABRT ? nullptr : pc, false);
}

void on_sigint(int) {
  std::uint64_t seed = 0;
  std::string test;
  if (current_run(seed, test)) {
    std::fflush(stdout);
    emit("\nlab: interrupted (SIGINT)" + (test.empty() ? std::string() : " during test " + test) + "; " +
         seed_line(seed) + "\n");
    print_crash_runs();
  }
  signal(SIGINT, SIG_DFL);
  raise(SIGINT);
}

}  // namespace

void abort_process(const std::string& msg) {
  if (g_crashing.load() != 0) wait_forever();  // a crash report is being written: it ends the process
  g_lab_abort.store(true);
  std::fflush(stdout);  // what the test printed so far comes first
  std::uint64_t seed = 0;
  std::string test;
  current_run(seed, test);
  // With the test's name, the line reads to scripts/labtests.py as its failure.
  emit((test.empty() ? std::string() : "fatal error: in \"" + test + "\": ") + "lab: " + msg + "\n");
  print_runs();
  CrashWhere w{};
  crash_where(w);
  if (std::strncmp(w.who, "activity ", 9) == 0) {  // on an activity's thread: its stack
    void* frames[128];
    const int n = backtrace(frames, 128);
    emit("lab: stack of " + std::string(w.who) + ":\n" + stack_story(frames, n, nullptr));
  }
  std::fflush(stderr);
  std::abort();
}

void print_crash_runs() {
  std::lock_guard lk(runs_mu());
  for (RunRecord* r : runs()) {
    std::lock_guard lk2(r->mu_);
    for (const auto& f : r->failures_) emit("lab:   failure it had recorded: " + f + "\n");
  }
}

void thread_altstack() {
  thread_local bool done = false;
  if (done) return;
  done = true;
  stack_t old{};
  if (sigaltstack(nullptr, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_size >= 64 * 1024) return;
  stack_t st{};
  st.ss_size = 64 * 1024;
  st.ss_sp = std::malloc(st.ss_size);  // leaked with the thread on purpose: a signal may come at its very end
  if (st.ss_sp != nullptr) sigaltstack(&st, nullptr);
}

void install_crash_handlers() {
  static const bool warmed = [] {
    void* f[2];
    backtrace(f, 2);  // loads libgcc_s now, not inside a signal handler
    return true;
  }();
  (void)warmed;
  thread_altstack();
  struct sigaction sa {};
  sa.sa_sigaction = on_fatal_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(sig, &sa, nullptr);
  struct sigaction si {};
  si.sa_handler = on_sigint;
  sigemptyset(&si.sa_mask);
  sigaction(SIGINT, &si, nullptr);
}

std::string current_exception_story() {
  std::string type = "?";
  if (const std::type_info* t = abi::__cxa_current_exception_type()) {
    int st = 0;
    char* d = abi::__cxa_demangle(t->name(), nullptr, nullptr, &st);
    type = st == 0 && d ? d : t->name();
    std::free(d);
  }
  try {
    throw;
  } catch (const std::exception& e) {
    return type + ": " + e.what();
  } catch (...) {
    return type + " (not a std::exception)";
  }
}

// exit and its kin, called while a run is in progress (interposers below).
[[noreturn]] void exit_called(const char* fn, int status) {
  char what[96];
  std::snprintf(what, sizeof what, "%s(%d) called", fn, status);
  crash(what, nullptr, true);
}

bool run_in_progress() {
  std::lock_guard lk(runs_mu());
  return !runs().empty();
}

}  // namespace detail

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::Passed: return "passed";
    case Outcome::Failed: return "FAILED";
    case Outcome::Deadlock: return "DEADLOCK";
    case Outcome::TimeLimit: return "TIME-LIMIT";
    case Outcome::Livelock: return "LIVELOCK";
  }
  return "?";
}

std::string Result::summary() const {
  if (failures.empty()) return to_string(outcome);
  std::string s = to_string(outcome);
  for (const auto& f : failures) s += "\n  " + f;
  return s;
}

std::int64_t rand_intn(std::int64_t n) {
  if (n <= 0) fail("lab::rand_intn(" + std::to_string(n) + "): n must be positive");
  // Plain modulo keeps the draw independent of the standard library (the
  // bias is below 2^-40 for the ranges the lab uses).
  return static_cast<std::int64_t>(rand_u64() % static_cast<std::uint64_t>(n));
}

std::string time_string() { return detail::format_seconds(now()); }

bool strict() {
  const char* v = std::getenv("LAB_STRICT");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

std::uint64_t seed_from_env() {
  if (const char* s = std::getenv("LAB_SEED"); s && *s) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (end && *end == '\0') return v;
    std::fprintf(stderr, "lab: LAB_SEED=%s is not a decimal number\n", s);
    std::exit(2);
  }
  std::random_device rd;
  return ((std::uint64_t{rd()} << 32) | rd()) & ((std::uint64_t{1} << 62) - 1);
}

}  // namespace lab

// exit, _exit, _Exit and quick_exit, defined in the binary so that every
// call comes here first: during a run they end the process with a crash
// story ("exit(0) called by activity 'x' ... during test T"), since the
// test would otherwise stop without a word; otherwise they do what libc does.
namespace {
template <class Fn>
Fn libc(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
}  // namespace

extern "C" {

void exit(int status) noexcept {
  if (lab::detail::run_in_progress()) lab::detail::exit_called("exit", status);
  static auto real = libc<void (*)(int)>("exit");
  real(status);
  __builtin_unreachable();
}

void quick_exit(int status) noexcept {
  if (lab::detail::run_in_progress()) lab::detail::exit_called("quick_exit", status);
  static auto real = libc<void (*)(int)>("quick_exit");
  real(status);
  __builtin_unreachable();
}

void _exit(int status) {
  if (lab::detail::run_in_progress()) lab::detail::exit_called("_exit", status);
  static auto real = libc<void (*)(int)>("_exit");
  real(status);
  __builtin_unreachable();
}

void _Exit(int status) noexcept {
  if (lab::detail::run_in_progress()) lab::detail::exit_called("_Exit", status);
  static auto real = libc<void (*)(int)>("_Exit");
  real(status);
  __builtin_unreachable();
}

}  // extern "C"
