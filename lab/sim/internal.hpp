// Internals shared by the files of the simulation backend (lab/sim/*.cpp).
#pragma once

#include <string>

namespace lab::detail {

// guard.cpp: the libc guards watch only threads that turned them on.
void guard_enable(bool on);

// runtime.cpp: "activity 'x', virtual t=1.000000" for the calling simulation
// thread; safe to call from inside a libc interposer.
std::string sim_where();

// Prints "lab: <msg>" to stderr and aborts the process.
[[noreturn]] void sim_abort(const std::string& msg);

}  // namespace lab::detail
