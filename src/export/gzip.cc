#include "export/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace mmf::detail {

bool gzip_append(std::string_view data, int level, std::string& out) {
  constexpr int kGzipWindowBits = 15 + 16;  // 2^15 window, with a gzip header and trailer
  constexpr int kMemLevel = 8;
  // Ended however this function leaves (resize may throw); deflateEnd ignores a stream that
  // deflateInit2 did not start.
  struct Stream : z_stream {
    Stream() : z_stream() {}
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream() { deflateEnd(this); }
  } stream;
  if (deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return false;
  }
  const std::size_t start = out.size();
  try {
    out.resize(start + deflateBound(&stream, static_cast<uLong>(data.size())) + 64);
    // zlib counts in uInt, so a very large input goes in several pieces.
    constexpr std::size_t kPiece = std::numeric_limits<uInt>::max();
    std::size_t consumed = 0;
    int code = Z_OK;
    while (code == Z_OK || code == Z_BUF_ERROR) {
      const std::size_t piece = std::min(data.size() - consumed, kPiece);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
      stream.avail_in = static_cast<uInt>(piece);
      if (start + stream.total_out == out.size()) out.resize(out.size() * 2);
      stream.next_out = reinterpret_cast<Bytef*>(out.data() + start + stream.total_out);
      stream.avail_out = static_cast<uInt>(std::min(out.size() - start - stream.total_out, kPiece));
      const bool last = consumed + piece == data.size();
      code = deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH);
      consumed += piece - stream.avail_in;
    }
    if (code != Z_STREAM_END) {
      out.resize(start);
      return false;
    }
    out.resize(start + stream.total_out);
    return true;
  } catch (...) {
    out.resize(start);
    return false;
  }
}

}  // namespace mmf::detail
