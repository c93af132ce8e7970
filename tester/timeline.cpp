// The failure timeline's recorder and writer (see timeline.hpp). The page
// itself, with its renderer, is timeline.html; this file fills in its data.
#include "tester/timeline.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "lab/json.hpp"

// timeline.html, linked in as bytes with a terminating NUL. The Makefile
// makes timeline.o depend on it; the path is relative to the repository
// root, where make runs the compiler.
extern "C" const char tester_timeline_html[];
asm(".pushsection .rodata\n"
    ".global tester_timeline_html\n"
    ".type tester_timeline_html, @object\n"
    "tester_timeline_html:\n"
    ".incbin \"tester/timeline.html\"\n"
    ".byte 0\n"
    ".popsection\n");

namespace tester {

namespace {

// The recorder of the test that runs now. Set inside the run (by the
// tester's constructor) and taken after lab::run returned, which orders the
// two: no lock needed.
std::shared_ptr<Timeline> current;

std::string vis() {
  const char* v = std::getenv("LAB_VIS");
  return v ? v : "";
}

std::int64_t ns(lab::Duration d) { return d.count(); }

std::string clip(std::string_view s) {
  return std::string(s.substr(0, Timeline::kMaxText)) + (s.size() > Timeline::kMaxText ? "..." : "");
}

// JSON output, appended to one string.
struct Out {
  std::string s;
  void num(std::int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    s.append(buf, p);
  }
  void us(std::int64_t t) { num(t / 1000); }  // ns -> µs
  void str(std::string_view v) { lab::append_json_string(s, v); }  // safe inside the page
  void key(const char* k) {
    if (!s.empty() && s.back() != '{' && s.back() != '[') s += ',';
    str(k);
    s += ':';
  }
};

// "... (activity 'x', t=1.234567)": the time of a failure, from lab's stamp.
std::int64_t failureTime(const std::string& msg, std::int64_t fallback) {
  auto at = msg.rfind("t=");
  if (at == std::string::npos) return fallback;
  char* end = nullptr;
  double secs = std::strtod(msg.c_str() + at + 2, &end);
  if (end == msg.c_str() + at + 2) return fallback;
  return static_cast<std::int64_t>(secs * 1e9);
}

std::string fileSafe(std::string s) {
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) c = '_';
  return s;
}

}  // namespace

template <class T>
void Timeline::Ring<T>::push(T v, std::size_t cap) {
  if (items.size() < cap) {
    items.push_back(std::move(v));
    return;
  }
  items[next] = std::move(v);
  next = (next + 1) % cap;
  dropped++;
}

template <class T>
template <class F>
void Timeline::Ring<T>::each(F f) const {
  for (std::size_t i = 0; i < items.size(); i++) f(items[(next + i) % items.size()]);
}

std::shared_ptr<Timeline> Timeline::make(int n) {
  auto tl = std::make_shared<Timeline>(n, vis() != "never");
  current = tl;
  raftapi::set_reporter(tl->on() ? tl.get() : nullptr);
  return tl;
}

Timeline::Timeline(int n, bool on) : n_(n), on_(on) {
  lab::MutexLock lk(mu_);
  up_.assign(static_cast<std::size_t>(n), false);
}

void Timeline::watch(labrpc::Network& net) {
  if (!on_) return;
  net.SetObserver([self = shared_from_this()](const labrpc::CallEvent& ev) { self->rpc(ev); });
}

void Timeline::add(std::int16_t server, Kind kind, std::int32_t a, std::int32_t b, std::string text) {
  lab::MutexLock lk(mu_);
  events_.push(Event{ns(lab::now()), server, kind, a, b, std::move(text)}, kMaxEvents);
}

void Timeline::endNames(int from, const std::vector<std::string>& names) {
  if (!on_) return;
  lab::MutexLock lk(mu_);
  for (std::size_t to = 0; to < names.size(); to++)
    ends_[names[to]] = {static_cast<std::int16_t>(from), static_cast<std::int16_t>(to)};
}

void Timeline::crashed(int server) {
  if (!on_) return;
  {
    lab::MutexLock lk(mu_);
    up_[static_cast<std::size_t>(server)] = false;
  }
  add(static_cast<std::int16_t>(server), Kind::Crash, 0, 0);
}

void Timeline::started(int server) {
  if (!on_) return;
  {
    lab::MutexLock lk(mu_);
    up_[static_cast<std::size_t>(server)] = true;
  }
  add(static_cast<std::int16_t>(server), Kind::Start, 0, 0);
}

void Timeline::connected(int server, bool yes) {
  if (on_) add(static_cast<std::int16_t>(server), yes ? Kind::Connect : Kind::Disconnect, 0, 0);
}
void Timeline::applied(int server, int index) {
  if (on_) add(static_cast<std::int16_t>(server), Kind::Applied, index, 0);
}
void Timeline::snapshot(int server, int index) {
  if (on_) add(static_cast<std::int16_t>(server), Kind::Snapshot, index, 0);
}
void Timeline::begin(const std::string& description) {
  if (on_) add(-1, Kind::Begin, 0, 0, clip(description));
}
void Timeline::end() {
  if (on_) add(-1, Kind::End, 0, 0);
}
void Timeline::oneStart(const std::string& cmd, int expectedServers) {
  if (on_) add(-1, Kind::OneStart, expectedServers, 0, clip(cmd));
}
void Timeline::oneDone(const std::string& cmd, int index) {
  if (on_) add(-1, Kind::OneDone, index, 0, clip(cmd));
}
void Timeline::note(const std::string& text) {
  if (on_) add(-1, Kind::Annotate, 0, 0, clip(text));
}
void Timeline::leaderFound(int leader, int term) {
  if (on_) add(static_cast<std::int16_t>(leader), Kind::Leader, term, 0);
}

void Timeline::role(int server, int term, raftapi::Role role) {
  if (!on_ || server < 0 || server >= n_) return;
  {
    lab::MutexLock lk(mu_);
    if (!up_[static_cast<std::size_t>(server)]) return;  // a crashed instance
  }
  add(static_cast<std::int16_t>(server), Kind::Role, term, static_cast<std::int32_t>(role));
}

void Timeline::annotate(int server, std::string_view text) {
  if (!on_ || server < 0 || server >= n_) return;
  add(static_cast<std::int16_t>(server), Kind::Annotate, 0, 0, clip(text));
}

void Timeline::rpc(const labrpc::CallEvent& ev) {
  lab::MutexLock lk(mu_);
  const auto* name = std::get_if<std::string>(&ev.endname);
  auto it = name ? ends_.find(*name) : ends_.end();
  if (it == ends_.end()) {
    strayRpcs_++;
    return;
  }
  std::size_t m = 0;
  while (m < methods_.size() && methods_[m] != ev.svcMeth) m++;
  if (m == methods_.size()) {
    if (m == 255) return;
    methods_.push_back(ev.svcMeth);
  }
  rpcs_.push(Rpc{ns(ev.start), ns(ev.end), it->second.first, it->second.second, static_cast<std::uint8_t>(m), ev.fate,
                 static_cast<std::uint32_t>(ev.argsBytes), static_cast<std::uint32_t>(ev.replyBytes)},
             kMaxRpcs);
}

// --- the file ------------------------------------------------------------------

// Reads without the lock: only after the run, when every activity has ended.
std::string Timeline::json(const std::string& testName, const lab::Result& r, const std::string& replay) const LAB_NO_TSA {
  static const char* kinds[] = {"role",  "applied", "snapshot", "crash", "start",    "connect", "disconnect",
                                "note",  "begin",   "end",      "one",   "one-done", "leader"};
  Out o;
  o.s.reserve(64 * (rpcs_.items.size() + events_.items.size()) + 4096);
  o.s += '{';
  o.key("test"), o.str(testName);
  o.key("seed"), o.str(std::to_string(r.seed));
  o.key("replay"), o.str(replay);
  o.key("backend"), o.str(lab::backend());
  o.key("outcome"), o.str(lab::to_string(r.outcome));
  o.key("n"), o.num(n_);
  o.key("elapsed"), o.us(ns(r.elapsed));
  o.key("droppedRpcs"), o.num(static_cast<std::int64_t>(rpcs_.dropped));
  o.key("droppedEvents"), o.num(static_cast<std::int64_t>(events_.dropped));
  o.key("strayRpcs"), o.num(static_cast<std::int64_t>(strayRpcs_));
  o.key("methods"), o.s += '[';
  for (std::size_t i = 0; i < methods_.size(); i++) {
    if (i) o.s += ',';
    o.str(methods_[i]);
  }
  o.s += ']';
  o.key("fates"), o.s += "[\"replied\",\"unreachable\",\"request lost\",\"server gone\",\"reply lost\"]";
  // rpcs: flat [start µs, end µs, from, to, method, fate, args bytes, reply bytes] * k
  o.key("rpcs"), o.s += '[';
  bool first = true;
  rpcs_.each([&](const Rpc& c) {
    if (!first) o.s += ',';
    first = false;
    o.us(c.start), o.s += ',', o.us(c.end), o.s += ',', o.num(c.from), o.s += ',', o.num(c.to), o.s += ',';
    o.num(c.method), o.s += ',', o.num(static_cast<int>(c.fate)), o.s += ',', o.num(c.argsBytes), o.s += ',';
    o.num(c.replyBytes);
  });
  o.s += ']';
  // events: [µs, server (-1 tester), kind, a, b, text]
  o.key("events"), o.s += '[';
  first = true;
  events_.each([&](const Event& e) {
    if (!first) o.s += ',';
    first = false;
    o.s += '[', o.us(e.t), o.s += ',', o.num(e.server), o.s += ',', o.str(kinds[static_cast<int>(e.kind)]);
    o.s += ',', o.num(e.a), o.s += ',', o.num(e.b), o.s += ',', o.str(e.text), o.s += ']';
  });
  o.s += ']';
  o.key("failures"), o.s += '[';
  first = true;
  for (const auto& f : r.failures) {
    if (!first) o.s += ',';
    first = false;
    o.s += '[', o.us(failureTime(f, ns(r.elapsed))), o.s += ',', o.str(f), o.s += ']';
  }
  o.s += "]}";
  return o.s;
}

std::string Timeline::write(const std::string& testName, const lab::Result& r, const std::string& replay) const {
  const char* dirEnv = std::getenv("LAB_VIS_DIR");
  std::filesystem::path dir = dirEnv && *dirEnv ? dirEnv : "build/timelines";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::path path =
      dir / (fileSafe(testName) + "-" + lab::backend() + "-" + std::to_string(r.seed) + ".html");
  const std::string_view page(tester_timeline_html);
  const std::string_view marker = "__TIMELINE_DATA__";
  const auto at = page.find(marker);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (at == std::string_view::npos || !f) {
    std::printf("timeline: cannot write %s\n", path.c_str());
    return "";
  }
  f << page.substr(0, at) << json(testName, r, replay) << page.substr(at + marker.size());
  f.close();
  if (!f) {
    std::printf("timeline: cannot write %s\n", path.c_str());
    return "";
  }
  return path.string();
}

std::string Timeline::finishRun(const std::string& testName, const lab::Result& r, const std::string& replay) {
  std::shared_ptr<Timeline> tl = std::move(current);
  current.reset();
  if (!tl) return "";
  if (r.stuck > 0) {
    // Abandoned activities may still report: keep the recorder alive for them.
    new std::shared_ptr<Timeline>(tl);
  } else {
    raftapi::set_reporter(nullptr);
  }
  if (!tl->on() || (r.ok() && vis() != "always")) return "";
  std::string path = tl->write(testName, r, replay);
  if (!path.empty()) std::printf("timeline: %s\n", path.c_str());
  std::fflush(stdout);
  return path;
}

}  // namespace tester
