#include <cmath>

#include <QProcess>
#include <QRegularExpression>
#include <QTest>

#include "core/block.h"
#include "core/canonicaljson.h"
#include "testvectors.h"

using namespace Qt::StringLiterals;

class TestCanonicalJson final : public QObject
{
    Q_OBJECT

private slots:
    void blockString_data();
    void blockString();
    void scalars_data();
    void scalars();
    void kindSurvives();
    void bigIntegersInBlocks();
    void extraKeysKept();
    void rejects_data();
    void rejects();
    void blockShape_data();
    void blockShape();
    void matchesPython();
};

void TestCanonicalJson::blockString_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<QByteArray>("blockString");
    QTest::addColumn<QByteArray>("blockHash");
    const QJsonArray vectors = TestVectors::vectors();
    QVERIFY(vectors.size() >= 4);
    for (qsizetype i = 0; i < vectors.size(); ++i) {
        const QJsonObject v = vectors.at(i).toObject();
        QTest::addRow("vector %lld", static_cast<long long>(i))
            << v.value(u"wire"_s).toString().toUtf8()
            << v.value(u"block_string"_s).toString().toUtf8()
            << v.value(u"block_hash"_s).toString().toUtf8();
    }
}

void TestCanonicalJson::blockString()
{
    QFETCH(QByteArray, wire);
    QFETCH(QByteArray, blockString);
    QFETCH(QByteArray, blockHash);
    const Result<Block> block = Block::fromWire(wire);
    QVERIFY2(block, qPrintable(block.errorMessage()));
    QCOMPARE(block->blockString(), blockString);
    QCOMPARE(block->hash(), blockHash);
    // Writing the block back and reading it again changes nothing.
    const Result<Block> again = Block::fromWire(block->toWire());
    QVERIFY(again);
    QCOMPARE(again->blockString(), blockString);
}

void TestCanonicalJson::scalars_data()
{
    QTest::addColumn<QByteArray>("literal");
    QTest::addColumn<QByteArray>("dumped");
    const QJsonArray scalars = TestVectors::load().value(u"scalars"_s).toArray();
    QVERIFY(scalars.size() >= 20);
    for (const QJsonValue &pair : scalars) {
        const QByteArray literal = pair.toArray().at(0).toString().toUtf8();
        QTest::newRow(literal.constData()) << literal << pair.toArray().at(1).toString().toUtf8();
    }

    // Values Python's json reads and writes back unchanged that nlohmann's own parser
    // refuses or changes: integers of any size, lone surrogates, floats that underflow.
    // Expected texts made with json.dumps(json.loads(literal), sort_keys=True).
    const auto same = [](const char *name, const QByteArray &literal) {
        QTest::newRow(name) << literal << literal;
    };
    same("10**20", "100000000000000000000"_ba);
    same("-10**30", "-1000000000000000000000000000000"_ba);
    same("2**64 and -2**63-1", "[18446744073709551616, -9223372036854775809]"_ba);
    same("4300 digits", QByteArray(4300, '9'));
    same("lone high surrogate", "\"\\ud800\""_ba);
    same("lone low surrogate", "\"\\udfff\""_ba);
    same("lone, pair, lone", "\"\\ud800\\ud800\\udc00\\udc00 \\udbff\""_ba);
    same("low then high", "\"\\udc00\\ud800\""_ba);
    QTest::newRow("high then not low") << "\"\\udbff\\u0041\""_ba << "\"\\udbffA\""_ba;
    QTest::newRow("raw surrogate bytes") << "\"\xed\xa0\x80\""_ba << "\"\\ud800\""_ba;
    QTest::newRow("raw surrogate pair bytes") << "\"\xed\xa0\x80\xed\xb0\x80\""_ba
                                              << "\"\\ud800\\udc00\""_ba;
    QTest::newRow("surrogate keys sort by code point")
        << "{\"\\udc00\": 1, \"\\ud800\": 2, \"\\ue000\": 3, \"\\ud83d\\ude80\": 4}"_ba
        << "{\"\\ud800\": 2, \"\\udc00\": 1, \"\\ue000\": 3, \"\\ud83d\\ude80\": 4}"_ba;
    QTest::newRow("repeated key, last wins") << "{\"a\": 1, \"a\": 10000000000000000000000}"_ba
                                             << "{\"a\": 10000000000000000000000}"_ba;
    QTest::newRow("underflow") << "[1e-400, -1e-400, 2.4703282292062327e-324]"_ba
                               << "[0.0, -0.0, 0.0]"_ba;
    QTest::newRow("smallest subnormal") << "2.4703282292062328e-324"_ba << "5e-324"_ba;
    QTest::newRow("minus zero integer") << "-0"_ba << "0"_ba;
    QTest::newRow("byte order mark") << "\xef\xbb\xbf[1]"_ba << "[1]"_ba;
}

void TestCanonicalJson::scalars()
{
    QFETCH(QByteArray, literal);
    QFETCH(QByteArray, dumped);
    const auto json = CanonicalJson::parse(literal);
    QVERIFY2(json, qPrintable(json.errorMessage()));
    QCOMPARE(CanonicalJson::dump(*json), dumped);
    const auto again = CanonicalJson::parse(dumped);   // a fixed point
    QVERIFY2(again, qPrintable(again.errorMessage()));
    QCOMPARE(CanonicalJson::dump(*again), dumped);
}

void TestCanonicalJson::kindSurvives()
{
    QCOMPARE(CanonicalJson::dump(*CanonicalJson::parse("[1732435200.0, 1732435200, -0.0, 0]")),
             "[1732435200.0, 1732435200, -0.0, 0]"_ba);
    QCOMPARE(CanonicalJson::dump(*CanonicalJson::parse("18446744073709551615")),
             "18446744073709551615"_ba);
    QCOMPARE(CanonicalJson::dump(*CanonicalJson::parse("{\"b\": {\"z\": 1, \"a\": [true, null]}, \"a\": \"\"}")),
             "{\"a\": \"\", \"b\": {\"a\": [true, null], \"z\": 1}}"_ba);
    QCOMPARE(CanonicalJson::dump(*CanonicalJson::parse("{\"\\u00e9\": 1, \"z\": 2, \"\\ud83d\\ude80\": 3}")),
             "{\"z\": 2, \"\\u00e9\": 1, \"\\ud83d\\ude80\": 3}"_ba);
    QCOMPARE(CanonicalJson::dump(*CanonicalJson::parse("{}")), "{}"_ba);
    QCOMPARE(CanonicalJson::dump(*CanonicalJson::parse(" [ ] ")), "[]"_ba);
    // Raw UTF-8 on the wire is escaped the same way as \u escapes.
    QCOMPARE(CanonicalJson::dump(*CanonicalJson::parse("\"caf\xc3\xa9 \xf0\x9f\x9a\x80\"")),
             "\"caf\\u00e9 \\ud83d\\ude80\""_ba);
}


// Generic values carry integers of any size; the numbers the protocol computes with
// (index, proof) stay 64-bit and refuse them with a clear message.
void TestCanonicalJson::bigIntegersInBlocks()
{
    const QByteArray wire = "{\"index\": 2, \"timestamp\": 100000000000000000000, \"transactions\":"
                            " [{\"amount\": -100000000000000000000, \"recipient\": \"\\ud800\","
                            " \"sender\": \"a\"}], \"proof\": 5,"
                            " \"previous_hash\": 340282366920938463463374607431768211456}"_ba;
    const Result<Block> block = Block::fromWire(wire);
    QVERIFY2(block, qPrintable(block.errorMessage()));
    QCOMPARE(block->blockString(),
             "{\"index\": 2, \"previous_hash\": 340282366920938463463374607431768211456,"
             " \"proof\": 5, \"timestamp\": 100000000000000000000, \"transactions\":"
             " [{\"amount\": -100000000000000000000, \"recipient\": \"\\ud800\","
             " \"sender\": \"a\"}]}"_ba);
    QCOMPARE(block->timestamp(), 1e20);
    QCOMPARE(block->previousHash(), u"340282366920938463463374607431768211456"_s);
    const CanonicalJson::Json &amount = block->transactions()[0]["amount"];
    QVERIFY(CanonicalJson::isBigInteger(amount));
    QVERIFY(CanonicalJson::isNumber(amount));
    QVERIFY(!amount.is_number());
    QVERIFY(!CanonicalJson::isBigInteger(block->value["proof"]));
    QVERIFY(!CanonicalJson::isNumber(block->transactions()[0]["recipient"]));

    {
        const Result<Block> wrong = Block::fromWire("{\"index\": 18446744073709551616, \"timestamp\": 1, \"transactions\": [],"
                             " \"proof\": 1, \"previous_hash\": 1}"_ba);
        QVERIFY(!wrong);
        QVERIFY2(wrong.errorMessage().contains(u"\"index\""_s),
                 qPrintable(wrong.errorMessage()));
    }
    {
        const Result<Block> wrong = Block::fromWire("{\"index\": 9223372036854775808, \"timestamp\": 1, \"transactions\": [],"
                             " \"proof\": 1, \"previous_hash\": 1}"_ba);
        QVERIFY(!wrong);
        QVERIFY2(wrong.errorMessage().contains(u"\"index\""_s),
                 qPrintable(wrong.errorMessage()));
    }
    {
        const Result<Block> wrong = Block::fromWire("{\"index\": 1, \"timestamp\": 1, \"transactions\": [],"
                             " \"proof\": 100000000000000000000, \"previous_hash\": 1}"_ba);
        QVERIFY(!wrong);
        QVERIFY2(wrong.errorMessage().contains(u"\"proof\""_s),
                 qPrintable(wrong.errorMessage()));
    }
    // A timestamp beyond a double's range reads as an infinity, never a crash.
    const auto huge = Block::fromWire("{\"index\": 1, \"timestamp\": -" + QByteArray(400, '9')
                                      + ", \"transactions\": [], \"proof\": 1, \"previous_hash\": 1}");
    QVERIFY(huge);
    QCOMPARE(huge->timestamp(), -HUGE_VAL);
}

void TestCanonicalJson::extraKeysKept()
{
    const auto block = Block::fromWire(
        "{\"index\": 1, \"timestamp\": 1.5, \"transactions\": [], \"proof\": 100,"
        " \"previous_hash\": 1, \"difficulty\": 6, \"note\": {\"x\": 1.0}}");
    QVERIFY(block);
    QCOMPARE(block->blockString(),
             "{\"difficulty\": 6, \"index\": 1, \"note\": {\"x\": 1.0}, \"previous_hash\": 1,"
             " \"proof\": 100, \"timestamp\": 1.5, \"transactions\": []}"_ba);
}

void TestCanonicalJson::rejects_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");   // a part of the error message
    QTest::newRow("NaN") << "{\"a\": NaN}"_ba << u"invalid JSON"_s;
    QTest::newRow("Infinity") << "[Infinity]"_ba << u"invalid JSON"_s;
    QTest::newRow("overflowing float") << "[1e400]"_ba << u"overflow"_s;
    QTest::newRow("integer of 4301 digits") << "-" + QByteArray(4301, '7') << u"4300"_s;
    QTest::newRow("ill-formed UTF-8") << "[\"\xff\xfe\"]"_ba << u"UTF-8"_s;
    QTest::newRow("overlong UTF-8") << "\"\xe0\x80\x80\""_ba << u"UTF-8"_s;
    QTest::newRow("beyond U+10FFFF") << "\"\xf4\x90\x80\x80\""_ba << u"UTF-8"_s;
    QTest::newRow("cut surrogate bytes") << "\"\xed\xa0\""_ba << u"UTF-8"_s;
    QTest::newRow("lone continuation byte") << "\"\x80\""_ba << u"UTF-8"_s;
    QTest::newRow("raw control character") << "\"\x01\""_ba << u"control character"_s;
    QTest::newRow("unknown escape") << "\"\\x\""_ba << u"invalid escape"_s;
    QTest::newRow("bad \\u escape") << "\"\\u12G4\""_ba << u"\\uXXXX"_s;
    QTest::newRow("surrogate, bad escape") << "\"\\ud800\\u12G4\""_ba << u"\\uXXXX"_s;
    QTest::newRow("surrogate, cut escape") << "\"\\ud800\\u\""_ba << u"\\uXXXX"_s;
    QTest::newRow("minus alone") << "-"_ba << u"invalid JSON"_s;
    QTest::newRow("leading zero") << "01"_ba << u"invalid JSON"_s;
    QTest::newRow("no fraction digit") << "1."_ba << u"invalid JSON"_s;
    QTest::newRow("no exponent digit") << "1e"_ba << u"invalid JSON"_s;
    QTest::newRow("trailing comma") << "[1,]"_ba << u"invalid JSON"_s;
    QTest::newRow("no colon") << "{\"a\" 1}"_ba << u"invalid JSON"_s;
    QTest::newRow("byte order mark only") << "\xef\xbb\xbf"_ba << u"invalid JSON"_s;
    QTest::newRow("truncated") << "{\"index\": "_ba << u"invalid JSON"_s;
    QTest::newRow("trailing bytes") << "{} x"_ba << u"invalid JSON"_s;
    QTest::newRow("empty") << QByteArray() << u"invalid JSON"_s;
    QTest::newRow("too deep") << QByteArray(10000, '[') << u"deeper"_s;
}

void TestCanonicalJson::rejects()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    const auto json = CanonicalJson::parse(text);
    QVERIFY(!json);
    QVERIFY2(json.errorMessage().contains(expected), qPrintable(json.errorMessage()));
}

void TestCanonicalJson::blockShape_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<QString>("expected");
    QTest::newRow("array") << "[1, 2]"_ba << u"JSON object"_s;
    QTest::newRow("string") << "\"block\""_ba << u"JSON object"_s;
    QTest::newRow("no proof") << "{\"index\": 1, \"timestamp\": 1.0, \"transactions\": [],"
                                 " \"previous_hash\": 1}"_ba << u"\"proof\""_s;
    QTest::newRow("float proof") << "{\"index\": 1, \"timestamp\": 1.0, \"transactions\": [],"
                                    " \"proof\": 1.0, \"previous_hash\": 1}"_ba << u"\"proof\""_s;
    QTest::newRow("negative proof") << "{\"index\": 1, \"timestamp\": 1.0, \"transactions\": [],"
                                       " \"proof\": -1, \"previous_hash\": 1}"_ba << u"\"proof\""_s;
    QTest::newRow("index 0") << "{\"index\": 0, \"timestamp\": 1.0, \"transactions\": [],"
                                " \"proof\": 1, \"previous_hash\": 1}"_ba << u"\"index\""_s;
    QTest::newRow("transactions object") << "{\"index\": 1, \"timestamp\": 1.0, \"transactions\": {},"
                                            " \"proof\": 1, \"previous_hash\": 1}"_ba
                                         << u"\"transactions\""_s;
    QTest::newRow("null previous") << "{\"index\": 1, \"timestamp\": 1.0, \"transactions\": [],"
                                      " \"proof\": 1, \"previous_hash\": null}"_ba
                                   << u"\"previous_hash\""_s;
    QTest::newRow("string timestamp") << "{\"index\": 1, \"timestamp\": \"now\", \"transactions\": [],"
                                         " \"proof\": 1, \"previous_hash\": 1}"_ba
                                      << u"\"timestamp\""_s;
}

void TestCanonicalJson::blockShape()
{
    QFETCH(QByteArray, wire);
    QFETCH(QString, expected);
    const Result<Block> block = Block::fromWire(wire);
    QVERIFY(!block);
    QVERIFY2(block.errorMessage().contains(expected), qPrintable(block.errorMessage()));
}

void TestCanonicalJson::matchesPython()
{
    // Differential check against Python itself: random values (any double from its bits,
    // timestamps, values around the fixed/exponent switch, integers of 64 bits and far
    // beyond, escapes, lone surrogates, nesting), written unsorted as bytes, must come out
    // exactly as json.dumps(json.loads(bytes), sort_keys=True).
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_PYTHON),
                  {QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/canonical_cases.py"),
                   u"3000"_s, u"20261125"_s});
    QVERIFY2(process.waitForStarted(60000), qPrintable(process.errorString()));
    QVERIFY2(process.waitForFinished(60000), qPrintable(process.errorString()));
    QCOMPARE(process.exitCode(), 0);
    const QList<QByteArray> lines = process.readAllStandardOutput().split('\n');
    const QRegularExpression bigInteger(u"[0-9]{20}"_s);
    const QRegularExpression surrogate(u"\\\\ud[89a-f]"_s);
    int checked = 0;
    int bigIntegers = 0;
    int surrogates = 0;
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        const auto pair = CanonicalJson::parse(line);
        QVERIFY(pair && pair->is_array() && pair->size() == 2);
        const QByteArray wire = QByteArray::fromHex(QByteArray::fromStdString((*pair)[0].get<std::string>()));
        const QByteArray expected = QByteArray::fromStdString((*pair)[1].get<std::string>());
        const auto json = CanonicalJson::parse(wire);
        QVERIFY2(json, qPrintable(json.errorMessage() + u": "_s + QString::fromUtf8(wire)));
        QCOMPARE(CanonicalJson::dump(*json), expected);
        ++checked;
        bigIntegers += QString::fromLatin1(expected).contains(bigInteger);
        surrogates += QString::fromLatin1(expected).contains(surrogate);
    }
    QCOMPARE(checked, 3000);
    // The cases still cover what nlohmann's own parser refuses.
    QVERIFY2(bigIntegers >= 300, qPrintable(QString::number(bigIntegers)));
    QVERIFY2(surrogates >= 300, qPrintable(QString::number(surrogates)));
}

QTEST_GUILESS_MAIN(TestCanonicalJson)
#include "tst_canonicaljson.moc"
