// porcupine/models/register.hpp — one integer register with read, write and
// compare-and-set, whose calls may end without a known outcome: the model of
// the Jepsen etcd histories.
//
//   read            ok with the value read, or exists = false when unset
//   write(arg1)     always succeeds
//   cas(arg1, arg2) ok iff the register held arg1; then it holds arg2
//   unknown = true  the outcome is not known (a time-out): the operation may
//                   or may not have happened, so any state allows it
#pragma once

#include <cstdint>
#include <string>

#include "porcupine/model.hpp"

namespace porcupine::models {

enum class RegisterOp : std::uint8_t { Read, Write, Cas };

struct RegisterInput {
  RegisterOp op = RegisterOp::Read;
  int arg1 = 0;  // write: the value; cas: the expected value
  int arg2 = 0;  // cas: the new value
};

struct RegisterOutput {
  bool ok = false;      // cas: it swapped
  bool exists = false;  // read: the register had a value
  int value = 0;        // read: that value
  bool unknown = false;
};

// The register's state when it was never written.
inline constexpr int kRegisterUnset = -1000000;

// State: the value, kRegisterUnset at first. One partition.
Model<RegisterInput, RegisterOutput, int> registerModel();

}  // namespace porcupine::models
