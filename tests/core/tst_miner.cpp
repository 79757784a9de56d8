#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QQueue>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "core/block.h"
#include "core/canonicaljson.h"
#include "core/chain.h"
#include "core/miner.h"
#include "core/pow.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr int WaitMs = 20000;
constexpr int Unfindable = 30;
constexpr qint64 StopBoundMs = 2000;   // a hang check, not a speed test

// One canned HTTP answer; stall = accept the request and never answer.
struct Answer
{
    int status = 200;
    QByteArray body;
    QByteArray contentType = "application/json";
    bool stall = false;
};

Answer json(int status, const QByteArray &body)
{
    return {status, body, "application/json", false};
}

Answer lastBlockAnswer(const Block &block, int difficulty)
{
    return json(200, "{\"last_block\": " + block.toWire() + ", \"difficulty\": "
                         + QByteArray::number(difficulty) + "}");
}

// A tiny HTTP/1.1 server that answers each path from a queue of canned answers, then
// with that path's default answer. It records every request. Connection: close.
class ScriptedServer final : public QTcpServer
{
public:
    struct Request
    {
        QByteArray method;
        QByteArray path;
        QByteArray body;
    };

    ScriptedServer()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    QUrl url() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(serverPort())); }

    QHash<QByteArray, QQueue<Answer>> queued;
    QHash<QByteArray, Answer> defaults;
    QList<Request> requests;

    qsizetype count(const QByteArray &path) const
    {
        return std::count_if(requests.cbegin(), requests.cend(),
                             [&path](const Request &r) { return r.path == path; });
    }

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        const QByteArray head = buffer.left(headerEnd);
        qsizetype length = 0;
        for (const QByteArray &line : head.split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + length)
            return;
        const QList<QByteArray> first = head.left(head.indexOf("\r\n")).split(' ');
        Request request {first.value(0), first.value(1), buffer.mid(headerEnd + 4, length)};
        m_buffers.remove(socket);
        requests << request;
        QQueue<Answer> &queue = queued[request.path];
        const Answer answer = queue.isEmpty() ? defaults.value(request.path, json(404, "{}"))
                                              : queue.dequeue();
        if (answer.stall)
            return;   // keep the connection open and say nothing
        QByteArray reply = "HTTP/1.1 " + QByteArray::number(answer.status) + " Canned\r\n"
            "Content-Type: " + answer.contentType + "\r\n"
            "Content-Length: " + QByteArray::number(answer.body.size()) + "\r\n"
            "Connection: close\r\n\r\n" + answer.body;
        socket->write(reply);
        socket->disconnectFromHost();
    }

    QHash<QTcpSocket *, QByteArray> m_buffers;
};

Block genesisAt(double timestamp)
{
    return Chain::genesis(timestamp);
}

QString writeId(const QTemporaryDir &dir, const QByteArray &content)
{
    const QString path = dir.filePath(u"my_id.txt"_s);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    file.write(content);
    return path;
}

Miner::Config fastConfig(const QUrl &url, const QString &idFile)
{
    Miner::Config config;
    config.serverUrl = url;
    config.idFile = idFile;
    config.threads = 2;
    config.priority = ProofSearch::Priority::Low;
    config.pollIntervalMs = 50;
    config.requestTimeoutMs = 300;
    config.firstBackoffMs = 20;
    config.maxBackoffMs = 100;
    config.hashRateIntervalMs = 100;
    return config;
}

QStringList messages(const QSignalSpy &spy)
{
    QStringList list;
    for (const QList<QVariant> &args : spy)
        list << args.at(0).toString();
    return list;
}
}

class TestMiner final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void idFileErrors_data();
    void idFileErrors();
    void minesOneBlockAndSendsTrimmedId();
    void difficultyDefaultsToSix();
    void toleratesMisbehavingServer();
    void classifiesMineAnswers_data();
    void classifiesMineAnswers();
    void connectionRefusedKeepsTrying();
    void tipChangeDropsWork();
    void stopMidSearchIsPrompt();
    void reportsHashRate();
    void winsBlockOnClassicPythonServer();

private:
    QTemporaryDir m_dir;
};

void TestMiner::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestMiner::idFileErrors_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing") << u"missing"_s << u"does not exist"_s;
    QTest::newRow("empty") << u"empty"_s << u"is empty"_s;
    QTest::newRow("blank") << u"blank"_s << u"is empty"_s;
    QTest::newRow("directory") << u"directory"_s << u"Cannot read the miner id"_s;
}

void TestMiner::idFileErrors()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QString path = dir.filePath(u"my_id.txt"_s);
    if (kind == u"empty"_s)
        writeId(dir, "");
    else if (kind == u"blank"_s)
        writeId(dir, " \n\t \r\n");
    else if (kind == u"directory"_s)
        QVERIFY(QDir(dir.path()).mkdir(u"my_id.txt"_s));

    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    server.defaults["/last_block"] = lastBlockAnswer(genesisAt(1732435200.0), 2);
    Miner miner(fastConfig(server.url(), path));
    QSignalSpy errors(&miner, &Miner::errorOccurred);
    QSignalSpy started(&miner, &Miner::started);
    QString error;
    QVERIFY(!miner.start(&error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY(error.contains(path));
    QCOMPARE(messages(errors), QStringList{error});
    QVERIFY(!miner.isRunning());
    QCOMPARE(started.size(), 0);
    QTest::qWait(200);
    QCOMPARE(server.requests.size(), 0);   // nothing was sent
}

void TestMiner::minesOneBlockAndSendsTrimmedId()
{
    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const Block genesis = genesisAt(1732435200.0);   // a float that looks integral
    server.defaults["/last_block"] = lastBlockAnswer(genesis, 3);
    server.defaults["/mine"] = json(200, R"({"message": "New Block Forged", "reward": 1})");

    Miner miner(fastConfig(server.url(), writeId(m_dir, "  alice \r\n")));
    QSignalSpy searchStarted(&miner, &Miner::searchStarted);
    QSignalSpy found(&miner, &Miner::proofFound);
    QSignalSpy replied(&miner, &Miner::serverReplied);
    QSignalSpy coins(&miner, &Miner::coinsChanged);
    QSignalSpy counters(&miner, &Miner::countersChanged);
    QVERIFY(miner.start());
    QCOMPARE(miner.minerId(), u"alice"_s);
    QVERIFY(coins.wait(WaitMs));
    miner.stop();

    QCOMPARE(searchStarted[0][0].toLongLong(), 2);   // mining block 2 on top of genesis
    QCOMPARE(searchStarted[0][1].value<Block>(), genesis);
    QCOMPARE(searchStarted[0][2].toInt(), 3);
    QCOMPARE(replied[0][0].toInt(), 200);
    QCOMPARE(replied[0][1].toString(), u"New Block Forged"_s);
    QCOMPARE(replied[0][2].value<Miner::ReplyKind>(), Miner::ReplyKind::Accepted);
    QCOMPARE(coins[0][0].toLongLong(), 1);
    QCOMPARE(counters[0], (QList<QVariant>{1, 0, 0}));
    QCOMPARE(miner.acceptedCount(), 1);

    // The POST carries the found proof, valid against the exact block string sent,
    // and the trimmed id.
    const auto mine = std::find_if(server.requests.cbegin(), server.requests.cend(),
                                   [](const auto &r) { return r.path == "/mine"; });
    QVERIFY(mine != server.requests.cend());
    QCOMPARE(mine->method, "POST"_ba);
    const std::optional<Json> body = CanonicalJson::parse(mine->body);
    QVERIFY(body && body->is_object());
    QVERIFY((*body)["proof"].is_number_integer());
    QCOMPARE((*body)["id"].get<std::string>(), std::string("alice"));
    const quint64 proof = (*body)["proof"].get<std::uint64_t>();
    QCOMPARE(found[0][0].toULongLong(), proof);
    QVERIFY(genesis.blockString().contains("1732435200.0"));
    QVERIFY(Pow::validProof(genesis.blockString(), proof, 3));
}

void TestMiner::difficultyDefaultsToSix()
{
    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const Block genesis = genesisAt(1732435207.0);
    server.defaults["/last_block"] = json(200, "{\"last_block\": " + genesis.toWire() + "}");
    Miner miner(fastConfig(server.url(), writeId(m_dir, "kim")));
    QSignalSpy started(&miner, &Miner::searchStarted);
    QVERIFY(miner.start());
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(started[0][2].toInt(), Pow::DefaultDifficulty);
    QCOMPARE(miner.difficulty(), 6);
    miner.stop();
}

void TestMiner::toleratesMisbehavingServer()
{
    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const Block genesis = genesisAt(1732435201.5);
    QQueue<Answer> &work = server.queued["/last_block"];
    work << Answer {500, "<html><body><h1>Internal Server Error</h1></body></html>", "text/html"}
         << Answer {200, "Hello, I am not JSON", "text/plain"}
         << Answer {200, {}, {}, true}   // stalls: the miner must time out
         << json(200, R"({"block": {"index": 1}})")
         << json(200, R"({"last_block": {"index": "one"}, "difficulty": 2})")
         << json(200, "{\"last_block\": " + genesis.toWire() + ", \"difficulty\": \"many\"}")
         << json(404, R"({"message": "no such route"})");
    server.defaults["/last_block"] = lastBlockAnswer(genesis, 2);
    server.queued["/mine"] << Answer {500, "<html>Traceback (most recent call last)</html>",
                                      "text/html"};
    server.defaults["/mine"] = json(200, R"({"message": "New Block Forged", "reward": 5})");

    Miner miner(fastConfig(server.url(), writeId(m_dir, "bob")));
    QSignalSpy errors(&miner, &Miner::errorOccurred);
    QSignalSpy replied(&miner, &Miner::serverReplied);
    QSignalSpy coins(&miner, &Miner::coinsChanged);
    QVERIFY(miner.start());
    QVERIFY(coins.wait(WaitMs));
    QVERIFY(miner.isRunning());
    QCOMPARE(miner.coins(), 5);
    miner.stop();

    const QStringList got = messages(errors);
    QCOMPARE(got.size(), 8);
    auto expect = [&got](int i, const QString &part) {
        if (got.at(i).contains(part))
            return true;
        qWarning("error %d: %s", i, qPrintable(got.at(i)));
        return false;
    };
    QVERIFY(expect(0, u"GET /last_block: HTTP 500: <html><body><h1>Internal Server Error"_s));
    QVERIFY(expect(0, u"retrying in 0.02 s"_s));
    QVERIFY(expect(1, u"HTTP 200, answer is not JSON"_s));
    QVERIFY(expect(1, u"Hello, I am not JSON"_s));
    QVERIFY(expect(1, u"retrying in 0.04 s"_s));
    QVERIFY(expect(2, u"timed out"_s));
    QVERIFY(expect(2, u"retrying in 0.08 s"_s));
    QVERIFY(expect(3, u"no \"last_block\""_s));
    QVERIFY(expect(3, u"retrying in 0.1 s"_s));   // capped at maxBackoffMs
    QVERIFY(expect(4, u"\"last_block\" is not a valid block"_s));
    QVERIFY(expect(5, u"\"difficulty\" is not an integer"_s));
    QVERIFY(expect(6, u"HTTP 404: {\"message\": \"no such route\"}"_s));
    QVERIFY(expect(7, u"POST /mine: HTTP 500: <html>Traceback"_s));
    QCOMPARE(replied[0][0].toInt(), 500);
    QCOMPARE(replied[0][2].value<Miner::ReplyKind>(), Miner::ReplyKind::Error);
    QCOMPARE(replied.last()[2].value<Miner::ReplyKind>(), Miner::ReplyKind::Accepted);
}

void TestMiner::classifiesMineAnswers_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Miner::ReplyKind>("kind");
    QTest::addColumn<QString>("message");
    QTest::addColumn<qint64>("coins");
    using K = Miner::ReplyKind;
    QTest::newRow("forged") << 200 << R"({"message": "New Block Forged"})"_ba << K::Accepted
                            << u"New Block Forged"_s << qint64(1);
    QTest::newRow("forged reward 3")
        << 200 << R"({"message": "New Block Forged", "index": 2, "reward": 3})"_ba << K::Accepted
        << u"New Block Forged"_s << qint64(3);
    QTest::newRow("stale 409")
        << 409 << R"({"message": "Stale proof: block 2 was already forged", "stale": true})"_ba
        << K::Stale << u"Stale proof: block 2 was already forged"_s << qint64(0);
    QTest::newRow("classic 200 failure")
        << 200 << R"({"message": "Proof was invalid or already submitted"})"_ba << K::Rejected
        << u"Proof was invalid or already submitted"_s << qint64(0);
    QTest::newRow("invalid 400") << 400 << R"({"message": "Invalid proof"})"_ba << K::Rejected
                                 << u"Invalid proof"_s << qint64(0);
    QTest::newRow("json 500") << 500 << R"({"message": "database is locked"})"_ba << K::Error
                              << u"database is locked"_s << qint64(0);
    QTest::newRow("plain 200") << 200 << "OK\n\x01"_ba << K::Error << u"HTTP 200: OK"_s
                               << qint64(0);
    QTest::newRow("no message") << 200 << R"({"result": "ok"})"_ba << K::Error
                                << u"HTTP 200: {\"result\": \"ok\"}"_s << qint64(0);
}

void TestMiner::classifiesMineAnswers()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(Miner::ReplyKind, kind);
    QFETCH(QString, message);
    QFETCH(qint64, coins);

    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    server.defaults["/last_block"] = lastBlockAnswer(genesisAt(1732435202.25), 2);
    server.defaults["/mine"] = json(status, body);
    Miner miner(fastConfig(server.url(), writeId(m_dir, "carol")));
    QSignalSpy replied(&miner, &Miner::serverReplied);
    QVERIFY(miner.start());
    QVERIFY(replied.wait(WaitMs));
    QCOMPARE(replied[0][0].toInt(), status);
    QCOMPARE(replied[0][1].toString(), message);
    QCOMPARE(replied[0][2].value<Miner::ReplyKind>(), kind);
    QCOMPARE(miner.coins(), coins);
    QCOMPARE(miner.acceptedCount(), kind == Miner::ReplyKind::Accepted ? 1 : 0);
    QCOMPARE(miner.staleCount(), kind == Miner::ReplyKind::Stale ? 1 : 0);
    QCOMPARE(miner.rejectedCount(), kind == Miner::ReplyKind::Rejected ? 1 : 0);
    // Whatever the answer, the miner goes on to the next round.
    const qsizetype asked = server.count("/last_block");
    QTRY_VERIFY_WITH_TIMEOUT(server.count("/last_block") > asked, WaitMs);
    QVERIFY(miner.isRunning());
    miner.stop();
}

void TestMiner::connectionRefusedKeepsTrying()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }   // closed again: nothing listens there now
    Miner miner(fastConfig(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), writeId(m_dir, "dave")));
    QSignalSpy errors(&miner, &Miner::errorOccurred);
    QVERIFY(miner.start());
    QTRY_VERIFY_WITH_TIMEOUT(errors.size() >= 3, WaitMs);
    QVERIFY(miner.isRunning());
    QVERIFY2(errors[0][0].toString().contains(u"refused"_s, Qt::CaseInsensitive),
             qPrintable(errors[0][0].toString()));
    QCOMPARE(miner.state(), Miner::State::WaitingToRetry);
    miner.stop();
    QCOMPARE(miner.state(), Miner::State::Stopped);
}

void TestMiner::tipChangeDropsWork()
{
    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const Block first = genesisAt(1732435203.0);
    Chain chain(2, 1732435204.0);
    chain.append(chain.forge(*Pow::search(chain.lastBlockString(), 2, 0, 1'000'000), u"erin"_s, 1));
    const Block second = chain.lastBlock();
    server.defaults["/last_block"] = lastBlockAnswer(first, Unfindable);

    Miner miner(fastConfig(server.url(), writeId(m_dir, "frank")));
    QSignalSpy started(&miner, &Miner::searchStarted);
    QSignalSpy abandoned(&miner, &Miner::searchAbandoned);
    QVERIFY(miner.start());
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(started[0][0].toLongLong(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(server.count("/last_block") >= 3, WaitMs);   // polling
    QCOMPARE(abandoned.size(), 0);   // the same tip is no reason to drop the work

    server.defaults["/last_block"] = lastBlockAnswer(second, Unfindable);
    QVERIFY(abandoned.wait(WaitMs));
    QCOMPARE(abandoned[0][0].toLongLong(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(started.size(), 2, WaitMs);
    QCOMPARE(started[1][0].toLongLong(), 3);
    QCOMPARE(started[1][1].value<Block>(), second);
    QCOMPARE(miner.blockIndex(), 3);
    QCOMPARE(miner.state(), Miner::State::Searching);
    QCOMPARE(server.count("/mine"), 0);
    miner.stop();
}

void TestMiner::stopMidSearchIsPrompt()
{
    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    server.defaults["/last_block"] = lastBlockAnswer(genesisAt(1732435205.0), Unfindable);
    Miner miner(fastConfig(server.url(), writeId(m_dir, "gina")));
    QSignalSpy started(&miner, &Miner::searchStarted);
    QSignalSpy stopped(&miner, &Miner::stopped);
    QVERIFY(miner.start());
    QVERIFY(started.wait(WaitMs));
    QTRY_VERIFY_WITH_TIMEOUT(miner.attempts() > 0, WaitMs);

    QElapsedTimer clock;
    clock.start();
    miner.stop();
    QVERIFY2(clock.elapsed() < StopBoundMs, qPrintable(u"stop took %1 ms"_s.arg(clock.elapsed())));
    QCOMPARE(stopped.size(), 1);
    QVERIFY(!miner.isRunning());
    QCOMPARE(miner.hashRate(), 0.0);
    const quint64 attempts = miner.attempts();
    QTest::qWait(100);   // a poll sent just before stop() may still be arriving
    const qsizetype requests = server.requests.size();
    QTest::qWait(300);   // no more polls, no more hashing
    QCOMPARE(server.requests.size(), requests);
    QCOMPARE(miner.attempts(), attempts);
    miner.stop();   // idempotent
    QCOMPARE(stopped.size(), 1);

    // And it starts again.
    QVERIFY(miner.start());
    QVERIFY(started.wait(WaitMs));
    miner.stop();
}

void TestMiner::reportsHashRate()
{
    ScriptedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    server.defaults["/last_block"] = lastBlockAnswer(genesisAt(1732435206.0), Unfindable);
    Miner miner(fastConfig(server.url(), writeId(m_dir, "hugo")));
    QSignalSpy rates(&miner, &Miner::hashRateChanged);
    QVERIFY(miner.start());
    QTRY_VERIFY_WITH_TIMEOUT(!rates.isEmpty() && rates.last()[0].toDouble() > 0, WaitMs);
    QVERIFY(miner.hashRate() > 0);
    QVERIFY(miner.averageHashRate() > 0);
    QVERIFY(miner.uptimeMs() > 0);
    miner.stop();
    QCOMPARE(rates.last()[0].toDouble(), 0.0);
}

void TestMiner::winsBlockOnClassicPythonServer()
{
    const QString python = QStandardPaths::findExecutable(u"python3"_s);
    if (python.isEmpty())
        QSKIP("python3 is not installed: cannot run the classic Python server");
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

    Miner miner(fastConfig(url, writeId(m_dir, "ivy\n")));
    QSignalSpy coins(&miner, &Miner::coinsChanged);
    QSignalSpy replied(&miner, &Miner::serverReplied);
    QVERIFY(miner.start());
    QVERIFY(coins.wait(WaitMs));
    miner.stop();
    QCOMPARE(replied[0][1].toString(), u"New Block Forged"_s);
    QCOMPARE(miner.coins(), miner.acceptedCount());   // no reward field: 1 each

    // The Python server is the judge: its chain holds our blocks, paid to our id.
    QNetworkAccessManager network;
    QNetworkReply *reply = network.get(QNetworkRequest(url.resolved(QUrl(u"/chain"_s))));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), WaitMs);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    const std::optional<Json> chain = CanonicalJson::parse(reply->readAll());
    reply->deleteLater();
    QVERIFY(chain && chain->is_object());
    const Json &blocks = (*chain)["chain"];
    // (A submission cut off by stop() may still have won a block we did not count.)
    QVERIFY(static_cast<int>(blocks.size()) >= 1 + miner.acceptedCount());
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        const std::optional<Block> previous = Block::fromJson(blocks[i - 1]);
        const std::optional<Block> block = Block::fromJson(blocks[i]);
        QVERIFY(previous && block);
        QVERIFY(Pow::validProof(previous->blockString(), block->proof(), 3));
        QCOMPARE(block->previousHash(), QString::fromLatin1(previous->hash()));
        const Json &reward = block->transactions().back();
        QCOMPARE(reward["recipient"].get<std::string>(), std::string("ivy"));
    }
    server.terminate();
    QVERIFY(server.waitForFinished(WaitMs));
}

QTEST_GUILESS_MAIN(TestMiner)
#include "tst_miner.moc"
