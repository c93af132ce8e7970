#include "porcupine/models/kv.hpp"

#include <functional>

namespace porcupine::models {

std::ostream& operator<<(std::ostream& os, const KvState& s) { return os << '{' << s.value << ' ' << s.version << '}'; }

Model<KvInput, KvOutput, KvState> kvModel() {
  Model<KvInput, KvOutput, KvState> m;
  m.partition = [](const History<KvInput, KvOutput>& h) {
    return partitionByKey(h, [](const KvInput& in) { return in.key; });
  };
  m.describePartition = [](const History<KvInput, KvOutput>& h) { return "key '" + h.front().input.key + "'"; };
  m.init = [] { return KvState{}; };
  m.step = [](const KvState& s, const KvInput& in, const KvOutput& out) -> std::optional<KvState> {
    if (in.op == kKvGet) {
      if (out.value != s.value) return std::nullopt;
      return s;
    }
    if (in.op != kKvPut) return std::nullopt;
    if (in.version == s.version) {
      if (out.err != "OK" && out.err != "ErrMaybe") return std::nullopt;
      return KvState{in.value, s.version + 1};
    }
    if (out.err != "ErrVersion" && out.err != "ErrMaybe") return std::nullopt;
    return s;
  };
  m.hash = [](const KvState& s) {
    return static_cast<std::uint64_t>(std::hash<std::string>{}(s.value)) ^ (s.version * 0x9e3779b97f4a7c15ull);
  };
  m.describeOperation = [](const KvInput& in, const KvOutput& out) -> std::string {
    if (in.op == kKvGet) {
      return "get('" + in.key + "') -> ('" + out.value + "', '" + std::to_string(out.version) + "', '" + out.err + "')";
    }
    if (in.op == kKvPut) {
      return "put('" + in.key + "', '" + in.value + "', '" + std::to_string(in.version) + "') -> ('" + out.err + "')";
    }
    return "<invalid>";
  };
  m.describeState = [](const KvState& s) { return '{' + s.value + ' ' + std::to_string(s.version) + '}'; };
  return m;
}

}  // namespace porcupine::models
