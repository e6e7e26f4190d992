// Durations and sizes as config values: parsing ("10s", "50MB") and display ("1.5s").
// Arithmetic is integer and overflow-checked, so junk and huge values give nullopt.

#include "common/config/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>

namespace konnect {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr Unit kDurationUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000},
};

constexpr std::uint64_t kKi = 1024;
constexpr Unit kSizeUnits[] = {
    {"b", 1},
    {"kb", kKi},           {"kib", kKi},
    {"mb", kKi * kKi},     {"mib", kKi * kKi},
    {"gb", kKi * kKi * kKi}, {"gib", kKi * kKi * kKi},
    {"tb", kKi * kKi * kKi * kKi}, {"tib", kKi * kKi * kKi * kKi},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// A decimal number "12" or "1.25" split into its digit runs; nullopt unless the text is
// exactly that (no sign, no exponent, at least one integer digit).
struct Decimal {
  std::string_view whole;
  std::string_view fraction;
};

std::optional<Decimal> split_decimal(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == 0) return std::nullopt;
  Decimal d{text.substr(0, i), {}};
  if (i == text.size()) return d;
  if (text[i] != '.') return std::nullopt;
  std::size_t j = i + 1;
  while (j < text.size() && is_digit(text[j])) ++j;
  if (j == i + 1 || j != text.size()) return std::nullopt;
  d.fraction = text.substr(i + 1);
  return d;
}

// whole.fraction * factor, rounded to the nearest integer; nullopt on overflow.
std::optional<std::uint64_t> scale(const Decimal& d, std::uint64_t factor) {
  std::uint64_t whole = 0;
  for (char c : d.whole) {
    if (__builtin_mul_overflow(whole, 10u, &whole)) return std::nullopt;
    if (__builtin_add_overflow(whole, static_cast<std::uint64_t>(c - '0'), &whole)) return std::nullopt;
  }
  std::uint64_t result = 0;
  if (__builtin_mul_overflow(whole, factor, &result)) return std::nullopt;
  if (d.fraction.empty()) return result;
  // Only as many fraction digits as can matter: factor is at most 2^40 < 10^13.
  std::string_view frac = d.fraction.substr(0, 18);
  std::uint64_t num = 0;
  std::uint64_t den = 1;
  for (char c : frac) {
    num = num * 10 + static_cast<std::uint64_t>(c - '0');
    den *= 10;
  }
  // num * factor may overflow 64 bits; long double keeps enough precision for rounding.
  long double part = static_cast<long double>(num) * static_cast<long double>(factor) /
                     static_cast<long double>(den);
  auto rounded = static_cast<std::uint64_t>(std::llround(part));
  if (__builtin_add_overflow(result, rounded, &result)) return std::nullopt;
  return result;
}

template <std::size_t N>
std::optional<std::uint64_t> parse_with_units(std::string_view text, const Unit (&units)[N],
                                              std::uint64_t bare_factor, bool allow_fraction) {
  std::size_t split = text.size();
  while (split > 0 && std::isalpha(static_cast<unsigned char>(text[split - 1]))) --split;
  std::string_view number = text.substr(0, split);
  std::string_view suffix = text.substr(split);
  auto decimal = split_decimal(number);
  if (!decimal) return std::nullopt;
  if (!allow_fraction && !decimal->fraction.empty()) return std::nullopt;
  if (suffix.empty()) return scale(*decimal, bare_factor);
  for (const auto& unit : units) {
    if (equals_ignore_case(suffix, unit.name)) return scale(*decimal, unit.factor);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  auto ms = parse_with_units(text, kDurationUnits, 1000, /*allow_fraction=*/true);
  if (!ms || *ms > static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max())) {
    return std::nullopt;
  }
  return Duration(static_cast<Duration::rep>(*ms));
}

std::optional<Duration> duration_from_float_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
  long double ms = std::round(static_cast<long double>(seconds) * 1000.0L);
  if (ms >= static_cast<long double>(std::numeric_limits<Duration::rep>::max())) return std::nullopt;
  return Duration(static_cast<Duration::rep>(ms));
}

std::optional<Duration> duration_from_seconds(std::int64_t seconds) {
  if (seconds < 0 || seconds > std::numeric_limits<Duration::rep>::max() / 1000) return std::nullopt;
  return Duration(seconds * 1000);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  return parse_with_units(text, kSizeUnits, 1, /*allow_fraction=*/false);
}

std::string format_duration(Duration d) {
  auto count = d.count();
  std::string sign = count < 0 ? "-" : "";
  // Unsigned magnitude: negating the most negative count would overflow.
  std::uint64_t ms = count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
  if (ms % 1000 == 0) return sign + std::to_string(ms / 1000) + "s";
  if (ms < 1000) return sign + std::to_string(ms) + "ms";
  std::string frac = std::to_string(1000 + ms % 1000).substr(1);  // three digits
  while (frac.back() == '0') frac.pop_back();
  return sign + std::to_string(ms / 1000) + "." + frac + "s";
}

}  // namespace konnect
