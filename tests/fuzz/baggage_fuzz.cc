// Fuzzes Baggage: the input is one or more header fields separated by '\n'. Each member is
// judged by a reference reading of the W3C Baggage grammar (a member is skipped alone, never
// the header), the result must stay within 64 entries and 8192 bytes, its header must parse
// back to the same Baggage, and set() and erase() must keep every rule.
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "mmf/baggage.h"

namespace {

using mmf_fuzz::is_any_hex;
using mmf_fuzz::is_token;
using mmf_fuzz::trim;

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool is_baggage_octet(char c) {
  return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// A value is baggage-octets holding a percent-encoded UTF-8 string.
bool reference_value(std::string_view raw, std::string* decoded) {
  decoded->clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!is_baggage_octet(raw[i])) return false;
    if (raw[i] != '%') {
      decoded->push_back(raw[i]);
    } else if (i + 2 < raw.size() && is_any_hex(raw[i + 1]) && is_any_hex(raw[i + 2])) {
      decoded->push_back(static_cast<char>(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2])));
      i += 2;
    } else {
      return false;
    }
  }
  return mmf_fuzz::is_utf8(*decoded);
}

// property = key OWS "=" OWS value / key OWS, with value = *baggage-octet.
bool reference_property(std::string_view property) {
  property = trim(property);
  const std::size_t eq = property.find('=');
  if (!is_token(trim(property.substr(0, eq)))) return false;
  if (eq == property.npos) return true;
  for (char c : trim(property.substr(eq + 1))) {
    if (!is_baggage_octet(c)) return false;
  }
  return true;
}

// list-member = key OWS "=" OWS value *( OWS ";" OWS property ). Sets key when valid.
bool reference_member(std::string_view member, std::string* key) {
  const std::size_t semi = member.find(';');
  const std::string_view pair = member.substr(0, semi);
  const std::size_t eq = pair.find('=');
  if (eq == pair.npos || !is_token(trim(pair.substr(0, eq)))) return false;
  std::string decoded;
  if (!reference_value(trim(pair.substr(eq + 1)), &decoded)) return false;
  if (semi != member.npos) {
    for (std::string_view property : mmf_fuzz::split(member.substr(semi + 1), ';')) {
      if (!reference_property(property)) return false;
    }
  }
  key->assign(trim(pair.substr(0, eq)));
  return true;
}

void check_well_formed(const mmf::Baggage& baggage) {
  MMF_FUZZ_CHECK(baggage.size() <= mmf::Baggage::kMaxEntries);
  const std::string header = baggage.to_header();
  MMF_FUZZ_CHECK(header.size() <= mmf::Baggage::kMaxHeaderSize);
  MMF_FUZZ_CHECK(baggage.empty() == header.empty());
  std::set<std::string_view> keys;
  std::string pieces;
  for (const mmf::Baggage::Entry& entry : baggage.entries()) {
    MMF_FUZZ_CHECK(is_token(entry.key));
    MMF_FUZZ_CHECK(keys.insert(entry.key).second);
    MMF_FUZZ_CHECK(mmf_fuzz::is_utf8(entry.value));
    MMF_FUZZ_CHECK(baggage.get(entry.key) == entry.value);
    if (!entry.metadata.empty()) {
      for (std::string_view property : mmf_fuzz::split(entry.metadata, ';')) {
        MMF_FUZZ_CHECK(reference_property(property));
        MMF_FUZZ_CHECK(trim(property) == property);
      }
    }
    if (!pieces.empty()) pieces.push_back(',');
    mmf::Baggage::append_encoded(pieces, entry.key, entry.value, entry.metadata);
  }
  MMF_FUZZ_CHECK(pieces == header);
  for (char c : header) MMF_FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '"' && c != '\\');

  mmf::Baggage::ParseStats stats;
  MMF_FUZZ_CHECK(mmf::Baggage::parse(header, &stats) == baggage);
  MMF_FUZZ_CHECK(stats.invalid_members == 0 && stats.dropped_members == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string_view> fields = mmf_fuzz::split(mmf_fuzz::as_text(data, size), '\n');
  mmf::Baggage::ParseStats stats;
  const mmf::Baggage baggage =
      mmf::Baggage::parse(std::span<const std::string_view>(fields.data(), fields.size()), &stats);
  check_well_formed(baggage);

  // Every member is judged alone, and the whole parse agrees with those judgements.
  std::size_t members = 0;
  std::size_t invalid = 0;
  std::set<std::string> keys;
  bool repeated_key = false;
  for (std::string_view field : fields) {
    for (std::string_view member : mmf_fuzz::split(field, ',')) {
      member = trim(member);
      if (member.empty()) continue;
      ++members;
      std::string key;
      const bool valid = reference_member(member, &key);
      mmf::Baggage::ParseStats alone;
      mmf::Baggage::parse(member, &alone);
      MMF_FUZZ_CHECK(alone.invalid_members == (valid ? 0u : 1u));
      if (!valid) {
        ++invalid;
      } else if (!keys.insert(key).second) {
        repeated_key = true;
      }
    }
  }
  MMF_FUZZ_CHECK(stats.invalid_members == invalid);
  MMF_FUZZ_CHECK(baggage.size() + stats.dropped_members <= members - invalid);
  if (!repeated_key) MMF_FUZZ_CHECK(baggage.size() + stats.dropped_members == members - invalid);
  if (stats.dropped_members == 0 && !repeated_key) MMF_FUZZ_CHECK(baggage.size() == keys.size());
  for (const mmf::Baggage::Entry& entry : baggage.entries()) {
    MMF_FUZZ_CHECK(keys.count(entry.key) == 1);
  }

  // Mutations with pieces of the input as key, value and properties.
  const std::string_view key = fields[0];
  const std::string_view value = fields.size() > 1 ? fields[1] : std::string_view("v");
  const std::string_view metadata = fields.size() > 2 ? fields[2] : std::string_view();
  const mmf::Baggage changed = baggage.set(key, value, metadata);
  check_well_formed(changed);
  if (!(changed == baggage)) {
    MMF_FUZZ_CHECK(changed.get(key) == value);
    MMF_FUZZ_CHECK(changed.size() == baggage.size() + (baggage.get(key) ? 0 : 1));
  }
  if (!is_token(key) || !mmf_fuzz::is_utf8(value)) MMF_FUZZ_CHECK(changed == baggage);
  if (!baggage.empty()) {
    const std::string& existing = baggage.entries().front().key;
    const mmf::Baggage updated = baggage.set(existing, "x");
    check_well_formed(updated);
    MMF_FUZZ_CHECK(updated.size() == baggage.size());
    const mmf::Baggage erased = baggage.erase(existing);
    check_well_formed(erased);
    MMF_FUZZ_CHECK(!erased.get(existing).has_value());
    MMF_FUZZ_CHECK(erased.size() + 1 == baggage.size());
  }
  return 0;
}
