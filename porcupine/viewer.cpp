// The viewer's writer (see viewer.hpp): the data as JSON, put into the page
// viewer.html in place of its marker. The page holds the renderer.
#include "porcupine/viewer.hpp"

#include <cstdio>
#include <fstream>
#include <string_view>

#include "lab/json.hpp"

// viewer.html, linked in as bytes with a terminating NUL (porcupine.mk makes
// viewer.o depend on it; the path is relative to the repository root, where
// make runs the compiler).
extern "C" const char porcupine_viewer_html[];
asm(".pushsection .rodata\n"
    ".global porcupine_viewer_html\n"
    ".type porcupine_viewer_html, @object\n"
    "porcupine_viewer_html:\n"
    ".incbin \"porcupine/viewer.html\"\n"
    ".byte 0\n"
    ".popsection\n");

namespace porcupine {

namespace detail {

std::string partOutcomeName(PartOutcome o) {
  switch (o) {
    case PartOutcome::Ok:
      return "Ok";
    case PartOutcome::Illegal:
      return "Illegal";
    case PartOutcome::Stopped:
      return "Unknown";
  }
  return "?";
}

}  // namespace detail

namespace {

// JSON text, safe inside a <script> element (lab/json.hpp).
// Each value writes the comma that separates it from the previous one.
class Json {
 public:
  void str(std::string_view s) {
    sep();
    quoted(s);
    comma_ = true;
  }
  // Times as strings: 64-bit values lose digits as JavaScript numbers.
  void time(Time t) { str(std::to_string(t)); }
  void num(long long v) {
    sep();
    out_ += std::to_string(v);
    comma_ = true;
  }
  void boolean(bool b) {
    sep();
    out_ += b ? "true" : "false";
    comma_ = true;
  }
  void key(std::string_view k) {
    sep();
    quoted(k);
    out_ += ':';
    comma_ = false;
  }
  void open(char c) {
    sep();
    out_ += c;
    comma_ = false;
  }
  void close(char c) {
    out_ += c;
    comma_ = true;
  }
  std::string take() { return std::move(out_); }

 private:
  void sep() {
    if (comma_) out_ += ',';
  }
  void quoted(std::string_view s) { lab::append_json_string(out_, s); }
  std::string out_;
  bool comma_ = false;
};

template <class T, class F>
void list(Json& j, const std::vector<T>& v, F&& each) {
  j.open('[');
  for (const auto& x : v) each(x);
  j.close(']');
}

std::string toJson(const ViewData& d) {
  Json j;
  j.open('{');
  j.key("title"), j.str(d.title);
  j.key("result"), j.str(d.result);
  j.key("partitions");
  list(j, d.partitions, [&](const ViewPartition& p) {
    j.open('{');
    j.key("name"), j.str(p.name);
    j.key("outcome"), j.str(p.outcome);
    j.key("initialState"), j.str(p.initialState);
    j.key("ops");
    list(j, p.operations, [&](const ViewOperation& op) {
      j.open('{');
      j.key("client"), j.num(op.clientId);
      j.key("call"), j.time(op.call);
      j.key("ret"), j.time(op.ret);
      j.key("text"), j.str(op.description);
      j.close('}');
    });
    j.key("prefixes");
    list(j, p.prefixes, [&](const ViewPrefix& x) {
      j.open('{');
      j.key("ops"), list(j, x.ops, [&](int id) { j.num(id); });
      j.key("states"), list(j, x.states, [&](const std::string& s) { j.str(s); });
      j.key("next"), list(j, x.next, [&](int id) { j.num(id); });
      j.key("rejected");
      j.open('[');
      for (bool b : x.nextRejected) j.boolean(b);
      j.close(']');
      j.close('}');
    });
    j.key("largest"), list(j, p.largest, [&](int i) { j.num(i); });
    j.close('}');
  });
  j.key("annotations");
  list(j, d.annotations, [&](const Annotation& a) {
    j.open('{');
    j.key("client"), j.num(a.clientId);
    j.key("tag"), j.str(a.tag);
    j.key("global"), j.boolean(a.global);
    j.key("start"), j.time(a.start);
    j.key("end"), j.time(a.end < a.start ? a.start : a.end);
    j.key("text"), j.str(a.description);
    j.key("details"), j.str(a.details);
    j.key("color"), j.str(a.textColor);
    j.key("background"), j.str(a.backgroundColor);
    j.close('}');
  });
  j.close('}');
  return j.take();
}

}  // namespace

std::string renderViewer(const ViewData& data) {
  const std::string_view page(porcupine_viewer_html);
  const std::string_view marker = "__PORCUPINE_DATA__";
  const auto at = page.find(marker);
  std::string out;
  out.reserve(page.size() + 4096);
  out += page.substr(0, at);
  out += toJson(data);
  out += page.substr(at + marker.size());
  return out;
}

bool writeViewer(const ViewData& data, const std::string& path, std::string* error) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f << renderViewer(data);
  if (f) f.close();
  if (!f) {
    if (error) *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace porcupine
