#include "core/canonicaljson.h"

#include <charconv>
#include <cmath>
#include <vector>

using namespace Qt::StringLiterals;

namespace
{
using Json = CanonicalJson::Json;

// Builds a Json value from SAX events, so that number lexemes can be inspected:
// nlohmann turns an integer beyond 64 bits into a float, which we must refuse.
class Builder final : public nlohmann::json_sax<Json>
{
public:
    bool null() override { return put(Json(nullptr)); }
    bool boolean(bool value) override { return put(Json(value)); }
    bool number_integer(number_integer_t value) override { return put(Json(value)); }
    bool number_unsigned(number_unsigned_t value) override { return put(Json(value)); }

    bool number_float(number_float_t value, const string_t &lexeme) override
    {
        if (lexeme.find_first_of(".eE") == string_t::npos)
            return fail(u"integer %1 does not fit in 64 bits"_s.arg(QString::fromStdString(lexeme)));
        if (!std::isfinite(value))
            return fail(u"number %1 is out of range"_s.arg(QString::fromStdString(lexeme)));
        return put(Json(value));
    }

    bool string(string_t &value) override { return put(Json(std::move(value))); }
    bool binary(binary_t &) override { return fail(u"binary values are not JSON"_s); }

    bool start_object(std::size_t) override { return open(Json::object()); }
    bool key(string_t &value) override
    {
        m_key = std::move(value);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Json::array()); }
    bool end_array() override { return close(); }

    bool parse_error(std::size_t position, const std::string &, const nlohmann::detail::exception &ex) override
    {
        if (m_error.isEmpty()) {
            QString what = QString::fromUtf8(ex.what());
            // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> after "]"
            const qsizetype bracket = what.indexOf(u']');
            if (bracket >= 0)
                what = what.mid(bracket + 1).trimmed();
            m_error = u"invalid JSON at byte %1: %2"_s.arg(position).arg(what);
        }
        return false;
    }

    Json takeRoot() { return std::move(m_root); }
    QString error() const { return m_error; }

private:
    bool fail(const QString &message)
    {
        if (m_error.isEmpty())
            m_error = message;
        return false;
    }

    Json *place(Json &&value)
    {
        if (m_stack.empty()) {
            m_root = std::move(value);
            return &m_root;
        }
        Json &parent = *m_stack.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        Json &slot = parent[m_key];   // a repeated key keeps the last value, as Python does
        slot = std::move(value);
        return &slot;
    }

    bool put(Json &&value)
    {
        place(std::move(value));
        return true;
    }

    bool open(Json &&container)
    {
        if (m_stack.size() >= CanonicalJson::MaxDepth)
            return fail(u"JSON nested deeper than %1 levels"_s.arg(CanonicalJson::MaxDepth));
        m_stack.push_back(place(std::move(container)));
        return true;
    }

    bool close()
    {
        m_stack.pop_back();
        return true;
    }

    Json m_root;
    std::vector<Json *> m_stack;
    std::string m_key;
    QString m_error;
};

void appendHex4(std::string &out, unsigned value)
{
    static constexpr char Hex[] = "0123456789abcdef";
    out += "\\u";
    out += Hex[(value >> 12) & 0xf];
    out += Hex[(value >> 8) & 0xf];
    out += Hex[(value >> 4) & 0xf];
    out += Hex[value & 0xf];
}

// Decodes one UTF-8 sequence at text[i]; returns U+FFFD for an ill-formed one.
char32_t decodeUtf8(const std::string &text, std::size_t &i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    int extra = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (lead < 0x80) {
        ++i;
        return lead;
    } else if ((lead & 0xe0) == 0xc0) {
        extra = 1, cp = lead & 0x1f, min = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
        extra = 2, cp = lead & 0x0f, min = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
        extra = 3, cp = lead & 0x07, min = 0x10000;
    } else {
        ++i;
        return 0xfffd;
    }
    if (i + extra >= text.size()) {
        ++i;
        return 0xfffd;
    }
    for (int k = 1; k <= extra; ++k) {
        const unsigned char c = byte(i + k);
        if ((c & 0xc0) != 0x80) {
            ++i;
            return 0xfffd;
        }
        cp = (cp << 6) | (c & 0x3f);
    }
    i += extra + 1;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0xfffd;
    return cp;
}
}

namespace CanonicalJson
{
std::optional<Json> parse(const QByteArray &text, QString *error)
{
    Builder builder;
    bool ok = false;
    try {
        ok = Json::sax_parse(text.cbegin(), text.cend(), &builder);
    } catch (const std::exception &ex) {
        if (error)
            *error = u"invalid JSON: %1"_s.arg(QString::fromUtf8(ex.what()));
        return std::nullopt;
    }
    if (!ok) {
        if (error)
            *error = builder.error().isEmpty() ? u"invalid JSON"_s : builder.error();
        return std::nullopt;
    }
    return builder.takeRoot();
}

std::string formatDouble(double value)
{
    if (value == 0)
        return std::signbit(value) ? "-0.0" : "0.0";

    // Shortest round-trip digits, in scientific form: "-d.ddde+XX".
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value,
                                      std::chars_format::scientific);
    const std::string sci(buffer, result.ptr);
    const std::size_t ePos = sci.find('e');
    std::string mantissa = sci.substr(0, ePos);
    const int exponent = std::stoi(sci.substr(ePos + 1));

    std::string out;
    if (mantissa[0] == '-') {
        out += '-';
        mantissa.erase(0, 1);
    }
    std::string digits;
    for (const char c : mantissa) {
        if (c != '.')
            digits += c;
    }

    if (exponent >= -4 && exponent < 16) {
        if (exponent >= 0) {
            const std::size_t intLength = static_cast<std::size_t>(exponent) + 1;
            if (digits.size() <= intLength) {
                out += digits;
                out.append(intLength - digits.size(), '0');
                out += ".0";
            } else {
                out += digits.substr(0, intLength);
                out += '.';
                out += digits.substr(intLength);
            }
        } else {
            out += "0.";
            out.append(static_cast<std::size_t>(-exponent - 1), '0');
            out += digits;
        }
        return out;
    }

    out += digits[0];
    if (digits.size() > 1) {
        out += '.';
        out += digits.substr(1);
    }
    out += 'e';
    out += exponent < 0 ? '-' : '+';
    const int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10)
        out += '0';
    out += std::to_string(magnitude);
    return out;
}

void appendEscaped(std::string &out, const std::string &utf8)
{
    out += '"';
    std::size_t i = 0;
    while (i < utf8.size()) {
        const unsigned char c = static_cast<unsigned char>(utf8[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c < 0x80) {
            ++i;
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: appendHex4(out, c); break;
            }
            continue;
        }
        const char32_t cp = decodeUtf8(utf8, i);
        if (cp < 0x10000) {
            appendHex4(out, cp);
        } else {
            const char32_t v = cp - 0x10000;
            appendHex4(out, 0xd800 + (v >> 10));
            appendHex4(out, 0xdc00 + (v & 0x3ff));
        }
    }
    out += '"';
}

void dumpTo(std::string &out, const Json &value)
{
    switch (value.type()) {
    case Json::value_t::null:
        out += "null";
        break;
    case Json::value_t::boolean:
        out += value.get<bool>() ? "true" : "false";
        break;
    case Json::value_t::number_integer:
        out += std::to_string(value.get<std::int64_t>());
        break;
    case Json::value_t::number_unsigned:
        out += std::to_string(value.get<std::uint64_t>());
        break;
    case Json::value_t::number_float:
        out += formatDouble(value.get<double>());
        break;
    case Json::value_t::string:
        appendEscaped(out, value.get_ref<const std::string &>());
        break;
    case Json::value_t::array: {
        out += '[';
        bool first = true;
        for (const Json &item : value) {
            if (!first)
                out += ", ";
            first = false;
            dumpTo(out, item);
        }
        out += ']';
        break;
    }
    case Json::value_t::object: {
        out += '{';
        bool first = true;
        for (const auto &[key, item] : value.items()) {   // std::map: sorted by UTF-8 bytes = code points
            if (!first)
                out += ", ";
            first = false;
            appendEscaped(out, key);
            out += ": ";
            dumpTo(out, item);
        }
        out += '}';
        break;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
        out += "null";
        break;
    }
}

QByteArray dump(const Json &value)
{
    std::string out;
    dumpTo(out, value);
    return QByteArray(out.data(), static_cast<qsizetype>(out.size()));
}
}
