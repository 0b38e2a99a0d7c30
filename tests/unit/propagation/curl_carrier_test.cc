// mmf/curl_carrier.h against real curl_slist objects: the lines it writes, replacement in any
// case, what for_each reads, refusal of header injection, ownership, and a propagator round trip.
#include "mmf/curl_carrier.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/propagation.h"
#include "propagation_test_support.h"

namespace mmf {
namespace {

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The raw lines of a curl_slist, first to last.
std::vector<std::string> lines_of(const curl_slist* list) {
  std::vector<std::string> lines;
  for (; list != nullptr; list = list->next) lines.emplace_back(list->data);
  return lines;
}

// A list built the way libcurl users build one.
curl_slist* make_list(std::initializer_list<const char*> lines) {
  curl_slist* list = nullptr;
  for (const char* line : lines) {
    curl_slist* head = curl_slist_append(list, line);
    if (head == nullptr) {
      curl_slist_free_all(list);
      return nullptr;
    }
    list = head;
  }
  return list;
}

std::vector<std::pair<std::string, std::string>> visited(const CurlHeaderList& headers) {
  std::vector<std::pair<std::string, std::string>> seen;
  headers.for_each([&](std::string_view name, std::string_view value) {
    seen.emplace_back(std::string(name), std::string(value));
  });
  return seen;
}

TEST(CurlHeaderList, StartsEmptyWithANullList) {
  const CurlHeaderList headers;
  EXPECT_EQ(headers.get(), nullptr);
  EXPECT_TRUE(visited(headers).empty());
  EXPECT_EQ(headers.dropped(), 0u);
}

TEST(CurlHeaderList, AppendWritesNameColonSpaceValue) {
  CurlHeaderList headers;
  EXPECT_TRUE(headers.append("Content-Type", "application/json"));
  EXPECT_TRUE(headers.append("Accept", "*/*"));
  EXPECT_EQ(lines_of(headers.get()),
            (std::vector<std::string>{"Content-Type: application/json", "Accept: */*"}));
}

TEST(CurlHeaderList, AppendKeepsOtherLinesOfTheSameName) {
  CurlHeaderList headers;
  headers.append("tracestate", "a=1");
  headers.append("tracestate", "b=2");
  EXPECT_EQ(lines_of(headers.get()),
            (std::vector<std::string>{"tracestate: a=1", "tracestate: b=2"}));
}

TEST(CurlHeaderList, AnEmptyValueIsWrittenInCurlsSemicolonForm) {
  CurlHeaderList headers;
  EXPECT_TRUE(headers.set("X-Empty", ""));
  EXPECT_EQ(lines_of(headers.get()), (std::vector<std::string>{"X-Empty;"}));
  EXPECT_EQ(visited(headers), (std::vector<std::pair<std::string, std::string>>{{"X-Empty", ""}}));
}

TEST(CurlHeaderList, SetReplacesEveryLineOfTheSameNameInAnyCase) {
  CurlHeaderList headers(
      make_list({"x-correlation-id: old", "Accept: */*", "X-CORRELATION-ID: older"}));
  ASSERT_NE(headers.get(), nullptr);
  EXPECT_TRUE(headers.set("X-Correlation-ID", "new"));
  EXPECT_EQ(lines_of(headers.get()),
            (std::vector<std::string>{"Accept: */*", "X-Correlation-ID: new"}));
}

TEST(CurlHeaderList, SetReplacesTheOnlyLine) {
  CurlHeaderList headers(make_list({"traceparent: stale"}));
  EXPECT_TRUE(headers.set("traceparent", kTraceparent));
  EXPECT_EQ(lines_of(headers.get()),
            (std::vector<std::string>{"traceparent: " + std::string(kTraceparent)}));
}

TEST(CurlHeaderList, SetAlsoReplacesLinesThatSuppressOrEmptyTheHeader) {
  CurlHeaderList headers(make_list({"X-User-ID:", "x-user-id;", "Host: example.com"}));
  EXPECT_TRUE(headers.set("X-User-ID", "u-1"));
  EXPECT_EQ(lines_of(headers.get()),
            (std::vector<std::string>{"Host: example.com", "X-User-ID: u-1"}));
}

TEST(CurlHeaderList, SetDoesNotTouchHeadersWithALongerOrShorterName) {
  CurlHeaderList headers(make_list({"baggage-extra: 1", "bagga: 2"}));
  headers.set("baggage", "k=v");
  EXPECT_EQ(lines_of(headers.get()),
            (std::vector<std::string>{"baggage-extra: 1", "bagga: 2", "baggage: k=v"}));
}

TEST(CurlHeaderList, ForEachReadsHeaderLinesAndSkipsTheRest) {
  const CurlHeaderList headers(
      make_list({"Host: example.com", "X-Spaced: \t padded value \t", "X-Empty;",
                 "X-Suppressed:", "not a header line", "X-Semi; trailing", "Colon:in:value"}));
  EXPECT_EQ(visited(headers),
            (std::vector<std::pair<std::string, std::string>>{{"Host", "example.com"},
                                                              {"X-Spaced", "padded value"},
                                                              {"X-Empty", ""},
                                                              {"Colon", "in:value"}}));
}

TEST(CurlHeaderList, RefusesLinesThatWouldInjectHeaders) {
  CurlHeaderList headers(make_list({"Accept: */*"}));
  EXPECT_FALSE(headers.set("X-User-ID", "u\r\nX-Admin: true"));
  EXPECT_FALSE(headers.set("X-User-ID", "u\nX-Admin: true"));
  EXPECT_FALSE(headers.set("X-User-ID", std::string_view("u\0x", 3)));
  EXPECT_FALSE(headers.set("X-User-ID: u\r\nX-Admin", "true"));
  EXPECT_FALSE(headers.set("Bad Name", "v"));
  EXPECT_FALSE(headers.set("", "v"));
  EXPECT_FALSE(headers.append("Name:", "v"));
  EXPECT_EQ(lines_of(headers.get()), (std::vector<std::string>{"Accept: */*"}));
  EXPECT_EQ(headers.dropped(), 7u);
}

TEST(CurlHeaderList, EraseRemovesEveryLineOfTheName) {
  CurlHeaderList headers(make_list({"A: 1", "b: 2", "a: 3", "C: 4"}));
  EXPECT_EQ(headers.erase("a"), 2u);
  EXPECT_EQ(lines_of(headers.get()), (std::vector<std::string>{"b: 2", "C: 4"}));
  EXPECT_EQ(headers.erase("missing"), 0u);
  EXPECT_EQ(headers.erase("B"), 1u);
  EXPECT_EQ(headers.erase("c"), 1u);
  EXPECT_EQ(headers.get(), nullptr);
}

TEST(CurlHeaderList, ReleaseHandsTheListBack) {
  CurlHeaderList headers;
  headers.append("A", "1");
  curl_slist* list = headers.release();
  EXPECT_EQ(headers.get(), nullptr);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(lines_of(list), (std::vector<std::string>{"A: 1"}));
  curl_slist_free_all(list);
}

TEST(CurlHeaderList, MovingTransfersOwnership) {
  CurlHeaderList from;
  from.append("A", "1");
  const curl_slist* list = from.get();
  CurlHeaderList to(std::move(from));
  EXPECT_EQ(to.get(), list);
  EXPECT_EQ(from.get(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state
  CurlHeaderList assigned;
  assigned.append("B", "2");
  assigned = std::move(to);
  EXPECT_EQ(assigned.get(), list);
  EXPECT_EQ(lines_of(assigned.get()), (std::vector<std::string>{"A: 1"}));
}

TEST(CurlHeaderList, IsAPropagationCarrier) {
  const Context sent = Context()
                           .with_span_context(*parse_traceparent(kTraceparent))
                           .with_correlation_id("corr-curl")
                           .with_baggage(Baggage().set("userId", "alice"));
  CurlHeaderList headers(make_list({"Content-Type: application/json", "TraceParent: stale"}));
  const Propagator propagator;
  propagator.inject(sent, headers);
  propagator.inject(sent, headers);  // a retry writes the same headers once
  EXPECT_EQ(
      lines_of(headers.get()),
      (std::vector<std::string>{
          "Content-Type: application/json", "traceparent: " + std::string(kTraceparent),
          "X-Correlation-ID: corr-curl", "baggage: mmf.correlation_id=corr-curl,userId=alice"}));

  const Context received = propagator.extract(headers);
  EXPECT_EQ(received.span_context().trace_id, sent.span_context().trace_id);
  EXPECT_EQ(received.span_context().span_id, sent.span_context().span_id);
  EXPECT_EQ(received.correlation_id(), "corr-curl");
  EXPECT_EQ(received.baggage(), sent.baggage());
}

TEST(CurlHeaderList, IsAcceptedByCurlEasySetopt) {
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  CurlHeaderList headers;
  headers.set("traceparent", kTraceparent);
  EXPECT_EQ(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get()), CURLE_OK);
  curl_easy_cleanup(curl);
}

}  // namespace
}  // namespace mmf
