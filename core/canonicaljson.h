#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <QByteArray>
#include <QString>

// Python-exact JSON: parse keeping a number's kind (integer vs float), and write
// json.dumps(value, sort_keys=True) byte for byte. Qt's JSON loses a number's kind,
// so blocks go through here; Qt's JSON is fine everywhere else.
namespace CanonicalJson
{
using Json = nlohmann::json;

constexpr int MaxDepth = 256;

// Parses one JSON text. Rejects ill-formed JSON and UTF-8, NaN and infinities,
// integers outside 64 bits, nesting deeper than MaxDepth, and trailing bytes.
std::optional<Json> parse(const QByteArray &text, QString *error = nullptr);

// json.dumps(value, sort_keys=True): sorted keys, ", " and ": " separators,
// ensure_ascii escapes, Python float repr.
QByteArray dump(const Json &value);
void dumpTo(std::string &out, const Json &value);

// Python's repr() of a finite double ("1e+16", "0.0001", "-0.0").
std::string formatDouble(double value);

// A JSON string literal, quotes included, with Python's ensure_ascii escapes.
void appendEscaped(std::string &out, const std::string &utf8);
}
