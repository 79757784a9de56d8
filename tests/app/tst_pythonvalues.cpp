#include <csignal>

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "core/block.h"
#include "core/canonicaljson.h"
#include "core/pow.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr int WaitMs = 60'000;   // generous: the machine may be busy; nothing waits it out

// Transactions with values Python's json reads and writes back unchanged, which a
// parser limited to 64-bit integers and well-formed UTF-16 refuses.
const QByteArray BigAmount = "100000000000000000000"_ba;                    // 10**20
const QByteArray NegativeAmount = "-1000000000000000000000000000000"_ba;    // -10**30
const QByteArray SeedTransactions =
    "[{\"sender\": \"alice\", \"recipient\": \"bob\", \"amount\": " + BigAmount + "},"
    " {\"sender\": \"\\ud800\", \"recipient\": \"carol\\udc00x\", \"amount\": " + NegativeAmount + "}]";
}

// Integers beyond 64 bits and lone surrogates, end to end with the real executable:
// `blockforge --mine` on a classic Python server whose last block holds them, and
// `blockforge --server` storing, serving and re-verifying blocks that hold them.
class TestPythonValues final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void minerMinesOnClassicServerHoldingThem();
    void serverStoresAndServesThemExactly();

private:
    struct Reply
    {
        int status = 0;
        QByteArray body;
    };
    Reply request(const QByteArray &method, const QString &path, const QByteArray &body = {});
    // Starts `blockforge --server` on the test's database; returns its port, 0 on failure.
    quint16 startServer(QProcess &process);
    bool mineNextBlock(int difficulty, Reply *answer);

    std::unique_ptr<QTemporaryDir> m_dir;
    QNetworkAccessManager m_network;
    QUrl m_url;
};

void TestPythonValues::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

TestPythonValues::Reply TestPythonValues::request(const QByteArray &method, const QString &path,
                                                  const QByteArray &body)
{
    QNetworkRequest request(m_url.resolved(QUrl(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
    QNetworkReply *reply = m_network.sendCustomRequest(request, method, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    Reply result;
    if (reply->isFinished() || finished.wait(WaitMs)) {
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = reply->readAll();
    }
    reply->deleteLater();
    return result;
}

quint16 TestPythonValues::startServer(QProcess &process)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s);
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                  {u"--server"_s, u"--port"_s, u"0"_s, u"--difficulty"_s, u"2"_s, u"--db"_s,
                   m_dir->filePath(u"chain.db"_s)});
    if (!process.waitForStarted(WaitMs))
        return 0;
    const QRegularExpression serving(u"on http://127\\.0\\.0\\.1:(\\d+)/"_s);
    QByteArray log;
    QRegularExpressionMatch match;
    QSignalSpy output(&process, &QProcess::readyReadStandardError);
    while (process.state() == QProcess::Running) {
        log += process.readAllStandardError();
        match = serving.match(QString::fromUtf8(log));
        if (match.hasMatch())
            break;
        if (!output.wait(WaitMs))
            break;
    }
    if (!match.hasMatch()) {
        qWarning("blockforge --server did not start: %s", log.constData());
        return 0;
    }
    const quint16 port = static_cast<quint16>(match.captured(1).toUInt());
    m_url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));
    return port;
}

// Fetches the last block, finds a proof for it as a miner would and submits it.
bool TestPythonValues::mineNextBlock(int difficulty, Reply *answer)
{
    const Reply last = request("GET", u"/last_block"_s);
    const Result<Json> json = CanonicalJson::parse(last.body);
    if (last.status != 200 || !json || !json->is_object() || !json->contains("last_block"))
        return false;
    const Result<Block> block = Block::fromJson((*json)["last_block"]);
    if (!block)
        return false;
    const std::optional<std::uint64_t> proof = Pow::search(block->blockString(), difficulty, 0, 1 << 24);
    if (!proof)
        return false;
    *answer = request("POST", u"/mine"_s,
                      "{\"proof\": " + QByteArray::number(*proof) + ", \"id\": \"miner\"}");
    return true;
}

void TestPythonValues::minerMinesOnClassicServerHoldingThem()
{
    QProcess server;
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start(QStringLiteral(BLOCKFORGE_PYTHON),
                 {QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/classic_server.py"), u"3"_s,
                  u"120"_s, u"--seed"_s, QString::fromLatin1(SeedTransactions)});
    QVERIFY2(server.waitForStarted(WaitMs), qPrintable(server.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine() || server.state() != QProcess::Running, WaitMs);
    const int port = server.readLine().trimmed().toInt();
    QVERIFY(port > 0);
    m_url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));

    QFile id(m_dir->filePath(u"my_id.txt"_s));
    QVERIFY(id.open(QIODevice::WriteOnly));
    id.write("pyvalues\n");
    id.close();
    QProcess miner;
    miner.setWorkingDirectory(m_dir->path());
    miner.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                {u"--mine"_s, u"--url"_s, m_url.toString(), u"--threads"_s, u"1"_s,
                 u"--priority"_s, u"normal"_s});
    QVERIFY2(miner.waitForStarted(WaitMs), qPrintable(miner.errorString()));
    QByteArray out;
    const auto forgedOrFailed = [&] {
        out += miner.readAllStandardOutput();
        return out.contains("HTTP 200: New Block Forged") || out.contains("Error")
            || miner.state() != QProcess::Running;
    };
    QTRY_VERIFY_WITH_TIMEOUT(forgedOrFailed(), WaitMs);
    QVERIFY(::kill(static_cast<pid_t>(miner.processId()), SIGINT) == 0);
    QTRY_VERIFY_WITH_TIMEOUT(miner.state() == QProcess::NotRunning, WaitMs);
    out += miner.readAllStandardOutput();
    QCOMPARE(miner.exitStatus(), QProcess::NormalExit);
    QCOMPARE(miner.exitCode(), 0);
    // It mined on the seeded block, first time, with no error in between.
    QVERIFY2(out.contains("Mining block 3 (difficulty 3, last block 2 "), out.constData());
    QVERIFY2(out.contains("Block 3: HTTP 200: New Block Forged (accepted; coins 1)"), out.constData());
    QVERIFY2(!out.contains("Error"), out.constData());

    // The Python server is the judge: our block follows the seeded one, with the hash
    // Python computed for it, which our block string reproduces.
    const Reply chain = request("GET", u"/chain"_s);
    QCOMPARE(chain.status, 200);
    const Result<Json> json = CanonicalJson::parse(chain.body);
    QVERIFY(json && json->is_object() && (*json)["chain"].is_array());
    const Json &blocks = (*json)["chain"];
    QVERIFY(blocks.size() >= 3);
    const Result<Block> seeded = Block::fromJson(blocks[1]);
    const Result<Block> ours = Block::fromJson(blocks[2]);
    QVERIFY(seeded && ours);
    const QByteArray seededString = seeded->blockString();
    QVERIFY2(seededString.contains(QByteArray("\"amount\": " + BigAmount)), seededString.constData());
    QVERIFY2(seededString.contains("\"sender\": \"\\ud800\""), seededString.constData());
    QVERIFY2(seededString.contains("\"recipient\": \"carol\\udc00x\""), seededString.constData());
    QCOMPARE(ours->previousHash(), QString::fromLatin1(seeded->hash()));
    QVERIFY(Pow::validProof(seededString, ours->proof(), 3));
    QCOMPARE(ours->transactions().back()["recipient"].get<std::string>(), std::string("pyvalues"));

    server.terminate();
    QVERIFY(server.waitForFinished(WaitMs));
}

void TestPythonValues::serverStoresAndServesThemExactly()
{
    QProcess server;
    QVERIFY(startServer(server));
    const QByteArray first = "{\"sender\": \"alice\", \"recipient\": \"\\ud800\", \"amount\": " + BigAmount + "}";
    const QByteArray second = "{\"sender\": \"\\udc00\\ud800\", \"recipient\": \"bob\", \"amount\": "
                              + NegativeAmount + "}";
    QCOMPARE(request("POST", u"/transactions/new"_s, first).status, 201);
    QCOMPARE(request("POST", u"/transactions/new"_s, second).status, 201);
    Reply forged;
    QVERIFY(mineNextBlock(2, &forged));
    QCOMPARE(forged.status, 200);
    // Keys sorted, digits and escapes as they came.
    QVERIFY2(forged.body.contains(QByteArray("{\"amount\": " + BigAmount
                                             + ", \"recipient\": \"\\ud800\", \"sender\": \"alice\"}")),
             forged.body.constData());
    QVERIFY2(forged.body.contains(QByteArray("{\"amount\": " + NegativeAmount
                                             + ", \"recipient\": \"bob\", \"sender\": \"\\udc00\\ud800\"}")),
             forged.body.constData());

    // Protocol numbers stay 64-bit: a huge proof is a clear 400.
    const Reply huge = request("POST", u"/mine"_s, "{\"proof\": " + BigAmount + ", \"id\": \"x\"}");
    QCOMPARE(huge.status, 400);
    QVERIFY2(huge.body.contains("does not fit in 64 bits"), huge.body.constData());

    // A pending transaction and the chain survive a restart, which verifies every link.
    const QByteArray pending = "{\"sender\": \"carol\", \"recipient\": \"dave\", \"amount\": 10000000000000000000000000}";
    QCOMPARE(request("POST", u"/transactions/new"_s, pending).status, 201);
    const Reply before = request("GET", u"/chain"_s);
    QCOMPARE(before.status, 200);
    QVERIFY(::kill(static_cast<pid_t>(server.processId()), SIGTERM) == 0);
    QVERIFY(server.waitForFinished(WaitMs));
    QCOMPARE(server.exitCode(), 0);

    QProcess again;
    QVERIFY(startServer(again));
    const Reply after = request("GET", u"/chain"_s);
    QCOMPARE(after.status, 200);
    QCOMPARE(after.body, before.body);
    QVERIFY(mineNextBlock(2, &forged));
    QCOMPARE(forged.status, 200);
    QVERIFY2(forged.body.contains("\"amount\": 10000000000000000000000000,"), forged.body.constData());

    // Python reads our chain and finds every link and proof valid.
    QProcess verify;
    verify.setProcessChannelMode(QProcess::MergedChannels);
    verify.start(QStringLiteral(BLOCKFORGE_PYTHON),
                 {QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/verify_chain.py"),
                  m_url.toString(), u"2"_s});
    QVERIFY2(verify.waitForStarted(WaitMs), qPrintable(verify.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(verify.state() == QProcess::NotRunning, WaitMs);
    const QByteArray verdict = verify.readAll();
    QCOMPARE(verify.exitCode(), 0);
    QVERIFY2(verdict.contains("Chain of 3 blocks verified"), verdict.constData());

    QVERIFY(::kill(static_cast<pid_t>(again.processId()), SIGTERM) == 0);
    QVERIFY(again.waitForFinished(WaitMs));
    QCOMPARE(again.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestPythonValues)
#include "tst_pythonvalues.moc"
