// porcupine/porcupine.hpp — a linearizability checker, and a viewer of the
// histories it checks. Include this one header.
//
// A test records what its clients did, one Operation per completed call:
//
//   using porcupine::models::KvInput, porcupine::models::KvOutput;
//   porcupine::History<KvInput, KvOutput> history;  // append under a lock
//   history.push_back({.clientId = cli, .input = {kKvGet, key}, .call = start,
//                      .output = {value, version, err}, .ret = end});
//
// then asks whether some order of those calls, each taking effect at one
// instant between its call and its return, is a legal run of the model:
//
//   auto [result, info] = porcupine::checkOperationsVerbose(
//       porcupine::models::kvModel(), history, {.timeout = std::chrono::seconds(1)});
//   // result: CheckResult::Ok, Illegal, or Unknown (the budget ran out)
//   if (result == porcupine::CheckResult::Illegal) {
//     info.addAnnotations(notes);  // optional: test phases, partitions, crashes
//     porcupine::visualize(porcupine::models::kvModel(), info, "history.html", testName);
//   }
//
// The pieces:
//   model.hpp     Operation, Event, History, Model (init, step, equal, hash,
//                 partition, descriptions), NondeterministicModel::toModel(),
//                 partitionByKey(), eventsToOperations()
//   run.hpp       CheckResult, CheckOptions {timeout, maxSteps, threads}
//   checker.hpp   checkOperations[Verbose], checkEvents[Verbose],
//                 LinearizationInfo (per partition: the operations, the
//                 longest linearizable prefixes, each operation's longest),
//                 Annotation
//   viewer.hpp    visualize(), viewData(), writeViewer(), renderViewer()
//   models/       kv.hpp (the key/value lab's versioned Put/Get),
//                 register.hpp (read/write/cas), append_kv.hpp (get/put/append)
//
// Threads: partitions are checked on std::threads unless options.threads is
// 1, which checks them one after another in the caller's thread with no
// thread, lock or wait at all (the choice for the lab's simulated backend,
// with maxSteps as a budget that gives the same answer on every run).
// Memory: a search keeps every (operations done, state) pair it visits; give
// checks of large histories a budget.
#pragma once

#include "porcupine/checker.hpp"
#include "porcupine/model.hpp"
#include "porcupine/models/append_kv.hpp"
#include "porcupine/models/kv.hpp"
#include "porcupine/models/register.hpp"
#include "porcupine/run.hpp"
#include "porcupine/viewer.hpp"
