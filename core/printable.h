#pragma once

#include <QString>
#include <QStringView>

// Text from a client made safe to print to a log or a terminal: nothing in it can end a
// line, move the cursor, recolour the screen or reorder what follows.
namespace Printable
{
// Escapes backslash, C0 controls and DEL, C1 controls (U+0080..U+009F, such as the
// one-character CSI U+009B), the bidi controls (U+061C, U+200E, U+200F, U+202A..U+202E,
// U+2066..U+2069), every other invisible format character (Unicode category Cf: soft
// hyphen, zero-width spaces and joiners, U+FEFF, the tag characters U+E0000..), the
// Hangul fillers, the line and paragraph separators and lone surrogates, as \n, \r, \t,
// a doubled backslash, \xNN below U+0100, \uNNNN above and \UNNNNNNNN beyond U+FFFF.
// Everything else is kept, so the escaping is reversible and plain text reads as it was.
QString escaped(QStringView text);
}
