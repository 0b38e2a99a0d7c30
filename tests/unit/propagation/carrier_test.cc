// CarrierTraits over the header containers users have: std::map, std::multimap, a
// case-insensitive multimap like cpp-httplib's Headers, std::unordered_map, a vector of pairs,
// FunctionCarrier, and gRPC's std::multimap<grpc::string_ref, grpc::string_ref> (read only).
#include "mmf/carrier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mmf/propagation.h"
#include "propagation_test_support.h"

namespace mmf {
namespace {

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

// The comparator cpp-httplib uses for its Headers multimap: ASCII case-insensitive.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) <
             std::tolower(static_cast<unsigned char>(y));
    });
  }
};

using Map = std::map<std::string, std::string>;
using MultiMap = std::multimap<std::string, std::string>;
using HttplibHeaders = std::multimap<std::string, std::string, CaseInsensitiveLess>;
using UnorderedMap = std::unordered_map<std::string, std::string>;
using PairVector = std::vector<std::pair<std::string, std::string>>;

template <class C>
void add(C& carrier, std::string name, std::string value) {
  if constexpr (requires { carrier.emplace_back(name, value); }) {
    carrier.emplace_back(std::move(name), std::move(value));
  } else {
    carrier.emplace(std::move(name), std::move(value));
  }
}

template <class C>
std::vector<std::pair<std::string, std::string>> visited(const C& carrier) {
  std::vector<std::pair<std::string, std::string>> seen;
  CarrierTraits<C>::for_each(carrier, [&](std::string_view name, std::string_view value) {
    seen.emplace_back(std::string(name), std::string(value));
  });
  std::sort(seen.begin(), seen.end());
  return seen;
}

// Values of every header named name, in any case.
template <class C>
std::vector<std::string> values_named(const C& carrier, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : visited(carrier)) {
    if (iequals(key, name)) values.push_back(value);
  }
  return values;
}

// --- every container of pairs ---------------------------------------------------------------

template <class C>
class ContainerCarrier : public ::testing::Test {};

using Containers = ::testing::Types<Map, MultiMap, HttplibHeaders, UnorderedMap, PairVector>;

class ContainerName {
 public:
  template <class C>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<C, Map>) return "Map";
    if constexpr (std::is_same_v<C, MultiMap>) return "MultiMap";
    if constexpr (std::is_same_v<C, HttplibHeaders>) return "HttplibHeaders";
    if constexpr (std::is_same_v<C, UnorderedMap>) return "UnorderedMap";
    if constexpr (std::is_same_v<C, PairVector>) return "PairVector";
    return "Unknown";
  }
};

TYPED_TEST_SUITE(ContainerCarrier, Containers, ContainerName);

TYPED_TEST(ContainerCarrier, ForEachVisitsEveryHeader) {
  TypeParam carrier;
  add(carrier, "Content-Type", "text/plain");
  add(carrier, "traceparent", std::string(kTraceparent));
  EXPECT_EQ(visited(carrier),
            (std::vector<std::pair<std::string, std::string>>{
                {"Content-Type", "text/plain"}, {"traceparent", std::string(kTraceparent)}}));
}

TYPED_TEST(ContainerCarrier, SetAddsAHeader) {
  TypeParam carrier;
  add(carrier, "Accept", "*/*");
  CarrierTraits<TypeParam>::set(carrier, "traceparent", kTraceparent);
  EXPECT_EQ(values_named(carrier, "traceparent"),
            (std::vector<std::string>{std::string(kTraceparent)}));
  EXPECT_EQ(values_named(carrier, "Accept"), (std::vector<std::string>{"*/*"}));
}

TYPED_TEST(ContainerCarrier, SetReplacesAHeaderOfTheSameNameInAnyCase) {
  TypeParam carrier;
  add(carrier, "X-CORRELATION-ID", "old-1");
  add(carrier, "x-correlation-id", "old-2");
  add(carrier, "X-Request-ID", "keep");
  CarrierTraits<TypeParam>::set(carrier, "X-Correlation-ID", "new");
  EXPECT_EQ(values_named(carrier, "X-Correlation-ID"), (std::vector<std::string>{"new"}));
  EXPECT_EQ(values_named(carrier, "X-Request-ID"), (std::vector<std::string>{"keep"}));
  EXPECT_EQ(carrier.size(), 2u);
}

TYPED_TEST(ContainerCarrier, PropagatorExtractsFromIt) {
  TypeParam carrier;
  add(carrier, "TraceParent", std::string(kTraceparent));
  add(carrier, "x-correlation-id", "corr-1");
  add(carrier, "Baggage", "userId=alice");
  const Context context = Propagator().extract(carrier);
  EXPECT_EQ(context.span_context().trace_id.to_hex(), kTraceId);
  EXPECT_EQ(context.correlation_id(), "corr-1");
  EXPECT_EQ(context.baggage().get("userId"), "alice");
}

TYPED_TEST(ContainerCarrier, PropagatorInjectsIntoItAndReadsItBack) {
  const Context sent = Context()
                           .with_span_context(*parse_traceparent(kTraceparent))
                           .with_correlation_id("corr-2")
                           .with_user_id("user-2");
  TypeParam carrier;
  add(carrier, "TRACEPARENT", "stale");
  const Propagator propagator;
  propagator.inject(sent, carrier);
  EXPECT_EQ(values_named(carrier, "traceparent"),
            (std::vector<std::string>{std::string(kTraceparent)}));
  const Context received = propagator.extract(carrier);
  EXPECT_EQ(received.span_context().trace_id, sent.span_context().trace_id);
  EXPECT_EQ(received.correlation_id(), "corr-2");
  EXPECT_EQ(received.user_id(), "user-2");
}

// --- containers that keep repeated fields ----------------------------------------------------

TEST(MultiMapCarrier, RepeatedTracestateFieldsAreCombined) {
  MultiMap carrier{
      {"traceparent", std::string(kTraceparent)}, {"tracestate", "a=1"}, {"tracestate", "b=2"}};
  EXPECT_EQ(Propagator().extract(carrier).span_context().trace_state.header(), "a=1,b=2");
}

TEST(HttplibHeadersCarrier, FindsHeadersInAnyCaseAndCombinesRepeatedOnes) {
  HttplibHeaders carrier{
      {"Traceparent", std::string(kTraceparent)}, {"TRACESTATE", "a=1"}, {"tracestate", "b=2"}};
  EXPECT_EQ(carrier.count("traceparent"), 1u);  // the comparator is case-insensitive
  const Context context = Propagator().extract(carrier);
  EXPECT_EQ(context.span_context().trace_state.header(), "a=1,b=2");
}

TEST(HttplibHeadersCarrier, InjectLeavesOneHeaderPerName) {
  HttplibHeaders carrier{{"Tracestate", "stale=1"}, {"TRACESTATE", "stale=2"}};
  SpanContext span = *parse_traceparent(kTraceparent);
  span.trace_state = TraceState::parse("fresh=1");
  inject_trace_context(span, carrier);
  EXPECT_EQ(carrier.count("tracestate"), 1u);
  EXPECT_EQ(carrier.find("tracestate")->second, "fresh=1");
}

// --- FunctionCarrier --------------------------------------------------------------------------

struct CustomHeader {
  std::string name;
  std::string value;
};

TEST(FunctionCarrier, AdaptsAnyHeaderStore) {
  std::vector<CustomHeader> store{{"traceparent", std::string(kTraceparent)},
                                  {"X-User-ID", "user-3"}};
  int replaced = 0;
  FunctionCarrier carrier{[&store](auto&& visit) {
                            for (const CustomHeader& h : store) visit(h.name, h.value);
                          },
                          [&store, &replaced](std::string_view name, std::string_view value) {
                            for (CustomHeader& h : store) {
                              if (iequals(h.name, name)) {
                                h.value.assign(value);
                                ++replaced;
                                return;
                              }
                            }
                            store.push_back({std::string(name), std::string(value)});
                          }};

  const Propagator propagator({.baggage = false});
  const Context context = propagator.extract(carrier);
  EXPECT_EQ(context.span_context().trace_id.to_hex(), kTraceId);
  EXPECT_EQ(context.user_id(), "user-3");

  propagator.inject(context.with_user_id("user-4"), carrier);
  EXPECT_EQ(replaced, 2);  // traceparent and X-User-ID were already there
  EXPECT_EQ(store[1].value, "user-4");
  EXPECT_EQ(store.size(), 4u);  // plus X-Correlation-ID and X-Request-ID
}

// --- gRPC metadata ----------------------------------------------------------------------------

// A stand-in for grpc::string_ref: data() and length(), no size(), no conversion to any string.
class FakeStringRef {
 public:
  FakeStringRef(const char* data, std::size_t length) : data_(data), length_(length) {}
  explicit FakeStringRef(const char* text) : FakeStringRef(text, std::strlen(text)) {}
  const char* data() const { return data_; }
  std::size_t length() const { return length_; }
  friend bool operator<(FakeStringRef a, FakeStringRef b) {
    return std::string_view(a.data_, a.length_) < std::string_view(b.data_, b.length_);
  }

 private:
  const char* data_;
  std::size_t length_;
};

static_assert(!std::is_convertible_v<FakeStringRef, std::string_view>);
static_assert(!std::is_convertible_v<FakeStringRef, std::string>);

using GrpcMetadata = std::multimap<FakeStringRef, FakeStringRef>;

TEST(GrpcMetadataCarrier, IsReadThroughDataAndLength) {
  // gRPC hands out views into its own buffers; here, into strings that outlive the map.
  const std::string storage = std::string("traceparent") + std::string(kTraceparent) +
                              "tracestatea=1tracestateb=2x-correlation-idcorr-g";
  const char* p = storage.data();
  GrpcMetadata metadata;
  metadata.emplace(FakeStringRef(p, 11), FakeStringRef(p + 11, 55));
  metadata.emplace(FakeStringRef(p + 66, 10), FakeStringRef(p + 76, 3));
  metadata.emplace(FakeStringRef(p + 79, 10), FakeStringRef(p + 89, 3));
  metadata.emplace(FakeStringRef(p + 92, 16), FakeStringRef(p + 108, 6));

  ASSERT_EQ(visited(metadata).size(), 4u);
  EXPECT_EQ(visited(metadata)[0],
            (std::pair<std::string, std::string>{"traceparent", std::string(kTraceparent)}));
  const Context context = Propagator().extract(metadata);
  EXPECT_EQ(context.span_context().trace_id.to_hex(), kTraceId);
  EXPECT_EQ(context.span_context().trace_state.header(), "a=1,b=2");
  EXPECT_EQ(context.correlation_id(), "corr-g");
}

TEST(GrpcMetadataCarrier, ValuesAreNotAssumedToBeNulTerminated) {
  const std::string storage = "x-user-idabcdefXYZ";
  GrpcMetadata metadata;
  metadata.emplace(FakeStringRef(storage.data(), 9), FakeStringRef(storage.data() + 9, 6));
  EXPECT_EQ(Propagator().extract(metadata).user_id(), "abcdef");
}

}  // namespace
}  // namespace mmf

namespace mmf {
namespace {

// iequals compares whole words: eight bytes at a time, the rest of a longer name as one more
// overlapping word, a name of four to seven bytes as two overlapping halves. At every position
// of every length up to 17, every pair of byte values must give what a byte-by-byte ASCII
// comparison gives.
TEST(IequalsTest, AgreesWithByteByByteComparisonForEveryPairOfBytes) {
  auto reference = [](unsigned char x, unsigned char y) {
    auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
    return lower(x) == lower(y);
  };
  const std::string upper = "CONTENT-TYPE-NAME";
  const std::string lower = "content-type-name";
  for (std::size_t length = 1; length <= upper.size(); ++length) {
    for (std::size_t position = 0; position < length; ++position) {
      std::string a = upper.substr(0, length);
      std::string b = lower.substr(0, length);
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          a[position] = static_cast<char>(x);
          b[position] = static_cast<char>(y);
          ASSERT_EQ(iequals(a, b),
                    reference(static_cast<unsigned char>(x), static_cast<unsigned char>(y)))
              << "bytes " << x << " and " << y << " at " << position << " of " << length;
        }
      }
    }
  }
  static_assert(iequals("X-Correlation-ID", "x-correlation-id"));
  static_assert(!iequals("traceparent", "tracestate"));
  EXPECT_FALSE(iequals("abc", "abcd"));
  EXPECT_TRUE(iequals("", ""));
}

}  // namespace
}  // namespace mmf
