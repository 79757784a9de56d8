#include <QTest>

#include "core/minerprotocol.h"

using namespace Qt::StringLiterals;
using MinerProtocol::ReplyKind;

namespace
{
const QByteArray Genesis = "{\"index\": 1, \"timestamp\": 1.0, \"transactions\": [],"
                           " \"proof\": 100, \"previous_hash\": 1}";
}

// What the miner makes of a server's answers: pure functions, no sockets.
class TestMinerProtocol final : public QObject
{
    Q_OBJECT

private slots:
    void classifiesMineAnswers_data();
    void classifiesMineAnswers();
    void parseWorkNamesTheProblem_data();
    void parseWorkNamesTheProblem();
    void parseWorkKeepsTheTip();
    void snippetIsOneBoundedLine_data();
    void snippetIsOneBoundedLine();
    void mineRequestIsCanonical();
    void longPollOffer_data();
    void longPollOffer();
};

void TestMinerProtocol::classifiesMineAnswers_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<ReplyKind>("kind");
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("reward");
    const QByteArray forged = "{\"message\": \"New Block Forged\", \"reward\": ";
    QTest::newRow("forged") << 200 << R"({"message": "New Block Forged"})"_ba << ReplyKind::Accepted
                            << u"HTTP 200: New Block Forged"_s << 1LL;
    QTest::newRow("forged reward 3")
        << 200 << R"({"message": "New Block Forged", "index": 2, "reward": 3})"_ba
        << ReplyKind::Accepted << u"HTTP 200: New Block Forged"_s << 3LL;
    QTest::newRow("huge reward")
        << 200 << forged + "9223372036854775807}" << ReplyKind::Accepted
        << u"HTTP 200: New Block Forged"_s << qint64(MinerProtocol::MaxReward);
    QTest::newRow("negative reward") << 200 << forged + "-5}" << ReplyKind::Accepted
                                     << u"HTTP 200: New Block Forged"_s << 0LL;
    QTest::newRow("float reward") << 200 << forged + "2.0}" << ReplyKind::Accepted
                                  << u"HTTP 200: New Block Forged"_s << 2LL;
    QTest::newRow("stale 409")
        << 409 << R"({"message": "Stale proof: block 2 was already forged", "stale": true})"_ba
        << ReplyKind::Stale << u"HTTP 409: Stale proof: block 2 was already forged"_s << 0LL;
    QTest::newRow("stale flag on 200") << 200 << R"({"message": "Too late", "stale": true})"_ba
                                       << ReplyKind::Stale << u"HTTP 200: Too late"_s << 0LL;
    QTest::newRow("classic 200 failure")
        << 200 << R"({"message": "Proof was invalid or already submitted"})"_ba
        << ReplyKind::Rejected << u"HTTP 200: Proof was invalid or already submitted"_s << 0LL;
    QTest::newRow("invalid 400") << 400 << R"({"message": "Invalid proof"})"_ba
                                 << ReplyKind::Rejected << u"HTTP 400: Invalid proof"_s << 0LL;
    QTest::newRow("json 500") << 500 << R"({"message": "database is locked"})"_ba
                              << ReplyKind::Error << u"HTTP 500: database is locked"_s << 0LL;
    QTest::newRow("plain 200") << 200 << "OK\n\x01"_ba << ReplyKind::Error << u"HTTP 200, answer is not JSON: OK"_s
                               << 0LL;
    QTest::newRow("no message") << 200 << R"({"result": "ok"})"_ba << ReplyKind::Error
                                << u"HTTP 200, answer has no \"message\": {\"result\": \"ok\"}"_s << 0LL;
    QTest::newRow("html 500") << 500 << "<h1>oops</h1>"_ba << ReplyKind::Error
                              << u"HTTP 500, answer is not JSON: <h1>oops</h1>"_s << 0LL;
    // Found by fuzz_minerresponse: a blank message once gave an empty line.
    QTest::newRow("blank message") << 200 << "{\"message\":\" \"}"_ba << ReplyKind::Rejected
                                   << u"HTTP 200: (blank)"_s << 0LL;
    QTest::newRow("control characters") << 500 << "\x01\x02\n"_ba << ReplyKind::Error
                                        << u"HTTP 500, answer is not JSON: (blank)"_s << 0LL;
}

void TestMinerProtocol::classifiesMineAnswers()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(ReplyKind, kind);
    QFETCH(QString, text);
    QFETCH(qint64, reward);
    const MinerProtocol::MineAnswer answer = MinerProtocol::parseMine(status, body);
    QCOMPARE(answer.kind, kind);
    QCOMPARE(answer.status, status);
    QCOMPARE(answer.text(), text);
    QCOMPARE(answer.reward, reward);
    QCOMPARE(answer.fromServer, body.startsWith("{\"message\""));
}

void TestMinerProtocol::parseWorkNamesTheProblem_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("expected");
    QTest::newRow("html 500") << 500 << "<html>Traceback</html>"_ba
                              << u"HTTP 500: <html>Traceback</html>"_s;
    QTest::newRow("garbage 200") << 200 << "\xff\xfe garbage"_ba
                                 << u"HTTP 200, answer is not JSON"_s;
    QTest::newRow("no last_block") << 200 << "{\"chain\": []}"_ba
                                   << u"HTTP 200, answer has no \"last_block\": {\"chain\": []}"_s;
    QTest::newRow("bad block") << 200 << "{\"last_block\": [1]}"_ba
                               << u"HTTP 200, \"last_block\" is not a valid block"_s;
    QTest::newRow("bad difficulty") << 200
                                    << "{\"last_block\": " + Genesis + ", \"difficulty\": 99}"
                                    << u"\"difficulty\" is not an integer from 0 to 64"_s;
    QTest::newRow("string difficulty")
        << 200 << "{\"last_block\": " + Genesis + ", \"difficulty\": \"many\"}"
        << u"\"difficulty\" is not an integer"_s;
    QTest::newRow("404") << 404 << R"({"message": "no such route"})"_ba
                         << u"HTTP 404: {\"message\": \"no such route\"}"_s;
}

void TestMinerProtocol::parseWorkNamesTheProblem()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, expected);
    const Result<MinerProtocol::Tip> tip = MinerProtocol::parseWork(status, body);
    QVERIFY(!tip);
    QVERIFY2(tip.errorMessage().contains(expected), qPrintable(tip.errorMessage()));
}

void TestMinerProtocol::parseWorkKeepsTheTip()
{
    const Result<MinerProtocol::Tip> tip = MinerProtocol::parseWork(
        200, "{\"last_block\": " + Genesis + ", \"difficulty\": 3}");
    QVERIFY2(tip, qPrintable(tip.errorMessage()));
    QCOMPARE(tip->difficulty, 3);
    QCOMPARE(tip->lastBlock.index(), 1);
    QCOMPARE(tip->lastBlock.proof(), 100u);
    // No difficulty: the classic 6.
    const Result<MinerProtocol::Tip> classic =
        MinerProtocol::parseWork(200, "{\"last_block\": " + Genesis + "}");
    QVERIFY(classic);
    QCOMPARE(classic->difficulty, 6);
}

void TestMinerProtocol::snippetIsOneBoundedLine_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << QByteArray() << u"(empty body)"_s;
    QTest::newRow("blank") << "\r\n\t "_ba << u"(blank)"_s;
    QTest::newRow("lines") << "a\r\nb\tc"_ba << u"a b c"_s;
    QTest::newRow("long") << QByteArray(1000, 'x') << QString(200, u'x') + u" ..."_s;
}

void TestMinerProtocol::snippetIsOneBoundedLine()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, expected);
    QCOMPARE(MinerProtocol::snippet(body), expected);
}

void TestMinerProtocol::mineRequestIsCanonical()
{
    QCOMPARE(MinerProtocol::mineRequest(8675309, u"alice"_s),
             R"({"id": "alice", "proof": 8675309})"_ba);
    QCOMPARE(MinerProtocol::mineRequest(9'223'372'036'854'775'807ULL, u"\u00e9"_s),
             R"({"id": "\u00e9", "proof": 9223372036854775807})"_ba);
}

void TestMinerProtocol::longPollOffer_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("ms");   // -1: no offer
    QTest::newRow("30 s") << "30"_ba << 30'000;
    QTest::newRow("fraction") << "0.4"_ba << 400;
    QTest::newRow("spaces") << " 2.5 "_ba << 2500;
    QTest::newRow("tiny") << "0.0001"_ba << 1;
    QTest::newRow("longest") << "600"_ba << 600'000;
    QTest::newRow("missing") << QByteArray() << -1;
    QTest::newRow("zero") << "0"_ba << -1;
    QTest::newRow("negative") << "-5"_ba << -1;
    QTest::newRow("too long") << "601"_ba << -1;
    QTest::newRow("huge") << "1e300"_ba << -1;
    QTest::newRow("nan") << "nan"_ba << -1;
    QTest::newRow("inf") << "inf"_ba << -1;
    QTest::newRow("words") << "thirty"_ba << -1;
}

void TestMinerProtocol::longPollOffer()
{
    QFETCH(QByteArray, header);
    QFETCH(int, ms);
    const std::optional<int> offer = MinerProtocol::longPollMs(header);
    QCOMPARE(offer.value_or(-1), ms);
    QCOMPARE(MinerProtocol::longPollPath("ab12"), u"last_block?wait=ab12"_s);
}

QTEST_APPLESS_MAIN(TestMinerProtocol)
#include "tst_minerprotocol.moc"
