#include "porcupine/models/register.hpp"

namespace porcupine::models {

Model<RegisterInput, RegisterOutput, int> registerModel() {
  Model<RegisterInput, RegisterOutput, int> m;
  m.init = [] { return kRegisterUnset; };
  m.step = [](const int& state, const RegisterInput& in, const RegisterOutput& out) -> std::optional<int> {
    switch (in.op) {
      case RegisterOp::Read: {
        const bool matches = out.exists ? state == out.value : state == kRegisterUnset;
        if (matches || out.unknown) return state;
        return std::nullopt;
      }
      case RegisterOp::Write:
        return in.arg1;
      case RegisterOp::Cas: {
        const bool swaps = state == in.arg1;
        if (!out.unknown && out.ok != swaps) return std::nullopt;
        return swaps ? in.arg2 : state;
      }
    }
    return std::nullopt;
  };
  m.hash = [](const int& s) { return static_cast<std::uint64_t>(static_cast<std::uint32_t>(s)); };
  m.describeOperation = [](const RegisterInput& in, const RegisterOutput& out) -> std::string {
    switch (in.op) {
      case RegisterOp::Read:
        if (out.unknown) return "read() -> unknown";
        return "read() -> " + (out.exists ? std::to_string(out.value) : std::string("null"));
      case RegisterOp::Write:
        return "write(" + std::to_string(in.arg1) + ")";
      case RegisterOp::Cas: {
        const std::string outcome = out.unknown ? "unknown" : out.ok ? "ok" : "fail";
        return "cas(" + std::to_string(in.arg1) + ", " + std::to_string(in.arg2) + ") -> " + outcome;
      }
    }
    return "<invalid>";
  };
  m.describeState = [](const int& s) { return s == kRegisterUnset ? std::string("null") : std::to_string(s); };
  return m;
}

}  // namespace porcupine::models
