// For tests that check gzip output (OTLP requests, /metrics answers): inflates one complete
// gzip stream with zlib, failing the test when it is not one (truncated, corrupt, or followed
// by other bytes). Link ZLIB::ZLIB.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <string_view>

namespace mmf::testing_support {

inline std::string gunzip(std::string_view data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 16 + MAX_WBITS), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int status = Z_OK;
  while (status == Z_OK) {
    const std::size_t had = out.size();
    out.resize(had + 64 * 1024);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + had);
    stream.avail_out = 64 * 1024;
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(had + 64 * 1024 - stream.avail_out);
    if (status == Z_BUF_ERROR && stream.avail_in == 0) break;  // the input ended early
  }
  EXPECT_EQ(status, Z_STREAM_END) << "not one complete gzip stream";
  EXPECT_EQ(stream.avail_in, 0U) << "bytes after the gzip trailer";
  inflateEnd(&stream);
  return out;
}

}  // namespace mmf::testing_support
