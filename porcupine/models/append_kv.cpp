#include "porcupine/models/append_kv.hpp"

#include <functional>

namespace porcupine::models {

namespace {

// The value after the operation, or nullopt if its output is impossible.
std::optional<std::string> apply(const std::string& value, const AppendKvInput& in, const AppendKvOutput& out) {
  switch (in.op) {
    case AppendKvOp::Get:
      if (out.value != value) return std::nullopt;
      return value;
    case AppendKvOp::Put:
      return in.value;
    case AppendKvOp::Append:
      return value + in.value;
  }
  return std::nullopt;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

std::string describeAppendKv(const AppendKvInput& in, const AppendKvOutput& out) {
  switch (in.op) {
    case AppendKvOp::Get:
      return "get(" + quoted(in.key) + ") -> " + quoted(out.value);
    case AppendKvOp::Put:
      return "put(" + quoted(in.key) + ", " + quoted(in.value) + ")";
    case AppendKvOp::Append:
      return "append(" + quoted(in.key) + ", " + quoted(in.value) + ")";
  }
  return "<invalid>";
}

Model<AppendKvInput, AppendKvOutput, std::string> appendKvModel() {
  Model<AppendKvInput, AppendKvOutput, std::string> m;
  m.partition = [](const History<AppendKvInput, AppendKvOutput>& h) {
    return partitionByKey(h, [](const AppendKvInput& in) { return in.key; });
  };
  m.describePartition = [](const History<AppendKvInput, AppendKvOutput>& h) {
    return "key " + quoted(h.front().input.key);
  };
  m.init = [] { return std::string(); };
  m.step = apply;
  m.hash = [](const std::string& s) { return static_cast<std::uint64_t>(std::hash<std::string>{}(s)); };
  m.describeOperation = describeAppendKv;
  m.describeState = quoted;
  return m;
}

Model<AppendKvInput, AppendKvOutput, std::map<std::string, std::string>> appendKvModelWhole() {
  using Map = std::map<std::string, std::string>;
  Model<AppendKvInput, AppendKvOutput, Map> m;
  m.init = [] { return Map(); };
  m.step = [](const Map& state, const AppendKvInput& in, const AppendKvOutput& out) -> std::optional<Map> {
    const auto it = state.find(in.key);
    auto value = apply(it == state.end() ? std::string() : it->second, in, out);
    if (!value) return std::nullopt;
    if (in.op == AppendKvOp::Get) return state;
    Map next = state;
    next[in.key] = std::move(*value);
    return next;
  };
  m.hash = [](const Map& state) {
    std::uint64_t h = 0;
    for (const auto& [k, v] : state) {
      h = h * 1000003u ^ std::hash<std::string>{}(k);
      h = h * 1000003u ^ std::hash<std::string>{}(v);
    }
    return h;
  };
  m.describeOperation = describeAppendKv;
  m.describeState = [](const Map& state) {
    std::string text = "{";
    for (const auto& [k, v] : state) text += (text.size() > 1 ? ", " : "") + quoted(k) + ": " + quoted(v);
    return text + "}";
  };
  return m;
}

}  // namespace porcupine::models
