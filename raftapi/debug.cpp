#include "raftapi/debug.hpp"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "lab/lab.hpp"

namespace raftapi {

bool verbose() {
  static const bool on = [] {
    const char* v = std::getenv("VERBOSE");
    return v != nullptr && std::atoi(v) >= 1;
  }();
  return on;
}

void dlog(const char* topic, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const long long tenths =
      lab::in_run() ? std::chrono::duration_cast<std::chrono::microseconds>(lab::now()).count() / 100 : 0;
  // One fprintf per line: stdio locks the stream, so lines never interleave.
  std::fprintf(stdout, "%06lld %s %s\n", tenths, topic, msg);
}

}  // namespace raftapi
