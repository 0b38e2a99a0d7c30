// Shared by the libFuzzer targets: an invariant check that aborts (so libFuzzer records the
// input), and the small text helpers the reference checks use. The reference checks are
// written from the specifications, independently of src/, so that a target compares two
// readings of the same rule rather than the code with itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define MMF_FUZZ_CHECK(condition)                                       \
  do {                                                                  \
    if (!(condition)) ::mmf_fuzz::fail(#condition, __FILE__, __LINE__); \
  } while (false)

namespace mmf_fuzz {

[[noreturn]] inline void fail(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits text at every separator; n separators give n + 1 pieces.
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  while (true) {
    const std::size_t at = text.find(separator);
    pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    text.remove_prefix(at + 1);
  }
}

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

inline std::string_view trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_ows(text[begin])) ++begin;
  while (end > begin && is_ows(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

inline bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
inline bool is_any_hex(char c) { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }

// RFC 7230 tchar.
inline bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

inline bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

// Well-formed UTF-8, checked by decoding each code point (RFC 3629 §4).
inline bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::uint32_t code = 0;
    std::size_t extra = 0;
    std::uint32_t smallest = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xe0) == 0xc0) {
      code = lead & 0x1fu;
      extra = 1;
      smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      code = lead & 0x0fu;
      extra = 2;
      smallest = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      code = lead & 0x07u;
      extra = 3;
      smallest = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3fu);
    }
    if (code < smallest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace mmf_fuzz
