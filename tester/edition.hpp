// tester/edition.hpp — which year's Raft tests the tester mirrors.
//
//   LAB_EDITION=2023   (the default) the 2023 tests, parts 2A-2D, as ported
//   LAB_EDITION=2025   MIT's 2025 tests: parts 3A-3D, the network kind in each
//                      title, the "time ... #Ops" summary, crashes instead of
//                      partitions in two persistence tests, a restart that
//                      reconnects every peer, two 3D tests on an unreliable network
//   LAB_EDITION=2026   as 2025, with a restart that reconnects only the
//                      restarted peer, #Ops counting agreements, and an apply
//                      error that fails the current test at its next check
//
//   const tester::Edition& ed = tester::edition();
//   if (ed.persistCrashes) ...             // a test whose steps changed
//   cfg->restart(i, &Config::applier);     // Config applies the rest itself
//
// Every difference between the editions is a field here, set in one table
// (edition.cpp), so a test or the tester reads a named rule instead of a
// year. Only the steps of the tests change; the constants, the checks and
// the failure texts (but one) are those of 2023 in every edition.
// 2026 ran each server as its own OS process; here every edition runs the
// servers inside the test's process, as the simulation needs.
#pragma once

#include <string>

namespace tester {

struct Edition {
  int year;
  // The digit of the part in test names, labels and titles: '2' (2A, as in
  // 2023) or '3' (3A; MIT renumbered the labs in 2024).
  char part;
  // The title line ends with " (reliable network)..." or " (unreliable
  // network)..." instead of " ...".
  bool networkInTitle;
  // The summary line is "  ... Passed --  time 1.2s #peers 3 #RPCs 58 #Ops 0"
  // instead of 2023's time, peers, RPCs, bytes and applied entries.
  bool opsSummary;
  // #Ops counts the agreements one() reached (2026); otherwise it stays 0.
  bool countOps;
  // TestPersist1 and TestPersist2 crash servers and restart them, where
  // 2023 partitioned them and restarted some.
  bool persistCrashes;
  // What restart() connects after starting a server: every server (2025's
  // ConnectAll, which also heals any partition) or only the restarted one.
  bool restartConnectsAll;
  // After every server crashed, start them all and then connect them all
  // (the later editions' StartServers), where 2023 starts and connects each
  // in turn.
  bool startAllThenConnect;
  // TestSnapshotAllCrash and TestSnapshotInit run on an unreliable network.
  // 2025 flipped the fixture's third argument from "unreliable" to
  // "reliable" and these two tests kept passing false.
  bool allCrashUnreliable;
  // What the 2D/3D tests say when the persisted Raft state is too large.
  const char* sizeMessage;
  // An apply error is recorded and fails the test at its next nCommitted()
  // (2026), instead of at once (Go ended the whole binary there).
  bool applyErrorDeferred;

  // The name of a test, suite or label of the 2023 sources in this edition:
  // "TestBackup2B" becomes "TestBackup3B" when part is '3'.
  std::string name(const std::string& name2023) const;
  // A test's title in this edition, from its 2023 title: the part renumbered
  // and the two install tests that 2025 renamed ("(disconnect+unreliable)"
  // became "(disconnect)"; the network kind tells them apart).
  std::string title(const std::string& title2023) const;
};

// The edition LAB_EDITION names, read once. An unknown value ends the process
// with a message naming the accepted values (exit status 2).
const Edition& edition();

// The edition for a LAB_EDITION value ("" is the default), or nullptr.
const Edition* findEdition(const std::string& value);

}  // namespace tester
