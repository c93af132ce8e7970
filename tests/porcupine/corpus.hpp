// tests/porcupine/corpus.hpp — readers for the linearizability corpus
// (tests/porcupine/corpus, or $PORCUPINE_CORPUS) and its answers.
//
//   readJepsenLog(path)   a Jepsen etcd log as register events
//   readKvLog(path)       an EDN-like key/value log as append-kv events
//   readExpected(path)    expected.txt: name -> linearizable?
//
// Both logs pair a process's call with that process's next return. Lines of
// other shapes are skipped: a Jepsen ":info" (time-out) line leaves its call
// open, and calls still open at the end of the file get a return whose
// outcome is unknown (register) or empty (key/value), after every other event.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "porcupine/model.hpp"
#include "porcupine/models/append_kv.hpp"
#include "porcupine/models/register.hpp"

namespace corpus {

using RegisterEvents =
    std::vector<porcupine::Event<porcupine::models::RegisterInput, porcupine::models::RegisterOutput>>;
using KvEvents = std::vector<porcupine::Event<porcupine::models::AppendKvInput, porcupine::models::AppendKvOutput>>;

// The corpus folder: $PORCUPINE_CORPUS if set, else tests/porcupine/corpus
// (relative: the tests run from the root of the tree).
std::string root();

// Throw std::runtime_error when the file cannot be read.
RegisterEvents readJepsenLog(const std::string& path);
KvEvents readKvLog(const std::string& path);
std::map<std::string, bool> readExpected(const std::string& path);

}  // namespace corpus
