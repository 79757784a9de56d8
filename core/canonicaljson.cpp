#include "core/canonicaljson.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

using namespace Qt::StringLiterals;

namespace
{
using Json = CanonicalJson::Json;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// Printable ASCII that a JSON string holds as is, in and out: 0x20..0x7f but '"' and '\'.
bool isPlain(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
}

void appendUtf8(std::string &out, char32_t cp)   // surrogates too, as three bytes
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// For a float literal out of a double's range: whether it is too large (Python reads
// it as an infinity, which we refuse) rather than too small (Python reads +-0.0).
bool overflows(std::string_view lexeme)
{
    const std::size_t ePos = lexeme.find_first_of("eE");
    const std::string_view mantissa = lexeme.substr(0, ePos);
    long long exponent = 0;
    if (ePos != std::string_view::npos) {
        std::string_view digits = lexeme.substr(ePos + 1);
        const bool negative = digits.front() == '-';
        if (digits.front() == '-' || digits.front() == '+')
            digits.remove_prefix(1);
        for (const char c : digits)
            exponent = std::min(exponent * 10 + (c - '0'), 1LL << 40);
        if (negative)
            exponent = -exponent;
    }
    // The decimal exponent of the mantissa's first non-zero digit.
    const std::size_t first = mantissa.find_first_of("123456789");
    if (first == std::string_view::npos)
        return false;
    const auto pointAt = static_cast<long long>(std::min(mantissa.find('.'), mantissa.size()));
    const auto at = static_cast<long long>(first);
    const long long lead = at < pointAt ? pointAt - at - 1 : pointAt - at;
    return lead + exponent >= 0;
}

// JSON as Python's json.loads reads it from bytes: strict JSON, with any size of
// integer, and lone surrogates in strings (escaped, or as raw three-byte sequences,
// Python's "surrogatepass"); a leading UTF-8 byte order mark is skipped. Escapes of a
// high and a low surrogate in a row make one character, as in Python.
class Parser final
{
public:
    Parser(const char *begin, const char *end)
        : m_begin{begin}
        , m_pos{begin}
        , m_end{end}
    {
    }

    std::optional<Json> document()
    {
        if (m_end - m_pos >= 3 && std::string_view(m_pos, 3) == "\xef\xbb\xbf")
            m_pos += 3;
        Json root;
        skipWhitespace();
        if (!value(root, 0))
            return std::nullopt;
        skipWhitespace();
        if (m_pos != m_end) {
            fail(u"unexpected bytes after the JSON value"_s);
            return std::nullopt;
        }
        return root;
    }

    QString error() const { return m_error; }

private:
    bool fail(const QString &what)
    {
        m_error = u"invalid JSON at byte %1: %2"_s.arg(m_pos - m_begin).arg(what);
        return false;
    }

    bool failAt(const char *at, const QString &what)
    {
        m_pos = at;
        return fail(what);
    }

    bool at(char c) const { return m_pos != m_end && *m_pos == c; }

    void skipWhitespace()
    {
        while (m_pos != m_end && (*m_pos == ' ' || *m_pos == '\n' || *m_pos == '\r' || *m_pos == '\t'))
            ++m_pos;
    }

    bool value(Json &out, int depth)
    {
        if (m_pos == m_end)
            return fail(u"unexpected end of input, expected a value"_s);
        switch (*m_pos) {
        case '{':
            return object(out, depth + 1);
        case '[':
            return array(out, depth + 1);
        case '"': {
            std::string text;
            if (!string(text))
                return false;
            out = std::move(text);
            return true;
        }
        case 't':
            return literal("true", Json(true), out);
        case 'f':
            return literal("false", Json(false), out);
        case 'n':
            return literal("null", Json(nullptr), out);
        default:
            if (*m_pos == '-' || isDigit(*m_pos))
                return number(out);
            return fail(u"expected a value"_s);
        }
    }

    bool literal(std::string_view word, Json &&json, Json &out)
    {
        if (static_cast<std::size_t>(m_end - m_pos) < word.size()
            || std::string_view(m_pos, word.size()) != word)
            return fail(u"expected a value"_s);
        m_pos += word.size();
        out = std::move(json);
        return true;
    }

    bool enter(int depth)
    {
        if (depth > CanonicalJson::MaxDepth)
            return fail(u"JSON nested deeper than %1 levels"_s.arg(CanonicalJson::MaxDepth));
        ++m_pos;
        skipWhitespace();
        return true;
    }

    bool object(Json &out, int depth)
    {
        if (!enter(depth))
            return false;
        out = Json::object();
        auto &members = out.get_ref<Json::object_t &>();
        if (at('}')) {
            ++m_pos;
            return true;
        }
        while (true) {
            if (!at('"'))
                return fail(u"expected a string as key"_s);
            std::string key;
            if (!string(key))
                return false;
            skipWhitespace();
            if (!at(':'))
                return fail(u"expected ':'"_s);
            ++m_pos;
            skipWhitespace();
            Json item;
            if (!value(item, depth))
                return false;
            members.insert_or_assign(std::move(key), std::move(item));   // the last one wins, as in Python
            skipWhitespace();
            if (at(',')) {
                ++m_pos;
                skipWhitespace();
            } else if (at('}')) {
                ++m_pos;
                return true;
            } else {
                return fail(u"expected ',' or '}'"_s);
            }
        }
    }

    bool array(Json &out, int depth)
    {
        if (!enter(depth))
            return false;
        out = Json::array();
        auto &items = out.get_ref<Json::array_t &>();
        if (at(']')) {
            ++m_pos;
            return true;
        }
        while (true) {
            if (!value(items.emplace_back(), depth))
                return false;
            skipWhitespace();
            if (at(',')) {
                ++m_pos;
                skipWhitespace();
            } else if (at(']')) {
                ++m_pos;
                return true;
            } else {
                return fail(u"expected ',' or ']'"_s);
            }
        }
    }

    bool string(std::string &out)
    {
        ++m_pos;   // the opening quote
        while (true) {
            const char *run = m_pos;
            while (m_pos != m_end && isPlain(*m_pos))
                ++m_pos;
            out.append(run, m_pos);
            if (m_pos == m_end)
                return fail(u"unterminated string"_s);
            const auto c = static_cast<unsigned char>(*m_pos);
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (c == '\\') {
                if (!escape(out))
                    return false;
            } else if (c < 0x20) {
                return fail(u"control character U+%1 in a string"_s.arg(int{c}, 4, 16, QChar(u'0')));
            } else if (!utf8Sequence(out)) {
                return false;
            }
        }
    }

    // One UTF-8 sequence, as Python's decoder with "surrogatepass" takes it: no
    // overlong forms, nothing above U+10FFFF, but surrogates (ED A0..BF xx) allowed.
    bool utf8Sequence(std::string &out)
    {
        const auto byte = [this](std::ptrdiff_t k) { return static_cast<unsigned char>(m_pos[k]); };
        const unsigned char lead = byte(0);
        std::ptrdiff_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            low = lead == 0xe0 ? 0xa0 : 0x80;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            low = lead == 0xf0 ? 0x90 : 0x80;
            high = lead == 0xf4 ? 0x8f : 0xbf;
        }
        bool wellFormed = length > 0 && m_end - m_pos >= length && byte(1) >= low && byte(1) <= high;
        for (std::ptrdiff_t k = 2; wellFormed && k < length; ++k)
            wellFormed = (byte(k) & 0xc0) == 0x80;
        if (!wellFormed)
            return fail(u"ill-formed UTF-8"_s);
        out.append(m_pos, static_cast<std::size_t>(length));
        m_pos += length;
        return true;
    }

    bool hex4(char32_t &value)
    {
        if (m_end - m_pos < 4)
            return fail(u"invalid \\uXXXX escape"_s);
        value = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = m_pos[k];
            const int digit = isDigit(c) ? c - '0'
                : c >= 'a' && c <= 'f'   ? c - 'a' + 10
                : c >= 'A' && c <= 'F'   ? c - 'A' + 10
                                         : -1;
            if (digit < 0)
                return fail(u"invalid \\uXXXX escape"_s);
            value = value << 4 | static_cast<char32_t>(digit);
        }
        m_pos += 4;
        return true;
    }

    bool escape(std::string &out)
    {
        const char *start = m_pos;
        ++m_pos;   // the backslash
        if (m_pos == m_end)
            return fail(u"unterminated string"_s);
        switch (*m_pos++) {
        case '"': out += '"'; return true;
        case '\\': out += '\\'; return true;
        case '/': out += '/'; return true;
        case 'b': out += '\b'; return true;
        case 'f': out += '\f'; return true;
        case 'n': out += '\n'; return true;
        case 'r': out += '\r'; return true;
        case 't': out += '\t'; return true;
        case 'u': break;
        default: return failAt(start, u"invalid escape"_s);
        }
        char32_t cp = 0;
        if (!hex4(cp))
            return false;
        if (cp >= 0xd800 && cp <= 0xdbff && m_end - m_pos >= 6 && m_pos[0] == '\\' && m_pos[1] == 'u') {
            const char *second = m_pos;
            m_pos += 2;
            char32_t low = 0;
            if (!hex4(low))
                return false;
            if (low >= 0xdc00 && low <= 0xdfff)
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            else
                m_pos = second;   // a lone high surrogate; the next escape stands alone
        }
        appendUtf8(out, cp);
        return true;
    }

    bool digits()
    {
        const char *start = m_pos;
        while (m_pos != m_end && isDigit(*m_pos))
            ++m_pos;
        return m_pos != start;
    }

    bool number(Json &out)
    {
        const char *start = m_pos;
        const bool negative = at('-');
        if (negative)
            ++m_pos;
        if (at('0'))
            ++m_pos;
        else if (!digits())
            return fail(u"expected a digit"_s);
        bool isFloat = false;
        if (at('.')) {
            ++m_pos;
            isFloat = true;
            if (!digits())
                return fail(u"expected a digit after the decimal point"_s);
        }
        if (at('e') || at('E')) {
            ++m_pos;
            isFloat = true;
            if (at('+') || at('-'))
                ++m_pos;
            if (!digits())
                return fail(u"expected a digit in the exponent"_s);
        }
        const std::string_view lexeme(start, static_cast<std::size_t>(m_pos - start));
        if (isFloat)
            return floating(start, lexeme, negative, out);
        return integer(start, lexeme, negative, out);
    }

    // As nlohmann's own parser: an unsigned integer when not negative.
    bool integer(const char *start, std::string_view lexeme, bool negative, Json &out)
    {
        const char *first = lexeme.data();
        const char *last = first + lexeme.size();
        if (negative) {
            std::int64_t value = 0;
            if (std::from_chars(first, last, value).ec == std::errc()) {
                out = value;
                return true;
            }
        } else {
            std::uint64_t value = 0;
            if (std::from_chars(first, last, value).ec == std::errc()) {
                out = value;
                return true;
            }
        }
        const std::size_t digitCount = lexeme.size() - (negative ? 1 : 0);
        if (digitCount > CanonicalJson::MaxIntegerDigits)
            return failAt(start, u"integer of %1 digits (Python reads at most %2)"_s
                                     .arg(digitCount).arg(CanonicalJson::MaxIntegerDigits));
        out = Json::binary(Json::binary_t::container_type(lexeme.begin(), lexeme.end()),
                           CanonicalJson::BigIntegerSubtype);
        return true;
    }

    bool floating(const char *start, std::string_view lexeme, bool negative, Json &out)
    {
        double value = 0;
        const auto result = std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), value);
        if (result.ec == std::errc::result_out_of_range) {
            if (overflows(lexeme))
                return failAt(start, u"number overflow: %1 is beyond a double"_s.arg(
                                         QLatin1StringView(lexeme.data(), static_cast<qsizetype>(lexeme.size()))));
            value = negative ? -0.0 : 0.0;
        } else if (result.ec != std::errc() || result.ptr != lexeme.data() + lexeme.size()) {
            return failAt(start, u"invalid number"_s);
        }
        out = value;
        return true;
    }

    const char *m_begin;
    const char *m_pos;
    const char *m_end;
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

// Decodes one UTF-8 sequence at text[i], surrogates included (strings from the parser
// may hold lone ones); returns U+FFFD for an ill-formed one.
char32_t decodeUtf8(const std::string &text, std::size_t &i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    int extra = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((lead & 0xe0) == 0xc0) {
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
    if (cp < min || cp > 0x10ffff)
        return 0xfffd;
    return cp;
}

template<typename Integer>
void appendInteger(std::string &out, Integer value)
{
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}
}

namespace CanonicalJson
{
Result<Json> parse(const QByteArray &text)
{
    Parser parser(text.cbegin(), text.cend());
    std::optional<Json> json = parser.document();
    if (!json)
        return Error{parser.error()};
    return std::move(*json);
}

bool isBigInteger(const Json &value)
{
    return value.is_binary() && value.get_binary().has_subtype()
        && value.get_binary().subtype() == BigIntegerSubtype;
}

bool isNumber(const Json &value)
{
    return value.is_number() || isBigInteger(value);
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
        std::size_t run = i;
        while (run < utf8.size() && isPlain(utf8[run]) && utf8[run] != '\x7f')
            ++run;
        out.append(utf8, i, run - i);
        i = run;
        if (i == utf8.size())
            break;
        const unsigned char c = static_cast<unsigned char>(utf8[i]);
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
            appendHex4(out, cp);   // a lone surrogate too, as Python writes it
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
        appendInteger(out, value.get<std::int64_t>());
        break;
    case Json::value_t::number_unsigned:
        appendInteger(out, value.get<std::uint64_t>());
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
        // std::map: sorted by UTF-8 bytes, which is code point order (surrogates too)
        for (const auto &[key, item] : value.get_ref<const Json::object_t &>()) {
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
        if (isBigInteger(value)) {
            const auto &digits = value.get_binary();
            out.append(digits.begin(), digits.end());
        } else {
            out += "null";
        }
        break;
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
