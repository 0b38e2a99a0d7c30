// ProtoWriter: every field type against libprotobuf's own encoder (WireFormatLite and generated
// classes), proto3 default omission, nested lengths at every varint size boundary, and the
// UTF-8 repair that keeps protobuf parsers from rejecting a message.
#include "export/proto_writer.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "export/utf8.h"
#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/metrics/v1/metrics.pb.h"

namespace mmf::detail {
namespace {

using google::protobuf::internal::WireFormatLite;
namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_metrics = opentelemetry::proto::metrics::v1;

// libprotobuf's bytes for what write() writes to its CodedOutputStream.
std::string libprotobuf(
    const std::function<void(google::protobuf::io::CodedOutputStream*)>& write) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream output(&stream);
    write(&output);
  }
  return bytes;
}

std::string ours(const std::function<void(ProtoWriter&)>& write) {
  std::string bytes;
  ProtoWriter w(bytes);
  write(w);
  w.finish();
  return bytes;
}

constexpr std::uint64_t kVarintEdges[] = {1,
                                          127,
                                          128,
                                          300,
                                          16383,
                                          16384,
                                          (1u << 21) - 1,
                                          1u << 21,
                                          (1ull << 28) - 1,
                                          1ull << 28,
                                          1ull << 32,
                                          (1ull << 35) + 7,
                                          1ull << 63,
                                          std::numeric_limits<std::uint64_t>::max()};

TEST(ProtoWriterTest, VarintFieldsMatchLibprotobufAtEverySizeEdge) {
  for (std::uint64_t value : kVarintEdges) {
    for (int field : {1, 15, 16, 2047, 2048, 536870911}) {
      EXPECT_EQ(ours([&](ProtoWriter& w) { w.uint64_field(field, value); }),
                libprotobuf([&](auto* out) { WireFormatLite::WriteUInt64(field, value, out); }))
          << value << " in field " << field;
    }
    // The value and its two's complement negation, both as int64 and as zigzag sint64.
    for (const auto number :
         {static_cast<std::int64_t>(value), static_cast<std::int64_t>(0 - value)}) {
      EXPECT_EQ(ours([&](ProtoWriter& w) { w.int64_field(3, number); }),
                libprotobuf([&](auto* out) { WireFormatLite::WriteInt64(3, number, out); }));
      EXPECT_EQ(ours([&](ProtoWriter& w) { w.sint64_field(3, number); }),
                libprotobuf([&](auto* out) { WireFormatLite::WriteSInt64(3, number, out); }));
    }
  }
}

TEST(ProtoWriterTest, NegativeInt64TakesTenBytes) {
  const std::string bytes = ours([](ProtoWriter& w) { w.int64_field(1, -1); });
  EXPECT_EQ(bytes.size(), 11u);
  EXPECT_EQ(bytes, libprotobuf([](auto* out) { WireFormatLite::WriteInt64(1, -1, out); }));
}

TEST(ProtoWriterTest, FixedAndDoubleFieldsMatchLibprotobuf) {
  for (std::uint64_t value : kVarintEdges) {
    EXPECT_EQ(ours([&](ProtoWriter& w) { w.fixed64_field(7, value); }),
              libprotobuf([&](auto* out) { WireFormatLite::WriteFixed64(7, value, out); }));
    const auto low = static_cast<std::uint32_t>(value | 1);
    EXPECT_EQ(ours([&](ProtoWriter& w) { w.fixed32_field(16, low); }),
              libprotobuf([&](auto* out) { WireFormatLite::WriteFixed32(16, low, out); }));
  }
  for (double value : {1.0, -0.0, 0.1, -1e300, std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::denorm_min()}) {
    EXPECT_EQ(ours([&](ProtoWriter& w) { w.double_field(4, value); }),
              libprotobuf([&](auto* out) { WireFormatLite::WriteDouble(4, value, out); }))
        << value;
  }
  EXPECT_EQ(ours([](ProtoWriter& w) { w.bool_field(2, true); }),
            libprotobuf([](auto* out) { WireFormatLite::WriteBool(2, true, out); }));
}

TEST(ProtoWriterTest, DefaultValuesAreOmittedAsProto3Requires) {
  const std::string bytes = ours([](ProtoWriter& w) {
    w.uint64_field(1, 0);
    w.int64_field(2, 0);
    w.sint64_field(3, 0);
    w.bool_field(4, false);
    w.fixed64_field(5, 0);
    w.fixed32_field(6, 0);
    w.double_field(7, 0.0);
    w.string_field(8, "");
    w.bytes_field(9, {});
    w.packed_fixed64(10, {});
    w.packed_double(11, {});
    w.packed_uint64(12, {});
  });
  EXPECT_EQ(bytes, "");
}

TEST(ProtoWriterTest, OneofMembersAreWrittenEvenWhenZero) {
  for (const auto& [write, expected] : std::vector<
           std::pair<std::function<void(ProtoWriter&)>, std::function<void(pb_common::AnyValue&)>>>{
           {[](ProtoWriter& w) { w.oneof_string(1, ""); },
            [](pb_common::AnyValue& v) { v.set_string_value(""); }},
           {[](ProtoWriter& w) { w.oneof_bool(2, false); },
            [](pb_common::AnyValue& v) { v.set_bool_value(false); }},
           {[](ProtoWriter& w) { w.oneof_int64(3, 0); },
            [](pb_common::AnyValue& v) { v.set_int_value(0); }},
           {[](ProtoWriter& w) { w.oneof_double(4, 0.0); },
            [](pb_common::AnyValue& v) { v.set_double_value(0.0); }}}) {
    pb_common::AnyValue value;
    expected(value);
    const std::string bytes = ours(write);
    EXPECT_EQ(bytes, value.SerializeAsString());
    pb_common::AnyValue decoded;
    ASSERT_TRUE(decoded.ParseFromString(bytes));
    EXPECT_EQ(decoded.value_case(), value.value_case());
  }
}

// KeyValue{value: AnyValue{array_value: ArrayValue{values: [AnyValue{string_value}]}}} with
// strings of each length: the three message lengths cross each varint size, and each slot
// guess is too small, right or too large.
TEST(ProtoWriterTest, NestedLengthsAreMinimalWhateverTheSlotGuess) {
  for (std::size_t length :
       {0u,     1u,     119u,   120u,   121u,   122u,     123u,     124u,
        125u,   126u,   127u,   128u,   16376u, 16377u,   16378u,   16379u,
        16380u, 16381u, 16382u, 16383u, 16384u, 2097145u, 2097148u, 2097152u}) {
    const std::string text(length, 'x');
    pb_common::KeyValue expected;
    expected.mutable_value()->mutable_array_value()->add_values()->set_string_value(text);
    for (std::size_t guess = 1; guess <= 4; ++guess) {
      const std::string bytes = ours([&](ProtoWriter& w) {
        const ProtoWriter::Message value = w.begin_message(2, guess);
        const ProtoWriter::Message array = w.begin_message(5, 5 - guess);
        const ProtoWriter::Message element = w.begin_message(1, guess);
        w.oneof_string(1, text);
        w.end_message(element);
        w.end_message(array);
        w.end_message(value);
      });
      EXPECT_EQ(bytes, expected.SerializeAsString()) << length << " bytes, guess " << guess;
    }
  }
}

TEST(ProtoWriterTest, EmptyMessagesAreStillWritten) {
  pb_common::AnyValue expected;
  expected.mutable_array_value();
  EXPECT_EQ(ours([](ProtoWriter& w) {
              const ProtoWriter::Message array = w.begin_message(5, 3);
              w.end_message(array);
            }),
            expected.SerializeAsString());
}

TEST(ProtoWriterTest, ManyNestedMessagesGrowTheBufferCorrectly) {
  pb_common::ArrayValue expected;
  const std::string bytes = ours([&](ProtoWriter& w) {
    for (int i = 0; i < 20000; ++i) {
      const std::string text(static_cast<std::size_t>(i % 300), static_cast<char>('a' + i % 26));
      expected.add_values()->set_string_value(text);
      const ProtoWriter::Message value = w.begin_message(1);
      w.oneof_string(1, text);
      w.end_message(value);
    }
  });
  EXPECT_EQ(bytes, expected.SerializeAsString());
}

TEST(ProtoWriterTest, AppendsToWhatOutAlreadyHolds) {
  std::string out = "prefix";
  {
    ProtoWriter w(out);
    w.string_field(1, "x");
    EXPECT_EQ(w.size(), 9u);
  }  // the destructor finishes
  EXPECT_EQ(out, std::string("prefix\x0a\x01x", 9));
}

TEST(ProtoWriterTest, PackedFieldsMatchLibprotobuf) {
  const std::vector<std::uint64_t> counts = {0, 1, 300, 1ull << 40,
                                             std::numeric_limits<std::uint64_t>::max()};
  const std::vector<double> bounds = {-1.5, 0.0, 2.5, 1e10};
  pb_metrics::HistogramDataPoint histogram;
  for (std::uint64_t count : counts) histogram.add_bucket_counts(count);
  for (double bound : bounds) histogram.add_explicit_bounds(bound);
  EXPECT_EQ(ours([&](ProtoWriter& w) {
              w.packed_fixed64(6, counts);
              w.packed_double(7, bounds);
            }),
            histogram.SerializeAsString());

  pb_metrics::ExponentialHistogramDataPoint::Buckets buckets;
  buckets.set_offset(-3);
  for (std::uint64_t count : counts) buckets.add_bucket_counts(count);
  EXPECT_EQ(ours([&](ProtoWriter& w) {
              w.sint64_field(1, -3);
              w.packed_uint64(2, counts);
            }),
            buckets.SerializeAsString());
}

TEST(ProtoWriterTest, BytesAreCopiedAsTheyAre) {
  const std::uint8_t raw[] = {0x00, 0xff, 0x80, 0xc0};
  EXPECT_EQ(ours([&](ProtoWriter& w) { w.bytes_field(7, raw); }), libprotobuf([&](auto* out) {
              WireFormatLite::WriteBytes(7, std::string(reinterpret_cast<const char*>(raw), 4),
                                         out);
            }));
}

// The Unicode Standard's own example (§3.9, Table 3-8 and the text around it) and the classic
// ill-formed forms: overlong, surrogate, above U+10FFFF, truncated, stray continuation bytes.
struct Repair {
  std::string_view input;
  std::string_view repaired;
};
constexpr Repair kRepairs[] = {
    {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
     "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd"},
    {"\xC0\xAF", "\uFFFD\uFFFD"},
    {"\xE0\x80\xAF", "\uFFFD\uFFFD\uFFFD"},
    {"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},
    {"\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
    {"\xF5\xFF", "\uFFFD\uFFFD"},
    {"\xF0\x9F\x98", "\uFFFD"},
    {"ok\xE2\x82", "ok\uFFFD"},
    {"\xF0\x9F\x98\x80 \xE2\x82\xAC \xC3\xBC \xF4\x8F\xBF\xBF", "\U0001F600 € ü \U0010FFFF"},
};

TEST(ProtoWriterTest, IllFormedUtf8IsRepairedSoProtobufParsesIt) {
  for (const Repair& repair : kRepairs) {
    EXPECT_EQ(is_valid_utf8(repair.input), repair.input == repair.repaired);
    EXPECT_EQ(repaired_utf8_size(repair.input), repair.repaired.size());
    const std::string bytes = ours([&](ProtoWriter& w) { w.string_field(1, repair.input); });
    pb_common::AnyValue decoded;
    ASSERT_TRUE(decoded.ParseFromString(bytes)) << "rejected: " << repair.repaired;
    EXPECT_EQ(decoded.string_value(), repair.repaired);
  }
}

// Every position of a bad byte relative to the eight-byte ASCII fast path.
TEST(ProtoWriterTest, RepairFindsABadByteAtAnyPosition) {
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t bad = 0; bad < length; ++bad) {
      std::string text(length, 'a');
      text[bad] = '\xff';
      std::string expected = text;
      expected.replace(bad, 1, "\uFFFD");
      EXPECT_EQ(valid_utf8_prefix(text), bad);
      const std::string bytes = ours([&](ProtoWriter& w) { w.oneof_string(1, text); });
      pb_common::AnyValue decoded;
      ASSERT_TRUE(decoded.ParseFromString(bytes));
      EXPECT_EQ(decoded.string_value(), expected);
    }
  }
}

}  // namespace
}  // namespace mmf::detail
