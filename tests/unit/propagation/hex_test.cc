// The SWAR hex codec behind traceparent parsing and formatting, checked exhaustively.
#include "propagation/hex.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace mmf::detail {
namespace {

std::string reference_hex(const std::uint8_t* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    text.push_back(kDigits[bytes[i] >> 4]);
    text.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return text;
}

TEST(HexTest, EveryByteValueRoundTripsInEveryPosition) {
  for (int value = 0; value < 256; ++value) {
    for (std::size_t position = 0; position < 4; ++position) {
      std::array<std::uint8_t, 4> bytes = {0x01, 0xfe, 0x7f, 0x80};
      bytes[position] = static_cast<std::uint8_t>(value);
      char text[8];
      encode_hex8(bytes.data(), text);
      ASSERT_EQ(std::string(text, 8), reference_hex(bytes.data(), 4)) << value;
      bool ok = true;
      const std::uint32_t decoded = decode_hex8(text, ok);
      ASSERT_TRUE(ok);
      std::array<std::uint8_t, 4> decoded_bytes{};
      for (std::size_t i = 0; i < 4; ++i) {
        decoded_bytes[i] = static_cast<std::uint8_t>(decoded >> (8 * i));
      }
      ASSERT_EQ(decoded_bytes, bytes);
    }
    char pair[2];
    encode_hex2(static_cast<std::uint8_t>(value), pair);
    std::uint8_t back = 0;
    ASSERT_TRUE(decode_hex2(pair, &back));
    ASSERT_EQ(back, value);
  }
}

TEST(HexTest, EveryCharacterOutsideLowercaseHexIsRefusedInEveryPosition) {
  for (int c = 0; c < 256; ++c) {
    const bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    for (std::size_t position = 0; position < 8; ++position) {
      char text[8] = {'0', '1', '9', 'a', 'f', '5', 'c', 'e'};
      text[position] = static_cast<char>(c);
      bool ok = true;
      static_cast<void>(decode_hex8(text, ok));
      ASSERT_EQ(ok, is_hex) << "character " << c << " at " << position;
    }
    char pair[2] = {'a', static_cast<char>(c)};
    std::uint8_t out = 0;
    ASSERT_EQ(decode_hex2(pair, &out), is_hex) << c;
    pair[0] = static_cast<char>(c);
    pair[1] = '0';
    ASSERT_EQ(decode_hex2(pair, &out), is_hex) << c;
  }
}

// Both implementations (SWAR everywhere, SSE2 on x86-64) against a byte-at-a-time reference,
// for 8- and 16-byte IDs, every byte value in every position, and every bad character in every
// position.
struct Codec {
  const char* name;
  bool (*decode)(const char*, std::size_t, std::uint8_t*) noexcept;
  void (*encode)(const std::uint8_t*, std::size_t, char*) noexcept;
};

std::vector<Codec> codecs() {
  std::vector<Codec> all = {{"swar", decode_hex_swar, encode_hex_swar},
                            {"default", decode_hex, encode_hex}};
#if defined(__SSE2__)
  all.push_back({"sse2", decode_hex_sse2, encode_hex_sse2});
#endif
  return all;
}

TEST(HexTest, IdCodecsRoundTripEveryByteInEveryPosition) {
  for (const Codec& codec : codecs()) {
    for (std::size_t n : {std::size_t{8}, std::size_t{16}}) {
      for (std::size_t position = 0; position < n; ++position) {
        for (int value = 0; value < 256; ++value) {
          std::array<std::uint8_t, 16> bytes{};
          for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 5);
          bytes[position] = static_cast<std::uint8_t>(value);
          char text[32];
          codec.encode(bytes.data(), n, text);
          ASSERT_EQ(std::string(text, 2 * n), reference_hex(bytes.data(), n)) << codec.name;
          std::array<std::uint8_t, 16> decoded{};
          ASSERT_TRUE(codec.decode(text, n, decoded.data())) << codec.name;
          ASSERT_EQ(decoded, bytes) << codec.name << " n=" << n << " at " << position;
        }
      }
    }
  }
}

TEST(HexTest, IdCodecsRefuseEveryBadCharacterInEveryPosition) {
  const std::string text = "4bf92f3577b34da6a3ce929d0e0e4736";
  for (const Codec& codec : codecs()) {
    for (std::size_t n : {std::size_t{8}, std::size_t{16}}) {
      for (std::size_t position = 0; position < 2 * n; ++position) {
        for (int c = 0; c < 256; ++c) {
          const bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
          std::string bad = text;
          bad[position] = static_cast<char>(c);
          std::array<std::uint8_t, 16> out{};
          ASSERT_EQ(codec.decode(bad.data(), n, out.data()), is_hex)
              << codec.name << " character " << c << " at " << position;
        }
      }
    }
  }
}

}  // namespace
}  // namespace mmf::detail
