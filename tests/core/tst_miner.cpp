#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include "core/block.h"
#include "core/canonicaljson.h"
#include "core/chain.h"
#include "core/miner.h"
#include "core/pow.h"
#include "scriptedserver.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;
using MinerProtocol::ReplyKind;

namespace
{
constexpr int WaitMs = 20000;
constexpr int Unfindable = 30;

// Generous timeouts (nothing here may time out by accident on a loaded machine),
// quick polls and back-offs.
Miner::Config fastConfig(const QUrl &url, const QString &id)
{
    Miner::Config config;
    config.serverUrl = url;
    config.id = id;
    config.threads = 2;
    config.pollIntervalMs = 50;
    config.requestTimeoutMs = 10000;
    config.firstBackoffMs = 20;
    config.maxBackoffMs = 100;
    return config;
}

QStringList messages(const QSignalSpy &spy)
{
    QStringList list;
    for (const QList<QVariant> &args : spy)
        list << args.at(0).toString();
    return list;
}

// Whether messages holds, in this order (others may come in between), one message
// containing each of parts.
bool inOrder(const QStringList &messages, const QStringList &parts)
{
    qsizetype next = 0;
    for (const QString &message : messages) {
        if (next < parts.size() && message.contains(parts[next]))
            ++next;
    }
    if (next == parts.size())
        return true;
    qWarning("missing \"%s\" in:\n%s", qPrintable(parts[next]),
             qPrintable(messages.join(u'\n')));
    return false;
}

// A block 2 on top of a genesis block of that timestamp, forged at difficulty 2.
Block secondBlock(double timestamp)
{
    Chain chain(2, timestamp);
    chain.append(chain.forge(*Pow::search(chain.lastBlockString(), 2, 0, 1'000'000), u"erin"_s, 1));
    return chain.lastBlock();
}
}

class TestMiner final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void startRefusesBadConfig_data();
    void startRefusesBadConfig();
    void minesOneBlockAndSendsTrimmedId();
    void difficultyDefaultsToSix();
    void toleratesMisbehavingServer();
    void silentServerTimesOutAndRecovers();
    void reportsEveryAnswer_data();
    void reportsEveryAnswer();
    void connectionRefusedBacksOff();
    void failedPollKeepsSearching();
    void tipChangeDropsWork();
    void offeredTipRestartsAtOnce();
    void stopMidSearch();
    void stopLetsSubmissionFinish();
    void stopGivesUpOnSubmissionAfterGrace();
    void switchServerMovesTheLoop();
    void winsBlockOnClassicPythonServer();
    void claimsTheTipNeverShowsAreNotPaidAgain();
    void lostRaceAnsweredAsFailureIsStale_data();
    void lostRaceAnsweredAsFailureIsStale();
    void failureWithoutTipMoveBacksOff();
    void largestIndexIsNeverOverflowed();
    void pushThatDoesNotWaitIsLeftAlone();
    void pushBringsAnotherBlockAtOnce();
};

namespace
{
// A block 2 on top of genesis (the miner does not check links: the server's word).
Block secondBlock()
{
    const Result<Block> block = Block::fromWire(
        R"({"index": 2, "previous_hash": "abc", "proof": 7, "timestamp": 1732435300.5,)"
        R"( "transactions": []})");
    return *block;
}
}

void TestMiner::initTestCase()
{
    qRegisterMetaType<MinerProtocol::MineAnswer>();
}

void TestMiner::startRefusesBadConfig_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("expected");
    QTest::newRow("blank id") << QString() << u" \n"_s << u"No miner id"_s;
    QTest::newRow("ftp") << u"ftp://127.0.0.1/"_s << u"ann"_s
                         << u"is not an http:// or https:// URL"_s;
    QTest::newRow("no url") << u"-"_s << u"ann"_s << u"no URL given"_s;
}

void TestMiner::startRefusesBadConfig()
{
    QFETCH(QString, url);
    QFETCH(QString, id);
    QFETCH(QString, expected);
    ScriptedServer server;
    QVERIFY(server.start());
    Miner::Config config = fastConfig(server.url(), id);
    if (url == u"-"_s)
        config.serverUrl = QUrl();
    else if (!url.isEmpty())
        config.serverUrl = QUrl(url);
    Miner miner;
    QSignalSpy started(&miner, &Miner::started);
    const Result<void> result = miner.start(config);
    QVERIFY(!result);
    QVERIFY2(result.errorMessage().contains(expected), qPrintable(result.errorMessage()));
    QVERIFY(!miner.isRunning());
    QCOMPARE(started.size(), 0);
    QTest::qWait(200);
    QCOMPARE(server.requests.size(), 0);   // nothing was sent
}

void TestMiner::minesOneBlockAndSendsTrimmedId()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435200.0);   // a float that looks integral
    server.defaults["/last_block"] = lastBlockAnswer(genesis, 3);
    server.defaults["/mine"] = jsonAnswer(200, R"({"message": "New Block Forged", "reward": 1})");

    Miner miner;
    QSignalSpy searchStarted(&miner, &Miner::searchStarted);
    QSignalSpy found(&miner, &Miner::proofFound);
    QSignalSpy answered(&miner, &Miner::answered);
    QVERIFY(miner.start(fastConfig(server.url(), u"  alice \r\n"_s)));
    QCOMPARE(miner.config().id, u"alice"_s);
    QVERIFY(answered.wait(WaitMs));
    miner.stop();

    QCOMPARE(searchStarted[0][0].toLongLong(), 2);   // mining block 2 on top of genesis
    QCOMPARE(searchStarted[0][1].value<Block>(), genesis);
    QCOMPARE(searchStarted[0][2].toInt(), 3);
    QCOMPARE(found[0][0].toLongLong(), 2);
    QCOMPARE(answered[0][0].toLongLong(), 2);
    const auto answer = answered[0][1].value<MinerProtocol::MineAnswer>();
    QCOMPARE(answer.kind, ReplyKind::Accepted);
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.message, u"New Block Forged"_s);
    QCOMPARE(answer.reward, 1);
    QCOMPARE(answered[0][2].toInt(), 0);   // no back-off after a win

    // The POST carries the found proof, valid against the exact block string sent,
    // and the trimmed id.
    const auto mine = std::find_if(server.requests.cbegin(), server.requests.cend(),
                                   [](const auto &r) { return r.path == "/mine"; });
    QVERIFY(mine != server.requests.cend());
    QCOMPARE(mine->method, "POST"_ba);
    const Result<Json> body = CanonicalJson::parse(mine->body);
    QVERIFY(body && body->is_object());
    QVERIFY((*body)["proof"].is_number_integer());
    QCOMPARE((*body)["id"].get<std::string>(), std::string("alice"));
    const quint64 proof = (*body)["proof"].get<std::uint64_t>();
    QCOMPARE(found[0][1].toULongLong(), proof);
    QVERIFY(genesis.blockString().contains("1732435200.0"));
    QVERIFY(Pow::validProof(genesis.blockString(), proof, 3));
}

void TestMiner::difficultyDefaultsToSix()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435207.0);
    server.defaults["/last_block"] = jsonAnswer(200, "{\"last_block\": " + genesis.toWire() + "}");
    Miner miner;
    QSignalSpy started(&miner, &Miner::searchStarted);
    QVERIFY(miner.start(fastConfig(server.url(), u"kim"_s)));
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(started[0][2].toInt(), Pow::DefaultDifficulty);
    QCOMPARE(miner.difficulty(), 6);
    miner.stop();
}

void TestMiner::toleratesMisbehavingServer()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435201.5);
    QQueue<CannedAnswer> &work = server.queued["/last_block"];
    CannedAnswer html = jsonAnswer(500, "<html><body><h1>Internal Server Error</h1></body></html>");
    html.contentType = "text/html";
    CannedAnswer plain = jsonAnswer(200, "Hello, I am not JSON");
    plain.contentType = "text/plain";
    work << html << plain << jsonAnswer(200, R"({"block": {"index": 1}})")
         << jsonAnswer(200, R"({"last_block": {"index": "one"}, "difficulty": 2})")
         << jsonAnswer(200, "{\"last_block\": " + genesis.toWire() + ", \"difficulty\": \"many\"}")
         << jsonAnswer(404, R"({"message": "no such route"})");
    server.defaults["/last_block"] = lastBlockAnswer(genesis, 2);
    CannedAnswer traceback = jsonAnswer(500, "<html>Traceback (most recent call last)</html>");
    traceback.contentType = "text/html";
    server.queued["/mine"] << traceback;
    server.defaults["/mine"] = jsonAnswer(200, R"({"message": "New Block Forged", "reward": 5})");

    Miner miner;
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QSignalSpy answered(&miner, &Miner::answered);
    QVERIFY(miner.start(fastConfig(server.url(), u"bob"_s)));
    // Waits for the win after all of that, whatever came in between. (This server's tip
    // never moves: its later claims for the same block are not counted, see
    // claimsTheTipNeverShowsAreNotPaidAgain.)
    const auto win = [&answered] {
        return std::find_if(answered.cbegin(), answered.cend(), [](const QList<QVariant> &args) {
            return args[1].value<MinerProtocol::MineAnswer>().kind == ReplyKind::Accepted;
        });
    };
    QTRY_VERIFY_WITH_TIMEOUT(win() != answered.cend(), WaitMs);
    QVERIFY(miner.isRunning());
    miner.stop();

    QVERIFY(inOrder(messages(problems),
                    {u"GET /last_block: HTTP 500: <html><body><h1>Internal Server Error"_s,
                     u"HTTP 200, answer is not JSON"_s, u"no \"last_block\""_s,
                     u"\"last_block\" is not a valid block"_s,
                     u"\"difficulty\" is not an integer"_s,
                     u"HTTP 404: {\"message\": \"no such route\"}"_s}));
    QVERIFY(inOrder(messages(problems), {u"Hello, I am not JSON"_s}));
    for (const QString &message : messages(problems))
        QVERIFY2(message.contains(u"; retrying in "_s), qPrintable(message));
    // The /mine failure is an answer (with its back-off), then the win.
    const auto failure = answered.first()[1].value<MinerProtocol::MineAnswer>();
    QCOMPARE(failure.kind, ReplyKind::Error);
    QCOMPARE(failure.text(), u"HTTP 500, answer is not JSON: <html>Traceback (most recent call last)</html>"_s);
    QVERIFY(answered.first()[2].toInt() > 0);
    QCOMPARE((*win())[1].value<MinerProtocol::MineAnswer>().reward, 5);
}

void TestMiner::silentServerTimesOutAndRecovers()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435211.0);
    CannedAnswer stall;
    stall.stall = true;
    server.queued["/last_block"] << stall;
    server.defaults["/last_block"] = lastBlockAnswer(genesis, Unfindable);
    Miner::Config config = fastConfig(server.url(), u"sam"_s);
    config.requestTimeoutMs = 300;
    Miner miner;
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QSignalSpy started(&miner, &Miner::searchStarted);
    QVERIFY(miner.start(config));
    QVERIFY(started.wait(WaitMs));
    QVERIFY(inOrder(messages(problems),
                    {u"GET /last_block: no answer (timed out); retrying in"_s}));
    QCOMPARE(miner.state(), Miner::State::Searching);
    miner.stop();
}

void TestMiner::reportsEveryAnswer_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<ReplyKind>("kind");
    QTest::addColumn<bool>("backsOff");
    QTest::newRow("forged") << 200 << R"({"message": "New Block Forged"})"_ba
                            << ReplyKind::Accepted << false;
    QTest::newRow("stale 409") << 409 << R"({"message": "Stale proof", "stale": true})"_ba
                               << ReplyKind::Stale << false;
    QTest::newRow("invalid 400") << 400 << R"({"message": "Invalid proof"})"_ba
                                 << ReplyKind::Rejected << true;
    QTest::newRow("json 500") << 500 << R"({"message": "database is locked"})"_ba
                              << ReplyKind::Error << true;
    QTest::newRow("plain 200") << 200 << "OK"_ba << ReplyKind::Error << true;
}

void TestMiner::reportsEveryAnswer()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(ReplyKind, kind);
    QFETCH(bool, backsOff);

    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435202.25), 2);
    server.defaults["/mine"] = jsonAnswer(status, body);
    Miner miner;
    QSignalSpy answered(&miner, &Miner::answered);
    QVERIFY(miner.start(fastConfig(server.url(), u"carol"_s)));
    QVERIFY(answered.wait(WaitMs));
    const auto answer = answered[0][1].value<MinerProtocol::MineAnswer>();
    QCOMPARE(answer.kind, kind);
    QCOMPARE(answer.status, status);
    QCOMPARE(answered[0][2].toInt() > 0, backsOff);
    if (backsOff) {
        QCOMPARE(miner.state(), Miner::State::WaitingToRetry);
        QCOMPARE(miner.problem(), answer.text());
    }
    // Whatever the answer, the miner goes on to the next round.
    const qsizetype asked = server.count("/last_block");
    QTRY_VERIFY_WITH_TIMEOUT(server.count("/last_block") > asked, WaitMs);
    QVERIFY(miner.isRunning());
    miner.stop();
}

void TestMiner::connectionRefusedBacksOff()
{
    const quint16 port = closedPort();
    Miner miner;
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QVERIFY(miner.start(fastConfig(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), u"dave"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(problems.size() >= 5, WaitMs);
    QVERIFY(miner.isRunning());
    const QStringList got = messages(problems);
    // 20 ms, doubling, capped at 100 ms.
    const QStringList delays = {u"0.02 s"_s, u"0.04 s"_s, u"0.08 s"_s, u"0.1 s"_s, u"0.1 s"_s};
    for (int i = 0; i < 5; ++i) {
        QVERIFY2(got[i].startsWith(u"GET /last_block: "_s), qPrintable(got[i]));
        QVERIFY2(got[i].contains(u"refused"_s, Qt::CaseInsensitive), qPrintable(got[i]));
        QVERIFY2(got[i].endsWith(u"; retrying in "_s + delays[i]), qPrintable(got[i]));
    }
    QCOMPARE(miner.state(), Miner::State::WaitingToRetry);
    QVERIFY(miner.isServerUnreachable());
    miner.stop();
    QCOMPARE(miner.state(), Miner::State::Stopped);
}

void TestMiner::failedPollKeepsSearching()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const quint16 port = server.serverPort();
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435212.0), Unfindable);
    Miner miner;
    QSignalSpy started(&miner, &Miner::searchStarted);
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QSignalSpy recovered(&miner, &Miner::recovered);
    QVERIFY(miner.start(fastConfig(server.url(), u"pat"_s)));
    QVERIFY(started.wait(WaitMs));
    const quint64 generation = miner.search().generation();

    server.close();   // the server goes away: polls are refused
    QTRY_VERIFY_WITH_TIMEOUT(!problems.isEmpty(), WaitMs);
    QVERIFY2(problems[0][0].toString().contains(u"still searching, asking again in"_s),
             qPrintable(problems[0][0].toString()));
    QCOMPARE(miner.state(), Miner::State::Searching);
    QVERIFY(miner.isServerUnreachable());
    QVERIFY(!miner.problem().isEmpty());
    // The same search goes on: same generation, attempts still growing, clock running.
    QCOMPARE(miner.search().generation(), generation);
    QVERIFY(miner.search().isRunning());
    const quint64 attempts = miner.search().searchAttempts();
    QTRY_VERIFY_WITH_TIMEOUT(miner.search().searchAttempts() > attempts, WaitMs);

    // Back again: the next poll clears the problem, and the work is still the same.
    QCOMPARE(recovered.size(), 0);
    QVERIFY(server.listen(QHostAddress::LocalHost, port));
    QVERIFY(recovered.wait(WaitMs));
    QVERIFY(miner.problem().isEmpty());
    QVERIFY(!miner.isServerUnreachable());
    QCOMPARE(miner.search().generation(), generation);
    QCOMPARE(started.size(), 1);
    miner.stop();
}

void TestMiner::tipChangeDropsWork()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block first = Chain::genesis(1732435203.0);
    const Block second = secondBlock(1732435204.0);
    server.defaults["/last_block"] = lastBlockAnswer(first, Unfindable);

    Miner miner;
    QSignalSpy started(&miner, &Miner::searchStarted);
    QSignalSpy abandoned(&miner, &Miner::searchAbandoned);
    QVERIFY(miner.start(fastConfig(server.url(), u"frank"_s)));
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(started[0][0].toLongLong(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(server.count("/last_block") >= 3, WaitMs);   // polling
    QCOMPARE(abandoned.size(), 0);   // the same tip is no reason to drop the work

    server.defaults["/last_block"] = lastBlockAnswer(second, Unfindable);
    QVERIFY(abandoned.wait(WaitMs));
    QCOMPARE(abandoned[0][0].toLongLong(), 2);
    QCOMPARE(abandoned[0][1].toLongLong(), 2);   // the new tip's index
    QCOMPARE(started.size(), 2);
    QCOMPARE(started[1][0].toLongLong(), 3);
    QCOMPARE(started[1][1].value<Block>(), second);
    QCOMPARE(miner.blockIndex(), 3);
    QCOMPARE(miner.state(), Miner::State::Searching);
    QCOMPARE(server.count("/mine"), 0);
    miner.stop();
}

void TestMiner::offeredTipRestartsAtOnce()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block first = Chain::genesis(1732435213.0);
    server.defaults["/last_block"] = lastBlockAnswer(first, Unfindable);
    Miner::Config config = fastConfig(server.url(), u"ola"_s);
    config.pollIntervalMs = 60'000;   // only the offer can move it
    Miner miner;
    QSignalSpy started(&miner, &Miner::searchStarted);
    QSignalSpy abandoned(&miner, &Miner::searchAbandoned);
    QVERIFY(miner.start(config));
    QVERIFY(started.wait(WaitMs));
    const quint64 generation = miner.search().generation();

    miner.offerTip({first, Unfindable});   // the work it has: nothing happens
    QCOMPARE(abandoned.size(), 0);
    QCOMPARE(miner.search().generation(), generation);

    const Block second = secondBlock(1732435214.0);
    miner.offerTip({second, Unfindable});
    // Done by the time the call returns: no poll, no wait for a worker.
    QCOMPARE(abandoned.size(), 1);
    QCOMPARE(started.size(), 2);
    QCOMPARE(started[1][1].value<Block>(), second);
    QCOMPARE(miner.search().generation(), generation + 1);
    QCOMPARE(miner.blockIndex(), 3);
    miner.stop();
    miner.offerTip({first, Unfindable});   // ignored once stopped
    QCOMPARE(started.size(), 2);
}

void TestMiner::stopMidSearch()
{
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435205.0), Unfindable);
    Miner miner;
    QSignalSpy started(&miner, &Miner::searchStarted);
    QSignalSpy stopped(&miner, &Miner::stopped);
    QVERIFY(miner.start(fastConfig(server.url(), u"gina"_s)));
    QVERIFY(started.wait(WaitMs));
    QTRY_VERIFY_WITH_TIMEOUT(miner.search().attempts() > 0, WaitMs);

    miner.stop();
    QCOMPARE(stopped.size(), 1);   // at once: nothing was awaited
    QVERIFY(!miner.isRunning());
    QCOMPARE(miner.state(), Miner::State::Stopped);
    QVERIFY(!miner.search().isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(miner.search().busyWorkers(), 0, WaitMs);
    const quint64 attempts = miner.search().attempts();
    QTest::qWait(100);   // a poll sent just before stop() may still be arriving
    const qsizetype requests = server.requests.size();
    QTest::qWait(300);   // no more polls, no more hashing
    QCOMPARE(server.requests.size(), requests);
    QCOMPARE(miner.search().attempts(), attempts);
    miner.stop();   // idempotent
    QCOMPARE(stopped.size(), 1);

    // And it starts again, on the same worker threads.
    const int workers = miner.search().workerCount();
    QVERIFY(miner.start(fastConfig(server.url(), u"gina"_s)));
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(miner.search().workerCount(), workers);
    miner.stop();
}

void TestMiner::stopLetsSubmissionFinish()
{
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435215.0), 2);
    CannedAnswer slowWin = jsonAnswer(200, R"({"message": "New Block Forged", "reward": 1})");
    slowWin.delayMs = 1000;
    server.defaults["/mine"] = slowWin;
    Miner miner;
    QSignalSpy answered(&miner, &Miner::answered);
    QSignalSpy stopped(&miner, &Miner::stopped);
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    // Stop the moment the proof is on its way, as a user might.
    connect(&miner, &Miner::proofFound, &miner, [&miner] {
        QMetaObject::invokeMethod(&miner, [&miner] { miner.stop(); }, Qt::QueuedConnection);
    });
    QVERIFY(miner.start(fastConfig(server.url(), u"hana"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(!miner.isRunning(), WaitMs);
    QCOMPARE(miner.state(), Miner::State::Stopping);
    QCOMPARE(stopped.size(), 0);
    QCOMPARE(answered.size(), 0);

    QVERIFY(stopped.wait(WaitMs));
    QCOMPARE(answered.size(), 1);   // the forged block was reported, before stopped()
    QCOMPARE(answered[0][1].value<MinerProtocol::MineAnswer>().kind, ReplyKind::Accepted);
    QCOMPARE(answered[0][2].toInt(), 0);
    QCOMPARE(miner.state(), Miner::State::Stopped);
    QCOMPARE(problems.size(), 0);
    QCOMPARE(server.count("/mine"), 1);
    QTest::qWait(200);
    QCOMPARE(server.count("/mine"), 1);   // and nothing more was sent
}

void TestMiner::stopGivesUpOnSubmissionAfterGrace()
{
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435216.0), 2);
    CannedAnswer stall;
    stall.stall = true;
    server.defaults["/mine"] = stall;
    Miner::Config config = fastConfig(server.url(), u"ivo"_s);
    config.submitGraceMs = 300;
    Miner miner;
    QSignalSpy answered(&miner, &Miner::answered);
    QSignalSpy stopped(&miner, &Miner::stopped);
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QVERIFY(miner.start(config));
    QTRY_COMPARE_WITH_TIMEOUT(miner.state(), Miner::State::Submitting, WaitMs);
    miner.stop();
    QCOMPARE(miner.state(), Miner::State::Stopping);
    QVERIFY(stopped.wait(WaitMs));
    QCOMPARE(answered.size(), 0);
    QCOMPARE(problems.size(), 1);
    QVERIFY2(problems[0][0].toString().endsWith(u"still no answer 0.3 s later; not counted"_s),
             qPrintable(problems[0][0].toString()));
    QCOMPARE(miner.state(), Miner::State::Stopped);
}

void TestMiner::switchServerMovesTheLoop()
{
    ScriptedServer first;
    ScriptedServer second;
    QVERIFY(first.start());
    QVERIFY(second.start());
    first.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435217.0), Unfindable);
    const Block other = secondBlock(1732435218.0);
    second.defaults["/last_block"] = lastBlockAnswer(other, Unfindable);
    Miner miner;
    QSignalSpy started(&miner, &Miner::searchStarted);
    QVERIFY(miner.start(fastConfig(first.url(), u"jo"_s)));
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(started[0][0].toLongLong(), 2);

    miner.switchServer(second.url());
    QCOMPARE(miner.config().serverUrl, second.url());
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(started.last()[1].value<Block>(), other);
    QCOMPARE(miner.blockIndex(), 3);
    const qsizetype asked = first.requests.size();
    QTRY_VERIFY_WITH_TIMEOUT(second.count("/last_block") >= 3, WaitMs);   // polls go there
    QCOMPARE(first.requests.size(), asked);
    miner.stop();
}

void TestMiner::winsBlockOnClassicPythonServer()
{
    const QString python = QStandardPaths::findExecutable(u"python3"_s);
    QVERIFY2(!python.isEmpty(), "python3 is needed to run the classic Python server");
    QProcess server;
    server.setProgram(python);
    server.setArguments({QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/classic_server.py"),
                         u"3"_s, u"60"_s});
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start();
    QVERIFY2(server.waitForStarted(WaitMs), qPrintable(server.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), WaitMs);
    const int port = server.readLine().trimmed().toInt();
    QVERIFY(port > 0);
    const QUrl url(u"http://127.0.0.1:%1"_s.arg(port));

    Miner miner;
    QSignalSpy answered(&miner, &Miner::answered);
    QSignalSpy stopped(&miner, &Miner::stopped);
    QVERIFY(miner.start(fastConfig(url, u"ivy\n"_s)));
    QVERIFY(answered.wait(WaitMs));
    QCOMPARE(miner.updates(), Miner::Updates::Polling);   // a classic server offers no push
    miner.stop();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, WaitMs);   // a last answer is counted too
    int accepted = 0;
    for (const QList<QVariant> &args : answered) {
        const auto answer = args[1].value<MinerProtocol::MineAnswer>();
        QCOMPARE(answer.kind, ReplyKind::Accepted);
        QCOMPARE(answer.message, u"New Block Forged"_s);
        QCOMPARE(answer.reward, 1);   // no reward field: 1 each
        ++accepted;
    }

    // The Python server is the judge: its chain holds exactly our blocks, paid to our id.
    QNetworkAccessManager network;
    QNetworkReply *reply = network.get(QNetworkRequest(url.resolved(QUrl(u"/chain"_s))));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), WaitMs);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    const Result<Json> chain = CanonicalJson::parse(reply->readAll());
    reply->deleteLater();
    QVERIFY(chain && chain->is_object());
    const Json &blocks = (*chain)["chain"];
    QCOMPARE(static_cast<int>(blocks.size()), 1 + accepted);
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        const Result<Block> previous = Block::fromJson(blocks[i - 1]);
        const Result<Block> block = Block::fromJson(blocks[i]);
        QVERIFY(previous && block);
        QVERIFY(Pow::validProof(previous->blockString(), block->proof(), 3));
        QCOMPARE(block->previousHash(), QString::fromLatin1(previous->hash()));
        const Json &reward = block->transactions().back();
        QCOMPARE(reward["recipient"].get<std::string>(), std::string("ivy"));
    }
    server.terminate();
    QVERIFY(server.waitForFinished(WaitMs));
}

void TestMiner::claimsTheTipNeverShowsAreNotPaidAgain()
{
    // A server that says "New Block Forged" to every proof while its tip never moves.
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435401.0), 2);
    server.defaults["/mine"] = jsonAnswer(200, R"({"message": "New Block Forged", "reward": 1})");
    Miner miner;
    QSignalSpy answered(&miner, &Miner::answered);
    QVERIFY(miner.start(fastConfig(server.url(), u"eve"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(answered.size() >= 6, WaitMs);
    miner.stop();
    int accepted = 0;
    QList<int> delays;
    for (qsizetype i = 0; i < answered.size(); ++i) {
        const auto answer = answered[i][1].value<MinerProtocol::MineAnswer>();
        QCOMPARE(answered[i][0].toLongLong(), 2);
        if (answer.kind == ReplyKind::Accepted) {
            ++accepted;
            continue;
        }
        // Every later claim for the same block: not counted, and a back-off each time.
        QCOMPARE(answer.kind, ReplyKind::Rejected);
        QCOMPARE(answer.reward, 0);
        QVERIFY2(answer.text().contains(u"not counted"_s), qPrintable(answer.text()));
        QVERIFY(answered[i][2].toInt() > 0);
        delays << answered[i][2].toInt();
    }
    QCOMPARE(accepted, 1);
    // The back-off grows (20, 40, 80, 100 ms here): the good /last_block between two false
    // claims does not reset it.
    QVERIFY2(delays.last() > delays.first() && delays.last() == 100,
             qPrintable(QString::number(delays.last())));
    QCOMPARE(answered[0][1].value<MinerProtocol::MineAnswer>().kind, ReplyKind::Accepted);
}

void TestMiner::lostRaceAnsweredAsFailureIsStale_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("500") << 500 << "<html>Internal Server Error</html>"_ba;
    QTest::newRow("200 failure") << 200 << R"({"message": "Proof invalid or already submitted"})"_ba;
}

void TestMiner::lostRaceAnsweredAsFailureIsStale()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    ScriptedServer server;
    QVERIFY(server.start());
    // The miner works on genesis; by the time its proof arrives block 2 is forged.
    server.queued["/last_block"] << lastBlockAnswer(Chain::genesis(1732435402.0), 2);
    server.defaults["/last_block"] = lastBlockAnswer(secondBlock(), Unfindable);
    server.defaults["/mine"] = jsonAnswer(status, body);
    Miner miner;
    QSignalSpy answered(&miner, &Miner::answered);
    QSignalSpy started(&miner, &Miner::searchStarted);
    QVERIFY(miner.start(fastConfig(server.url(), u"fay"_s)));
    QVERIFY(answered.wait(WaitMs));
    const auto answer = answered[0][1].value<MinerProtocol::MineAnswer>();
    QCOMPARE(answer.kind, ReplyKind::Stale);
    QCOMPARE(answer.status, status);
    QVERIFY2(answer.text().contains(u"the last block is now 2: someone else was first"_s),
             qPrintable(answer.text()));
    QCOMPARE(answered[0][2].toInt(), 0);   // no back-off
    // It goes straight on to block 3.
    QTRY_VERIFY_WITH_TIMEOUT(started.size() >= 2, WaitMs);
    QCOMPARE(started.last()[0].toLongLong(), 3);
    QCOMPARE(miner.state(), Miner::State::Searching);
    QVERIFY(miner.problem().isEmpty());
    miner.stop();
}

void TestMiner::failureWithoutTipMoveBacksOff()
{
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435403.0), 2);
    server.defaults["/mine"] = jsonAnswer(502, "<html>Bad Gateway</html>");
    Miner miner;
    QSignalSpy answered(&miner, &Miner::answered);
    QVERIFY(miner.start(fastConfig(server.url(), u"gus"_s)));
    QVERIFY(answered.wait(WaitMs));
    const auto answer = answered[0][1].value<MinerProtocol::MineAnswer>();
    QCOMPARE(answer.kind, ReplyKind::Error);
    // Said once, in words: not "HTTP 502: HTTP 502: ...".
    QCOMPARE(answer.text(), u"HTTP 502, answer is not JSON: <html>Bad Gateway</html>"_s);
    QVERIFY(answered[0][2].toInt() > 0);
    QCOMPARE(miner.problem(), answer.text());
    miner.stop();
}

void TestMiner::largestIndexIsNeverOverflowed()
{
    const Result<Block> last = Block::fromWire(
        R"({"index": 9223372036854775807, "previous_hash": "abc", "proof": 7,)"
        R"( "timestamp": 1732435300.5, "transactions": []})");
    QVERIFY(last);
    QVERIFY(!last->nextIndex());
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(*last, 2);
    Miner miner;
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QSignalSpy started(&miner, &Miner::searchStarted);
    QSignalSpy recovered(&miner, &Miner::recovered);
    QVERIFY(miner.start(fastConfig(server.url(), u"hal"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(problems.size() >= 2, WaitMs);
    QVERIFY2(messages(problems).first().startsWith(
                 u"GET /last_block: the last block has index 9223372036854775807, the largest"
                 " there is: no block can follow it; retrying in"_s),
             qPrintable(messages(problems).first()));
    QCOMPARE(started.size(), 0);
    QCOMPARE(recovered.size(), 0);   // a tip with no successor is no recovery
    QVERIFY(messages(problems)[1].endsWith(u"retrying in 0.04 s"_s));   // growing
    QCOMPARE(server.count("/mine"), 0);
    QCOMPARE(miner.blockIndex(), 0);
    miner.stop();
}

void TestMiner::pushThatDoesNotWaitIsLeftAlone()
{
    // A server that announces the long poll but answers it at once with the same block
    // would make the miner ask in a tight loop: it polls instead, and tries push again
    // only after pushRetryMs.
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435600.0);
    CannedAnswer work = lastBlockAnswer(genesis, Unfindable);
    work.extraHeaders = "X-Blockforge-Wait: 30\r\n";
    server.defaults["/last_block"] = work;
    const QByteArray waitPath = "/last_block?wait=" + genesis.hash();
    server.defaults[waitPath] = work;
    Miner miner;
    QSignalSpy updates(&miner, &Miner::updatesChanged);
    Miner::Config config = fastConfig(server.url(), u"uma"_s);
    config.pushRetryMs = 60'000;
    QVERIFY(miner.start(config));
    QTRY_VERIFY_WITH_TIMEOUT(server.count("/last_block") >= 10, WaitMs);
    QCOMPARE(server.count(waitPath), 1);
    QCOMPARE(miner.updates(), Miner::Updates::Polling);
    QCOMPARE(updates.size(), 2);   // push, then polling
    QCOMPARE(updates.at(0).at(0).value<Miner::Updates>(), Miner::Updates::Push);
    QCOMPARE(miner.state(), Miner::State::Searching);
    miner.stop();
}

void TestMiner::pushBringsAnotherBlockAtOnce()
{
    // The long poll's answer is a new block: the search moves onto it, though the poll
    // interval is an hour.
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435700.0);
    CannedAnswer work = lastBlockAnswer(genesis, Unfindable);
    work.extraHeaders = "X-Blockforge-Wait: 30\r\n";
    server.defaults["/last_block"] = work;
    const Block second = secondBlock(1732435700.0);
    CannedAnswer pushed = lastBlockAnswer(second, Unfindable);
    pushed.extraHeaders = work.extraHeaders;
    pushed.delayMs = 300;   // held a while, as a server holds it until a block comes
    server.defaults["/last_block?wait=" + genesis.hash()] = pushed;
    CannedAnswer held = pushed;
    held.stall = true;
    server.defaults["/last_block?wait=" + second.hash()] = held;
    Miner miner;
    QSignalSpy abandoned(&miner, &Miner::searchAbandoned);
    Miner::Config config = fastConfig(server.url(), u"vic"_s);
    config.pollIntervalMs = 3'600'000;
    QVERIFY(miner.start(config));
    QTRY_COMPARE_WITH_TIMEOUT(abandoned.size(), 1, WaitMs);
    QCOMPARE(abandoned.front().at(0).toLongLong(), 2);
    QCOMPARE(abandoned.front().at(1).toLongLong(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(miner.blockIndex(), 3, WaitMs);
    QCOMPARE(miner.updates(), Miner::Updates::Push);
    QTRY_COMPARE_WITH_TIMEOUT(server.count("/last_block?wait=" + second.hash()), 1, WaitMs);
    QCOMPARE(server.count("/last_block"), 1);   // the fetch; no poll
    miner.stop();
}

QTEST_GUILESS_MAIN(TestMiner)
#include "tst_miner.moc"
