#include "core/printable.h"

namespace
{
bool isBidiOrSeparator(char16_t c)
{
    return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069);
}

// Shows nothing, or nothing a reader can tell from a space: format characters and the
// Hangul fillers.
bool isInvisible(char32_t c)
{
    return QChar::category(c) == QChar::Other_Format || c == 0x115f || c == 0x1160
        || c == 0x3164 || c == 0xffa0;
}

void appendHex(QString &out, char32_t c, int digits)
{
    static constexpr char Hex[] = "0123456789abcdef";
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
        out += QLatin1Char(Hex[(c >> shift) & 0xf]);
}
}

namespace Printable
{
QString escaped(QStringView text)
{
    QString out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        const bool pairedHigh = QChar::isHighSurrogate(c) && i + 1 < text.size()
            && QChar::isLowSurrogate(text[i + 1].unicode());
        if (pairedHigh) {
            const char32_t code = QChar::surrogateToUcs4(c, text[i + 1].unicode());
            if (isInvisible(code)) {
                out += u"\\U";
                appendHex(out, code, 8);
            } else {
                out += text.sliced(i, 2);
            }
            ++i;
        } else if (c == '\\') {
            out += u"\\\\";
        } else if (c == '\n') {
            out += u"\\n";
        } else if (c == '\r') {
            out += u"\\r";
        } else if (c == '\t') {
            out += u"\\t";
        } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            out += u"\\x";
            appendHex(out, c, 2);
        } else if (isBidiOrSeparator(c) || QChar::isSurrogate(c) || isInvisible(c)) {
            out += u"\\u";
            appendHex(out, c, 4);
        } else {
            out += QChar(c);
        }
    }
    return out;
}
}
