// UTF-8 checking and repair for the wire encoders.
//
// Protobuf string fields must hold well-formed UTF-8 (libprotobuf rejects the whole message
// otherwise, so one bad attribute would lose a batch) and JSON text must too. Span names,
// attribute keys and values come from user code and from requests and may hold any bytes, so
// the encoders write all text through these functions: well-formed text is copied unchanged (the
// common case, with ASCII checked eight bytes at a time), and each maximal ill-formed
// subsequence is replaced with U+FFFD, the practice the Unicode Standard recommends (§3.9,
// "U+FFFD Substitution of Maximal Subparts") and that WHATWG, Python and ICU follow, so the
// repaired text is what other tools would show.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace mmf::detail {

// U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// At a byte >= 0x80 (at[0]), with n > 0 bytes available: the length (2 to 4) of the well-formed
// character that starts there; or 0 when none does, with bad set to the length (1 to 3) of the
// maximal ill-formed subpart that one U+FFFD replaces.
std::size_t utf8_char_length(const unsigned char* at, std::size_t n, std::size_t& bad) noexcept;

// The length of the longest prefix of text that is well-formed UTF-8.
std::size_t valid_utf8_prefix(std::string_view text) noexcept;

inline bool is_valid_utf8(std::string_view text) noexcept {
  return valid_utf8_prefix(text) == text.size();
}

// The size of text once repaired; text.size() when it is well-formed.
std::size_t repaired_utf8_size(std::string_view text) noexcept;

// Writes text repaired to out, which has room for repaired_utf8_size(text) bytes. Returns the
// end of what was written.
char* write_repaired_utf8(std::string_view text, char* out) noexcept;

}  // namespace mmf::detail
