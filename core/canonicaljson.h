#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <QByteArray>
#include <QString>

#include "core/result.h"

// Python-exact JSON: parse every value Python's json.loads accepts (except NaN and
// infinities) keeping a number's kind and exact digits, and write
// json.dumps(value, sort_keys=True) byte for byte. Qt's JSON loses a number's kind,
// so blocks go through here; Qt's JSON is fine everywhere else.
//
// Two kinds of value that nlohmann::json has no type for:
// - an integer outside 64 bits (Python reads 10**20 and writes it back unchanged) is
//   held as a binary value of subtype BigIntegerSubtype whose bytes are its decimal
//   digits as written, sign included. It is not is_number(): code that needs a 64-bit
//   integer (proofs, indexes, difficulty) refuses it by itself; use isNumber() where
//   any JSON number will do.
// - a string holding a lone surrogate ("\ud800") keeps it as a three-byte sequence
//   (generalized UTF-8, as Python's "surrogatepass"), written back as "\ud800".
namespace CanonicalJson
{
using Json = nlohmann::json;

constexpr int MaxDepth = 256;
// Python refuses to convert integers of more digits (sys.int_info.default_max_str_digits).
constexpr int MaxIntegerDigits = 4300;
constexpr std::uint64_t BigIntegerSubtype = 0x6269'6769'6e74;   // "bigint"

// Parses one JSON text. Rejects ill-formed JSON and UTF-8, NaN and infinities (also
// as a float literal out of a double's range), integers of more than MaxIntegerDigits
// digits, nesting deeper than MaxDepth, and trailing bytes.
Result<Json> parse(const QByteArray &text);

bool isBigInteger(const Json &value);   // an integer outside 64 bits
bool isNumber(const Json &value);       // any JSON number: integer of any size or float

// json.dumps(value, sort_keys=True): sorted keys, ", " and ": " separators,
// ensure_ascii escapes, Python float repr.
QByteArray dump(const Json &value);
void dumpTo(std::string &out, const Json &value);

// Python's repr() of a finite double ("1e+16", "0.0001", "-0.0").
std::string formatDouble(double value);

// A JSON string literal, quotes included, with Python's ensure_ascii escapes.
void appendEscaped(std::string &out, const std::string &utf8);
}
