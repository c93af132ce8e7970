// porcupine/models/append_kv.hpp — a key/value store of strings with get,
// put and append (the model of the key/value histories of the test corpus).
//
//   get(key) -> value   the value must be the key's current one ("" if unset)
//   put(key, value)     replaces it
//   append(key, value)  adds value at its end
//
// appendKvModel() checks each key on its own (partitioned by key; the state
// is one key's value). appendKvModelWhole() keeps the whole map as its
// state and checks the history in one piece: the same answers, far slower;
// it exists to exercise the checker on large states.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "porcupine/model.hpp"

namespace porcupine::models {

enum class AppendKvOp : std::uint8_t { Get, Put, Append };

struct AppendKvInput {
  AppendKvOp op = AppendKvOp::Get;
  std::string key;
  std::string value;  // put, append
};

struct AppendKvOutput {
  std::string value;  // get
};

Model<AppendKvInput, AppendKvOutput, std::string> appendKvModel();
Model<AppendKvInput, AppendKvOutput, std::map<std::string, std::string>> appendKvModelWhole();

std::string describeAppendKv(const AppendKvInput& in, const AppendKvOutput& out);

}  // namespace porcupine::models
