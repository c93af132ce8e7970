// porcupine/models/kv.hpp — the model of the key/value labs' versioned Put
// and Get (rpc.PutArgs/GetArgs and the Clerk's answers), as the lab's
// history checker uses it.
//
//   KvInput{op: 0 = get, 1 = put; key; value; version}
//   KvOutput{value; version; err}: a get fills all three, a put only err
//   KvState{value; version}: one key's value and how many Puts it has seen
//
// kvModel() is partitioned by key (groups in increasing key order), starts
// each key at {"", 0}, and steps:
//   get                      legal iff the value read is the state's value
//                            (its version and err are not checked)
//   put, version matches     legal iff err is OK or ErrMaybe; the state
//                            becomes {value, version + 1}
//   put, version differs     legal iff err is ErrVersion or ErrMaybe; no change
//   any other op             illegal
// ErrMaybe is accepted either way because the Clerk cannot know whether a
// re-sent Put took effect. States are equal when value and version are.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "porcupine/model.hpp"

namespace porcupine::models {

inline constexpr std::uint8_t kKvGet = 0;
inline constexpr std::uint8_t kKvPut = 1;

struct KvInput {
  std::uint8_t op = kKvGet;
  std::string key;
  std::string value;
  std::uint64_t version = 0;
};

struct KvOutput {
  std::string value;
  std::uint64_t version = 0;
  std::string err;
};

struct KvState {
  std::string value;
  std::uint64_t version = 0;
  friend bool operator==(const KvState&, const KvState&) = default;
};

// Go's %v of the state: {<value> <version>}.
std::ostream& operator<<(std::ostream& os, const KvState& s);

Model<KvInput, KvOutput, KvState> kvModel();

}  // namespace porcupine::models
