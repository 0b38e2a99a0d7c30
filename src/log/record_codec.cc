#include "log/record_codec.h"

#include <cstring>

namespace mmf::detail {
namespace {

template <class T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void put_text(std::string& out, std::string_view text) {
  put(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

// Reads from an encoded record; the encoder wrote it, so sizes are trusted.
class Reader {
 public:
  explicit Reader(std::string_view bytes) noexcept : at_(bytes.data()) {}
  template <class T>
  T get() noexcept {
    T value;
    std::memcpy(&value, at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  std::string_view text() noexcept {
    const auto size = get<std::uint32_t>();
    const std::string_view result(at_, size);
    at_ += size;
    return result;
  }
  void skip(std::size_t bytes) noexcept { at_ += bytes; }

 private:
  const char* at_;
};

OwnedAttributeValue read_value(Reader& in) {
  switch (static_cast<AttributeType>(in.get<std::uint8_t>())) {
    case AttributeType::kString:
      return std::string(in.text());
    case AttributeType::kBool:
      return in.get<std::uint8_t>() != 0;
    case AttributeType::kInt:
      return in.get<std::int64_t>();
    case AttributeType::kDouble:
      return in.get<double>();
    case AttributeType::kStringArray: {
      std::vector<std::string> values(in.get<std::uint32_t>());
      for (auto& value : values) value = std::string(in.text());
      return values;
    }
    case AttributeType::kBoolArray: {
      std::vector<bool> values(in.get<std::uint32_t>());
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = in.get<std::uint8_t>() != 0;
      return values;
    }
    case AttributeType::kIntArray: {
      std::vector<std::int64_t> values(in.get<std::uint32_t>());
      for (auto& value : values) value = in.get<std::int64_t>();
      return values;
    }
    case AttributeType::kDoubleArray: {
      std::vector<double> values(in.get<std::uint32_t>());
      for (auto& value : values) value = in.get<double>();
      return values;
    }
  }
  return std::string();
}

}  // namespace

void encode_record(std::string& out, const RecordHeader& header, std::string_view message,
                   LogFields fields) {
  const std::size_t start = out.size();
  RecordHeader h = header;
  h.message_size = static_cast<std::uint32_t>(message.size());
  h.field_count = static_cast<std::uint32_t>(fields.size());
  put(out, h);
  out.append(message);
  for (const LogField& field : fields) {
    put_text(out, field.key);
    const AttributeValue& value = field.value;
    put(out, static_cast<std::uint8_t>(value.type()));
    switch (value.type()) {
      case AttributeType::kString:
        put_text(out, value.as_string());
        break;
      case AttributeType::kBool:
        put(out, static_cast<std::uint8_t>(value.as_bool()));
        break;
      case AttributeType::kInt:
        put(out, value.as_int());
        break;
      case AttributeType::kDouble:
        put(out, value.as_double());
        break;
      case AttributeType::kStringArray:
        put(out, static_cast<std::uint32_t>(value.as_strings().size()));
        for (std::string_view text : value.as_strings()) put_text(out, text);
        break;
      case AttributeType::kBoolArray:
        put(out, static_cast<std::uint32_t>(value.as_bools().size()));
        for (bool b : value.as_bools()) put(out, static_cast<std::uint8_t>(b));
        break;
      case AttributeType::kIntArray:
        put(out, static_cast<std::uint32_t>(value.as_ints().size()));
        for (std::int64_t i : value.as_ints()) put(out, i);
        break;
      case AttributeType::kDoubleArray:
        put(out, static_cast<std::uint32_t>(value.as_doubles().size()));
        for (double d : value.as_doubles()) put(out, d);
        break;
    }
  }
  // The size goes into the header written first, now that it is known.
  const auto size = static_cast<std::uint32_t>(out.size() - start);
  std::memcpy(out.data() + start + offsetof(RecordHeader, size), &size, sizeof size);
}

void for_each_record(std::string_view buffer,
                     const std::function<void(const RecordHeader&, std::string_view)>& fn) {
  while (buffer.size() >= sizeof(RecordHeader)) {
    RecordHeader header;
    std::memcpy(&header, buffer.data(), sizeof header);
    fn(header, buffer.substr(0, header.size));
    buffer.remove_prefix(header.size);
  }
}

void decode_record(const RecordHeader& header, std::string_view bytes, LogRecord& record) {
  // Whatever happens below, the Context reference goes back.
  struct Release {
    const ContextData* context;
    ~Release() { release(context); }
  } release_context{header.context};

  Reader in(bytes);
  in.skip(sizeof(RecordHeader));
  record.time_unix_nano = header.time_unix_nano;
  record.level = header.level;
  record.logger = header.logger != nullptr ? header.logger->name() : std::string();
  record.message.assign(bytes.data() + sizeof(RecordHeader), header.message_size);
  in.skip(header.message_size);
  record.fields.clear();
  record.fields.reserve(header.field_count);
  for (std::uint32_t i = 0; i < header.field_count; ++i) {
    std::string key(in.text());
    record.fields.push_back({std::move(key), read_value(in)});
  }
  record.file = header.file != nullptr ? std::string_view(header.file) : std::string_view();
  record.function =
      header.function != nullptr ? std::string_view(header.function) : std::string_view();
  record.line = header.line;

  const ContextData* context = header.context;
  record.trace_id = context ? context->span_context.trace_id : TraceId();
  record.span_id = context ? context->span_context.span_id : SpanId();
  record.trace_flags = context ? context->span_context.flags : TraceFlags();
  record.correlation_id = context ? context->correlation_id : std::string();
  record.request_id = context ? context->request_id : std::string();
  record.user_id = context ? context->user_id : std::string();
  record.session_id = context ? context->session_id : std::string();
  record.operation = context ? context->operation_name : std::string();
  record.plugin = context ? context->plugin : std::string();
  record.business.clear();
  if (context != nullptr) {
    for (const auto& [key, value] : context->business_context)
      record.business.emplace_back(key, value);
  }
}

void release_contexts(std::string_view buffer) noexcept {
  while (buffer.size() >= sizeof(RecordHeader)) {
    RecordHeader header;
    std::memcpy(&header, buffer.data(), sizeof header);
    release(header.context);
    buffer.remove_prefix(header.size);
  }
}

}  // namespace mmf::detail
