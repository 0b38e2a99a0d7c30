#include "test_otlp_grpc_collector.h"

#include <grpc/compression.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <utility>

// gRPC's core decompresses a message and drops grpc-encoding before the application sees either;
// this test hook of libgrpc (declared in its internal src/core/lib/surface/call_test_only.h, and
// exported by every release since 2015) is the one way to learn what the client sent.
grpc_compression_algorithm grpc_call_test_only_get_compression_algorithm(grpc_call* call);

namespace mmf::testing_support {
namespace {

void append_varint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void append_bytes_field(int field, std::string_view bytes, std::string& out) {
  append_varint(static_cast<std::uint64_t>(field) << 3 | 2, out);
  append_varint(bytes.size(), out);
  out.append(bytes);
}

void append_varint_field(int field, std::uint64_t value, std::string& out) {
  append_varint(static_cast<std::uint64_t>(field) << 3, out);
  append_varint(value, out);
}

std::string to_string(const grpc::string_ref& text) { return {text.data(), text.size()}; }

}  // namespace

std::string OtlpGrpcRequest::metadata_value(std::string_view key) const {
  const auto found = metadata.find(std::string(key));
  return found == metadata.end() ? std::string() : found->second;
}

// One call: reads the request, records it, answers as scripted. gRPC may run OnCancel alongside
// the other reactions, so Finish is guarded to run once; OnDone is last and frees the reactor.
class TestOtlpGrpcCollector::Reactor final : public grpc::ServerGenericBidiReactor {
 public:
  Reactor(TestOtlpGrpcCollector& owner, grpc::GenericCallbackServerContext& context)
      : owner_(owner), context_(context) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      finish_once(grpc::Status(grpc::StatusCode::CANCELLED, "no request message"));
      return;
    }
    OtlpGrpcRequest recorded;
    recorded.method = context_.method();
    for (const auto& [key, value] : context_.client_metadata()) {
      recorded.metadata.emplace(to_string(key), to_string(value));
    }
    const grpc_compression_algorithm algorithm =
        grpc_call_test_only_get_compression_algorithm(context_.c_call());
    const char* name = nullptr;
    if (algorithm != GRPC_COMPRESS_NONE && grpc_compression_algorithm_name(algorithm, &name) != 0) {
      recorded.encoding = name;
    }
    recorded.compressed = !recorded.encoding.empty();
    std::vector<grpc::Slice> slices;
    if (request_.Valid() && request_.Dump(&slices).ok()) {
      for (const grpc::Slice& slice : slices) {
        recorded.body.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
      }
    }
    const OtlpGrpcReply reply = owner_.record(std::move(recorded));
    if (reply.hang) return;  // OnCancel finishes it
    if (reply.code != grpc::StatusCode::OK) {
      finish_once(grpc::Status(reply.code, reply.message, reply.details));
      return;
    }
    grpc::Slice slice(reply.body.data(), reply.body.size());
    response_ = grpc::ByteBuffer(&slice, 1);
    if (!finished_.exchange(true)) {
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
  }

  void OnCancel() override { finish_once(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }
  void OnWriteDone(bool /*ok*/) override {}
  void OnDone() override { delete this; }

 private:
  void finish_once(const grpc::Status& status) {
    if (!finished_.exchange(true)) Finish(status);
  }

  TestOtlpGrpcCollector& owner_;
  grpc::GenericCallbackServerContext& context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::atomic<bool> finished_{false};
};

class TestOtlpGrpcCollector::Service final : public grpc::CallbackGenericService {
 public:
  explicit Service(TestOtlpGrpcCollector& owner) : owner_(owner) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Reactor(owner_, *context);
  }

 private:
  TestOtlpGrpcCollector& owner_;
};

TestOtlpGrpcCollector::TestOtlpGrpcCollector() : service_(std::make_unique<Service>(*this)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterCallbackGenericService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    throw std::runtime_error("the test OTLP/gRPC collector could not start");
  }
}

TestOtlpGrpcCollector::~TestOtlpGrpcCollector() { stop(); }

std::string TestOtlpGrpcCollector::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void TestOtlpGrpcCollector::respond(OtlpGrpcReply reply) {
  std::lock_guard<std::mutex> lock(mutex_);
  script_.push_back(std::move(reply));
}

void TestOtlpGrpcCollector::set_default_reply(OtlpGrpcReply reply) {
  std::lock_guard<std::mutex> lock(mutex_);
  default_reply_ = std::move(reply);
}

std::vector<OtlpGrpcRequest> TestOtlpGrpcCollector::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

bool TestOtlpGrpcCollector::wait_for_requests(std::size_t count,
                                              std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

OtlpGrpcReply TestOtlpGrpcCollector::record(OtlpGrpcRequest request) {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.push_back(std::move(request));
  changed_.notify_all();
  if (script_.empty()) return default_reply_;
  OtlpGrpcReply reply = std::move(script_.front());
  script_.pop_front();
  return reply;
}

void TestOtlpGrpcCollector::stop() {
  std::call_once(stopped_, [this] {
    // A short deadline: hanging calls are cancelled then, which makes their reactors finish.
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
    server_->Wait();
  });
}

std::string status_details_with_retry_info(int code, std::string_view message,
                                           std::chrono::milliseconds delay) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(delay);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(delay - seconds);
  std::string duration;  // google.protobuf.Duration
  append_varint_field(1, static_cast<std::uint64_t>(seconds.count()), duration);
  append_varint_field(2, static_cast<std::uint64_t>(nanos.count()), duration);
  std::string retry_info;  // google.rpc.RetryInfo
  append_bytes_field(1, duration, retry_info);
  std::string any;  // google.protobuf.Any
  append_bytes_field(1, "type.googleapis.com/google.rpc.RetryInfo", any);
  append_bytes_field(2, retry_info, any);
  std::string status;  // google.rpc.Status
  append_varint_field(1, static_cast<std::uint64_t>(code), status);
  append_bytes_field(2, message, status);
  append_bytes_field(3, any, status);
  return status;
}

}  // namespace mmf::testing_support
