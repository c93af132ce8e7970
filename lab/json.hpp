// lab/json.hpp — a JSON string literal, safe to embed in an HTML page.
//
// The failure timeline (tester/timeline.cpp) and the history viewer
// (porcupine/viewer.cpp) both put their data inside a <script> element of a
// self-contained page. A string is written with " and \ escaped, and every
// control character and <, > and & as \u00XX, so no value (a student's log
// line, a key) can close the element or break the JSON.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace lab {

inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

}  // namespace lab
