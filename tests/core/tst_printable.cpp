#include <QTest>

#include "core/printable.h"

using namespace Qt::StringLiterals;

class TestPrintable final : public QObject
{
    Q_OBJECT

private slots:
    void escaped_data();
    void escaped();
};

void TestPrintable::escaped_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << u"/last_block alice"_s << u"/last_block alice"_s;
    QTest::newRow("newline forges a line")
        << u"/x\n12:00:00.000 blockforge.server info: Forged block 99"_s
        << u"/x\\n12:00:00.000 blockforge.server info: Forged block 99"_s;
    QTest::newRow("CR and tab") << u"a\rb\tc"_s << u"a\\rb\\tc"_s;
    QTest::newRow("ESC sequence") << u"\x1b[31mred\x1b[0m"_s << u"\\x1b[31mred\\x1b[0m"_s;
    QTest::newRow("NUL and DEL") << QString(u"a\0b\x7f"_s) << u"a\\x00b\\x7f"_s;
    QTest::newRow("C1 CSI") << u"\u009b31m"_s << u"\\x9b31m"_s;
    QTest::newRow("C1 range ends") << u"\u0080\u009f\u00a0"_s << u"\\x80\\x9f\u00a0"_s;
    QTest::newRow("bidi override") << u"abc\u202etxt.exe"_s << u"abc\\u202etxt.exe"_s;
    QTest::newRow("bidi marks and isolates")
        << u"\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069"_s
        << u"\\u061c\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069"_s;
    QTest::newRow("invisible format characters")
        << u"a\u00adb\u200bc\u200dd\u2060e\ufefff\u3164g"_s
        << u"a\\u00adb\\u200bc\\u200dd\\u2060e\\ufefff\\u3164g"_s;
    QTest::newRow("tag characters") << u"flag\U000E0067\U000E007F"_s
                                    << u"flag\\U000e0067\\U000e007f"_s;
    QTest::newRow("line separators") << u"a\u2028b\u2029c"_s << u"a\\u2028b\\u2029c"_s;
    QTest::newRow("backslash stays unambiguous") << u"\\n is not \n"_s << u"\\\\n is not \\n"_s;
    QTest::newRow("letters and emoji kept") << u"h\u00e9llo \U0001f680 \u4e16"_s
                                            << u"h\u00e9llo \U0001f680 \u4e16"_s;
    QTest::newRow("lone surrogates") << QString(QChar(0xd800)) + u"x"_s + QChar(0xdc00)
                                     << u"\\ud800x\\udc00"_s;
}

void TestPrintable::escaped()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(Printable::escaped(text), expected);
}

QTEST_APPLESS_MAIN(TestPrintable)
#include "tst_printable.moc"
