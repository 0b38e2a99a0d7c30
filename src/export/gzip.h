// gzip (RFC 1952) with zlib, for every body the library compresses: OTLP requests
// (Content-Encoding: gzip) and /metrics answers.
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <string>
#include <string_view>

namespace mmf::detail {

// Appends the gzip compression of data, at zlib level (1 fastest ... 9 smallest, or
// Z_DEFAULT_COMPRESSION), to out. Returns false, with out as it was, when zlib fails (out of
// memory). Inputs of any size: zlib is fed in pieces of what its uInt counters hold.
bool gzip_append(std::string_view data, int level, std::string& out);

}  // namespace mmf::detail
