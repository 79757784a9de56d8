#include <QProcess>
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
    QString error;
    const std::optional<Block> block = Block::fromWire(wire, &error);
    QVERIFY2(block, qPrintable(error));
    QCOMPARE(block->blockString(), blockString);
    QCOMPARE(block->hash(), blockHash);
    // Writing the block back and reading it again changes nothing.
    const std::optional<Block> again = Block::fromWire(block->toWire());
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
}

void TestCanonicalJson::scalars()
{
    QFETCH(QByteArray, literal);
    QFETCH(QByteArray, dumped);
    QString error;
    const auto json = CanonicalJson::parse(literal, &error);
    QVERIFY2(json, qPrintable(error));
    QCOMPARE(CanonicalJson::dump(*json), dumped);
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
    QTest::newRow("integer over 64 bits") << "[18446744073709551616]"_ba << u"64 bits"_s;
    QTest::newRow("negative over 64 bits") << "[-9223372036854775809]"_ba << u"64 bits"_s;
    QTest::newRow("ill-formed UTF-8") << "[\"\xff\xfe\"]"_ba << u"invalid JSON"_s;
    QTest::newRow("truncated") << "{\"index\": "_ba << u"invalid JSON"_s;
    QTest::newRow("trailing bytes") << "{} x"_ba << u"invalid JSON"_s;
    QTest::newRow("empty") << QByteArray() << u"invalid JSON"_s;
    QTest::newRow("lone surrogate") << "[\"\\ud800\"]"_ba << u"invalid JSON"_s;
    QTest::newRow("too deep") << QByteArray(10000, '[') << u"deeper"_s;
}

void TestCanonicalJson::rejects()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    QString error;
    QVERIFY(!CanonicalJson::parse(text, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
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
    QString error;
    QVERIFY(!Block::fromWire(wire, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestCanonicalJson::matchesPython()
{
    // Differential check against Python itself: random values (any double from its bits,
    // timestamps, values around the fixed/exponent switch, 64-bit integers, escapes,
    // nesting), written unsorted, must come out exactly as json.dumps(sort_keys=True).
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_PYTHON), {QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/canonical_cases.py"),
                           u"3000"_s, u"20261125"_s});
    QVERIFY2(process.waitForStarted(60000), qPrintable(process.errorString()));
    QVERIFY2(process.waitForFinished(60000), qPrintable(process.errorString()));
    QCOMPARE(process.exitCode(), 0);
    const QList<QByteArray> lines = process.readAllStandardOutput().split('\n');
    int checked = 0;
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        const auto pair = CanonicalJson::parse(line);
        QVERIFY(pair && pair->is_array() && pair->size() == 2);
        const QByteArray wire = QByteArray::fromStdString((*pair)[0].get<std::string>());
        const QByteArray expected = QByteArray::fromStdString((*pair)[1].get<std::string>());
        QString error;
        const auto json = CanonicalJson::parse(wire, &error);
        QVERIFY2(json, qPrintable(error + u": "_s + QString::fromUtf8(wire)));
        QCOMPARE(CanonicalJson::dump(*json), expected);
        ++checked;
    }
    QCOMPARE(checked, 3000);
}

QTEST_GUILESS_MAIN(TestCanonicalJson)
#include "tst_canonicaljson.moc"
