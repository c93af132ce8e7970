#include "tests/porcupine/corpus.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace corpus {

namespace {

using porcupine::EventKind;
using porcupine::models::AppendKvInput;
using porcupine::models::AppendKvOp;
using porcupine::models::AppendKvOutput;
using porcupine::models::RegisterInput;
using porcupine::models::RegisterOp;
using porcupine::models::RegisterOutput;

std::ifstream open(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return in;
}

bool isNumber(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "[a b]" split over two tokens "[a" and "b]": the two numbers.
bool readPair(const std::string& first, const std::string& second, int& a, int& b) {
  if (first.size() < 2 || first.front() != '[' || second.size() < 2 || second.back() != ']') return false;
  const std::string x = first.substr(1), y = second.substr(0, second.size() - 1);
  if (!isNumber(x) || !isNumber(y)) return false;
  a = std::stoi(x), b = std::stoi(y);
  return true;
}

// Pairs calls and returns per process and gives ids in call order.
template <class Events>
class Pairing {
 public:
  using Ev = typename Events::value_type;
  void call(int process, Ev e) {
    e.kind = EventKind::Call;
    e.clientId = process;
    e.id = nextId_++;
    open_[process] = e.id;
    events_.push_back(std::move(e));
  }
  void ret(int process, Ev e) {
    const auto it = open_.find(process);
    if (it == open_.end()) return;  // nothing to return from
    e.kind = EventKind::Return;
    e.clientId = process;
    e.id = it->second;
    open_.erase(it);
    events_.push_back(std::move(e));
  }
  Events finish(const Ev& unknownReturn) {
    for (const auto& [process, id] : open_) {
      Ev e = unknownReturn;
      e.kind = EventKind::Return;
      e.clientId = process;
      e.id = id;
      events_.push_back(e);
    }
    open_.clear();
    return std::move(events_);
  }

 private:
  Events events_;
  std::map<int, int> open_;  // process -> id of its open call
  int nextId_ = 0;
};

}  // namespace

std::string root() {
  const char* env = std::getenv("PORCUPINE_CORPUS");
  return env && *env ? env : "tests/porcupine/corpus";
}

RegisterEvents readJepsenLog(const std::string& path) {
  auto in = open(path);
  Pairing<RegisterEvents> pairs;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string info, where, dash, process, type, f, v1, v2, extra;
    words >> info >> where >> dash >> process >> type >> f >> v1 >> v2 >> extra;
    if (info != "INFO" || where != "jepsen.util" || dash != "-" || !isNumber(process) || !extra.empty()) continue;
    const int p = std::stoi(process);
    typename RegisterEvents::value_type e;
    int a = 0, b = 0;
    if (type == ":invoke") {
      if (f == ":read" && v1 == "nil" && v2.empty()) {
        e.input = {RegisterOp::Read};
      } else if (f == ":write" && isNumber(v1) && v2.empty()) {
        e.input = {RegisterOp::Write, std::stoi(v1)};
      } else if (f == ":cas" && readPair(v1, v2, a, b)) {
        e.input = {RegisterOp::Cas, a, b};
      } else {
        continue;
      }
      pairs.call(p, e);
    } else if (type == ":ok" || type == ":fail") {
      const bool ok = type == ":ok";
      if (ok && f == ":read" && v2.empty() && (v1 == "nil" || isNumber(v1))) {
        e.output = v1 == "nil" ? RegisterOutput{} : RegisterOutput{false, true, std::stoi(v1)};
      } else if (ok && f == ":write" && isNumber(v1) && v2.empty()) {
        e.output = {};
      } else if (f == ":cas" && readPair(v1, v2, a, b)) {
        e.output = {ok};
      } else if (!ok && f == ":read" && v1 == ":timed-out" && v2.empty()) {
        e.output = {false, false, 0, true};
      } else {
        continue;
      }
      pairs.ret(p, e);
    }
  }
  typename RegisterEvents::value_type unknown;
  unknown.output.unknown = true;
  return pairs.finish(unknown);
}

namespace {

// The fields of one {:k v, :k v} line; string values without their quotes
// (the corpus's strings hold no quote or comma).
std::map<std::string, std::string> ednFields(const std::string& line) {
  std::map<std::string, std::string> fields;
  if (line.size() < 2 || line.front() != '{' || line.back() != '}') return fields;
  std::istringstream parts(line.substr(1, line.size() - 2));
  std::string part;
  while (std::getline(parts, part, ',')) {
    const auto start = part.find(':');
    if (start == std::string::npos) continue;
    const auto space = part.find(' ', start);
    if (space == std::string::npos) continue;
    std::string value = part.substr(space + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    fields[part.substr(start, space - start)] = value;
  }
  return fields;
}

}  // namespace

KvEvents readKvLog(const std::string& path) {
  auto in = open(path);
  Pairing<KvEvents> pairs;
  std::string line;
  while (std::getline(in, line)) {
    auto fields = ednFields(line);
    const std::string& process = fields[":process"];
    const std::string& type = fields[":type"];
    const std::string& f = fields[":f"];
    if (!isNumber(process) || !fields.count(":key") || !fields.count(":value")) continue;
    typename KvEvents::value_type e;
    const AppendKvOp op = f == ":get" ? AppendKvOp::Get : f == ":put" ? AppendKvOp::Put : AppendKvOp::Append;
    if (f != ":get" && f != ":put" && f != ":append") continue;
    if (type == ":invoke") {
      e.input = {op, fields[":key"], op == AppendKvOp::Get ? std::string() : fields[":value"]};
      pairs.call(std::stoi(process), e);
    } else if (type == ":ok") {
      e.output = {op == AppendKvOp::Get ? fields[":value"] : std::string()};
      pairs.ret(std::stoi(process), e);
    }
  }
  return pairs.finish({});
}

std::map<std::string, bool> readExpected(const std::string& path) {
  auto in = open(path);
  std::map<std::string, bool> answers;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string name, answer;
    words >> name >> answer;
    if (answer == "true" || answer == "false") answers[name] = answer == "true";
  }
  return answers;
}

}  // namespace corpus
