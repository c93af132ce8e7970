// The verdict channel: how a test binary tells scripts/grade and scripts/stress
// that a test ended and whether it passed, in a way student code cannot forge
// by printing "*** No errors detected" or by exiting with status 0.
//
// The runner (scripts/labtests.py, class Verdict) opens two descriptors before
// it starts the binary and names them in the environment:
//
//   LAB_VERDICT_FD      a file the binary appends its verdict lines to
//   LAB_VERDICT_KEY_FD  a pipe holding the run's secret key, then closed
//
// Before main (and before the static initializers of ordinary priority, which
// is where student code could first run) this file reads the key, closes the
// pipe and removes both variables, so the key lives only in this process's
// memory. Each test case then writes `<key> start <test>` when it begins and
// `<key> end <test> passed|failed` when it ends. The runner trusts only lines
// that carry its key: a test with no end line did not finish, whatever the
// exit status. README.md ("Grading") says what this does not protect against.
//
// Without the variables (make lab, a student running the binary by hand) this
// file does nothing.
#include <boost/test/tree/observer.hpp>
#include <boost/test/unit_test.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace {

// Plain data: set before the ordinary static initializers run, so nothing
// that needs a constructor of its own.
int g_fd = -1;
char g_key[129];

int fd_from_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return -1;
  char* end = nullptr;
  const long fd = std::strtol(v, &end, 10);
  return (end != v && *end == '\0' && fd >= 0 && fd < 1024) ? static_cast<int>(fd) : -1;
}

__attribute__((constructor(101))) void take_the_channel() {
  const int key_fd = fd_from_env("LAB_VERDICT_KEY_FD");
  const int fd = fd_from_env("LAB_VERDICT_FD");
  unsetenv("LAB_VERDICT_KEY_FD");
  unsetenv("LAB_VERDICT_FD");
  if (key_fd < 0 || fd < 0) return;
  ssize_t n = 0;
  for (ssize_t r; n < 128 && (r = read(key_fd, g_key + n, 128 - n)) > 0;) n += r;
  close(key_fd);
  if (n < 16) return;  // no key: no verdict, so the runner fails every test
  g_key[n] = '\0';
  g_fd = fd;
  fcntl(g_fd, F_SETFD, FD_CLOEXEC);  // not for programs a test might exec
}

void say(const std::string& what) {
  if (g_fd < 0) return;
  const std::string line = std::string(g_key) + " " + what + "\n";
  for (std::size_t off = 0; off < line.size();) {
    const ssize_t w = write(g_fd, line.data() + off, line.size() - off);
    if (w <= 0) return;
    off += static_cast<std::size_t>(w);
  }
}

// Counts what failed in the running test case itself, so the verdict does not
// depend on the order in which Boost calls its observers.
class VerdictObserver final : public boost::unit_test::test_observer {
 public:
  void test_unit_start(const boost::unit_test::test_unit& tu) override {
    if (tu.p_type != boost::unit_test::TUT_CASE) return;
    failed_ = false;
    say("start " + tu.full_name());
  }
  void test_unit_finish(const boost::unit_test::test_unit& tu, unsigned long) override {
    if (tu.p_type != boost::unit_test::TUT_CASE) return;
    say("end " + tu.full_name() + (failed_ ? " failed" : " passed"));
  }
  void assertion_result(boost::unit_test::assertion_result ar) override {
    if (ar == boost::unit_test::AR_FAILED) failed_ = true;
  }
  void exception_caught(const boost::execution_exception&) override { failed_ = true; }
  void test_unit_aborted(const boost::unit_test::test_unit&) override { failed_ = true; }
  void test_unit_timed_out(const boost::unit_test::test_unit&) override { failed_ = true; }

 private:
  bool failed_ = false;
};

struct RegisterVerdict {
  VerdictObserver observer;
  RegisterVerdict() {
    if (g_fd >= 0) boost::unit_test::framework::register_observer(observer);
  }
  ~RegisterVerdict() {
    if (g_fd >= 0) boost::unit_test::framework::deregister_observer(observer);
  }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(RegisterVerdict);
