// The one span that otlp_js/export_span.js exports, as the ExportTraceServiceRequest the
// project's .proto files must decode it to, shared by the JS peer tests of OTLP/HTTP
// (otlp_js_peer_test.cc) and OTLP/gRPC (otlp_js_grpc_peer_test.cc). The values match the
// script's; change both together.
#pragma once

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace mmf::testing_support {

using ExportTraceServiceRequest =
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

// The span export_span.js sends. Ids are hex here, as in the script; they are raw bytes on the
// protobuf wire and hex strings in OTLP/JSON.
inline constexpr std::string_view kTraceIdHex = "4bf92f3577b34da6a3ce929d0e0e4736";
inline constexpr std::string_view kSpanIdHex = "00f067aa0ba902b7";
inline constexpr std::string_view kParentSpanIdHex = "b7ad6b7169203331";
inline constexpr std::string_view kLinkTraceIdHex = "0af7651916cd43dd8448eb211c80319c";
inline constexpr std::string_view kLinkSpanIdHex = "b9c7c989f97918e1";

// Everything else, in text format. Fields left out must be at their proto3 default (empty or 0):
// schema URLs, scope attributes, every dropped count. Span flags are the W3C trace flags (low
// byte) plus HAS_IS_REMOTE (0x100) and IS_REMOTE (0x200): the span's parent is remote and
// sampled (0x301); the link's context is remote and not sampled (0x300).
inline constexpr std::string_view kKnownRequestText = R"pb(
  resource_spans {
    resource {
      attributes {
        key: "service.name"
        value { string_value: "js-peer" }
      }
      attributes {
        key: "peer.bool"
        value { bool_value: true }
      }
      attributes {
        key: "peer.int"
        value { int_value: 42 }
      }
      attributes {
        key: "peer.double"
        value { double_value: 0.5 }
      }
      attributes {
        key: "peer.strings"
        value {
          array_value {
            values { string_value: "a" }
            values { string_value: "b" }
          }
        }
      }
    }
    scope_spans {
      scope { name: "mmf-js-peer" version: "1.2.3" }
      spans {
        trace_state: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
        flags: 0x301
        name: "GET /users/{id}"
        kind: SPAN_KIND_SERVER
        start_time_unix_nano: 1700000000000123456
        end_time_unix_nano: 1700000001250000001
        attributes {
          key: "http.request.method"
          value { string_value: "GET" }
        }
        attributes {
          key: "user.authenticated"
          value { bool_value: true }
        }
        attributes {
          key: "http.response.status_code"
          value { int_value: 503 }
        }
        attributes {
          key: "big.negative"
          value { int_value: -9007199254740991 }
        }
        attributes {
          key: "server.load"
          value { double_value: 0.75 }
        }
        attributes {
          key: "tags"
          value {
            array_value {
              values { string_value: "x" }
              values { string_value: "y" }
              values { string_value: "z" }
            }
          }
        }
        attributes {
          key: "flags"
          value {
            array_value {
              values { bool_value: true }
              values { bool_value: false }
            }
          }
        }
        attributes {
          key: "ports"
          value {
            array_value {
              values { int_value: 80 }
              values { int_value: -443 }
              values { int_value: 8080 }
            }
          }
        }
        attributes {
          key: "ratios"
          value {
            array_value {
              values { double_value: 1.5 }
              values { double_value: -0.25 }
            }
          }
        }
        events {
          time_unix_nano: 1700000000500000789
          name: "cache.miss"
          attributes {
            key: "cache.key"
            value { string_value: "user:42" }
          }
          attributes {
            key: "cache.hit"
            value { bool_value: false }
          }
          attributes {
            key: "retry"
            value { int_value: 2 }
          }
        }
        links {
          trace_state: "vendor=linked"
          attributes {
            key: "link.kind"
            value { string_value: "follows" }
          }
          attributes {
            key: "link.index"
            value { int_value: 7 }
          }
          flags: 0x300
        }
        status { message: "upstream unavailable" code: STATUS_CODE_ERROR }
      }
    }
  }
)pb";

inline std::string bytes_from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return bytes;
}

// A name in kKnownRequestText that our .proto does not have fails the parse: that is reported,
// and the request comes back without ids rather than crashing the test.
inline ExportTraceServiceRequest known_request() {
  ExportTraceServiceRequest request;
  const bool parsed =
      google::protobuf::TextFormat::ParseFromString(std::string(kKnownRequestText), &request);
  EXPECT_TRUE(parsed) << "kKnownRequestText names a field that our .proto does not declare";
  if (!parsed) return request;
  auto& span = *request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  span.set_trace_id(bytes_from_hex(kTraceIdHex));
  span.set_span_id(bytes_from_hex(kSpanIdHex));
  span.set_parent_span_id(bytes_from_hex(kParentSpanIdHex));
  span.mutable_links(0)->set_trace_id(bytes_from_hex(kLinkTraceIdHex));
  span.mutable_links(0)->set_span_id(bytes_from_hex(kLinkSpanIdHex));
  return request;
}

// Paths of every message, from message down, that holds fields our .proto does not declare.
inline void collect_unknown_fields(const google::protobuf::Message& message,
                                   const std::string& path, std::vector<std::string>& found) {
  const auto* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) found.push_back(path);
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      collect_unknown_fields(reflection->GetMessage(message, field), path + "." + field->name(),
                             found);
      continue;
    }
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      collect_unknown_fields(reflection->GetRepeatedMessage(message, field, i),
                             path + "." + field->name() + "[" + std::to_string(i) + "]", found);
    }
  }
}

inline std::vector<std::string> unknown_fields(const google::protobuf::Message& message) {
  std::vector<std::string> found;
  collect_unknown_fields(message, "request", found);
  return found;
}

inline void expect_known_request(const ExportTraceServiceRequest& decoded) {
  EXPECT_EQ(unknown_fields(decoded), std::vector<std::string>{})
      << "our .proto lacks (or numbers or types differently) a field the JS SDK sent";
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(known_request(), decoded)) << differences << "decoded:\n"
                                                             << decoded.DebugString();
}

}  // namespace mmf::testing_support
