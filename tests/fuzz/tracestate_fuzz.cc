// Fuzzes TraceState: the input is one or more header fields separated by '\n'. The parse is
// compared with a reference reading of the W3C list grammar, the result is checked against the
// 32-member and 512-character limits and the truncation order, parsing the normalised header
// must give the same list, and set() and erase() must keep every rule.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "mmf/trace_context.h"

namespace {

struct Member {
  std::string key;
  std::string value;
  std::size_t size() const { return key.size() + 1 + value.size(); }
  friend bool operator==(const Member&, const Member&) = default;
};

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_keychar(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
bool all_keychars(std::string_view text) {
  for (char c : text) {
    if (!is_keychar(c)) return false;
  }
  return true;
}

// key = simple-key / tenant-id "@" system-id (Level 2 allows a digit first in simple keys).
bool reference_key(std::string_view key) {
  if (key.empty() || key.size() > 256) return false;
  const std::size_t at = key.find('@');
  if (at == key.npos) return (is_lcalpha(key[0]) || is_digit(key[0])) && all_keychars(key);
  if (key.find('@', at + 1) != key.npos) return false;
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 &&
         (is_lcalpha(tenant[0]) || is_digit(tenant[0])) && all_keychars(tenant) &&
         !system.empty() && system.size() <= 14 && is_lcalpha(system[0]) && all_keychars(system);
}

// value = 0*255(chr) nblk-chr, chr = %x20-2B / %x2D-3C / %x3E-7E.
bool reference_value(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return true;
}

// The members of the combined list, or nullopt when the list must be discarded.
std::optional<std::vector<Member>> reference_parse(const std::vector<std::string_view>& fields) {
  std::vector<Member> members;
  for (std::string_view field : fields) {
    for (std::string_view piece : mmf_fuzz::split(field, ',')) {
      piece = mmf_fuzz::trim(piece);
      if (piece.empty()) continue;
      const std::size_t eq = piece.find('=');
      if (eq == piece.npos) return std::nullopt;
      Member member{std::string(piece.substr(0, eq)), std::string(piece.substr(eq + 1))};
      if (!reference_key(member.key) || !reference_value(member.value)) return std::nullopt;
      for (const Member& earlier : members) {
        if (earlier.key == member.key) return std::nullopt;
      }
      members.push_back(std::move(member));
      if (members.size() > 32) return std::nullopt;
    }
  }
  return members;
}

std::vector<Member> members_of(const mmf::TraceState& state) {
  std::vector<Member> members;
  state.for_each([&](std::string_view key, std::string_view value) {
    members.push_back({std::string(key), std::string(value)});
  });
  return members;
}

std::size_t joined_size(const std::vector<Member>& members) {
  std::size_t size = members.empty() ? 0 : members.size() - 1;
  for (const Member& m : members) size += m.size();
  return size;
}

bool is_subsequence(const std::vector<Member>& part, const std::vector<Member>& whole) {
  std::size_t next = 0;
  for (const Member& m : part) {
    while (next < whole.size() && !(whole[next] == m)) ++next;
    if (next == whole.size()) return false;
    ++next;
  }
  return true;
}

void check_well_formed(const mmf::TraceState& state) {
  const std::vector<Member> members = members_of(state);
  MMF_FUZZ_CHECK(members.size() == state.size());
  MMF_FUZZ_CHECK(state.size() <= mmf::TraceState::kMaxMembers);
  MMF_FUZZ_CHECK(state.header().size() <= mmf::TraceState::kMaxHeaderSize);
  MMF_FUZZ_CHECK(state.empty() == members.empty());
  MMF_FUZZ_CHECK(joined_size(members) == state.header().size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    MMF_FUZZ_CHECK(reference_key(members[i].key));
    MMF_FUZZ_CHECK(reference_value(members[i].value));
    MMF_FUZZ_CHECK(state.get(members[i].key) == members[i].value);
    for (std::size_t j = 0; j < i; ++j) MMF_FUZZ_CHECK(members[j].key != members[i].key);
  }
  MMF_FUZZ_CHECK(mmf::TraceState::parse(state.header()) == state);
}

void check_set(const mmf::TraceState& state, std::string_view key, std::string_view value) {
  const mmf::TraceState result = state.set(key, value);
  check_well_formed(result);
  const bool settable = reference_key(key) && reference_value(value) &&
                        key.size() + 1 + value.size() <= mmf::TraceState::kMaxHeaderSize;
  if (!settable) {
    MMF_FUZZ_CHECK(result == state);
    return;
  }
  const std::vector<Member> after = members_of(result);
  MMF_FUZZ_CHECK(!after.empty());
  MMF_FUZZ_CHECK(after.front() == (Member{std::string(key), std::string(value)}));
  std::vector<Member> others = members_of(state);
  std::erase_if(others, [&](const Member& m) { return m.key == key; });
  MMF_FUZZ_CHECK(is_subsequence({after.begin() + 1, after.end()}, others));
}

void check_erase(const mmf::TraceState& state, std::string_view key) {
  const mmf::TraceState result = state.erase(key);
  check_well_formed(result);
  std::vector<Member> expected = members_of(state);
  std::erase_if(expected, [&](const Member& m) { return m.key == key; });
  MMF_FUZZ_CHECK(members_of(result) == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string_view> fields = mmf_fuzz::split(mmf_fuzz::as_text(data, size), '\n');
  const mmf::TraceState state =
      mmf::TraceState::parse(std::span<const std::string_view>(fields.data(), fields.size()));
  check_well_formed(state);

  const std::optional<std::vector<Member>> reference = reference_parse(fields);
  if (!reference) {
    MMF_FUZZ_CHECK(state.empty());
  } else if (joined_size(*reference) <= mmf::TraceState::kMaxHeaderSize) {
    MMF_FUZZ_CHECK(members_of(state) == *reference);
  } else {
    // Truncated by whole members, in order; members over 128 characters go before any other.
    const std::vector<Member> kept = members_of(state);
    MMF_FUZZ_CHECK(kept.size() < reference->size());
    MMF_FUZZ_CHECK(is_subsequence(kept, *reference));
    bool short_one_dropped = false;
    bool long_one_kept = false;
    std::size_t next = 0;
    for (const Member& m : *reference) {
      const bool is_kept = next < kept.size() && kept[next] == m;
      if (is_kept) ++next;
      if (!is_kept && m.size() <= 128) short_one_dropped = true;
      if (is_kept && m.size() > 128) long_one_kept = true;
    }
    MMF_FUZZ_CHECK(!(short_one_dropped && long_one_kept));
  }

  // Mutations with a key from the list (an update) and with raw input (anything at all).
  const std::vector<Member> members = members_of(state);
  const std::string fresh_value = "v" + std::to_string(size);
  if (!members.empty()) {
    check_set(state, members.back().key, fresh_value);
    check_erase(state, members.back().key);
  }
  check_set(state, "fuzz", fresh_value);
  if (fields.size() >= 2) check_set(state, fields[0], fields[1]);
  check_erase(state, fields[0]);
  return 0;
}
