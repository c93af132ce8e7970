// Helpers shared by both backends of lab::. Internal to lab/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lab/lab.hpp"

namespace lab::detail {

inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;

inline std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// "12.345678"
std::string format_seconds(Duration d);

}  // namespace lab::detail
