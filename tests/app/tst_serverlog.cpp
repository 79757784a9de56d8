#include <csignal>
#include <optional>

#include <sys/resource.h>

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "core/block.h"
#include "core/minerprotocol.h"
#include "core/pow.h"
#include "../core/httptestclient.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30'000;
constexpr int Difficulty = 2;

// A request line: "GET /last_block 200 0.041 ms" (a refused connection shows "- -").
const QRegularExpression RequestLine(u" blockforge\\.server info: \\S+ \\S+ \\d{3} [\\d.]+ ms$"_s);

qsizetype countLines(const QStringList &lines, const QRegularExpression &pattern)
{
    return std::count_if(lines.cbegin(), lines.cend(),
                         [&](const QString &line) { return pattern.match(line).hasMatch(); });
}
}

// What `blockforge --server` logs (app/runserver.cpp), from the real executable: at the
// default level one line per forged block and per error, every request only with
// --verbose, and a one-line summary on SIGINT/SIGTERM.
class TestServerLog final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void defaultLevelLogsBlocksNotRequests_data();
    void defaultLevelLogsBlocksNotRequests();
    void verboseLogsEveryRequest();
    void storeErrorIsOneLine();

private:
    // Starts the server; returns its port once it serves, 0 on failure.
    quint16 start(QProcess &process, const QStringList &extra = {});
    // Sends one request and waits for its answer.
    std::optional<HttpTestClient::Answer> exchange(HttpTestClient &client,
                                                   const QByteArray &request);
    // GET /last_block, find a proof, POST /mine: the answer to the POST.
    std::optional<HttpTestClient::Answer> forge(HttpTestClient &client);
    QStringList stop(QProcess &process, int signal);   // the whole log, once it exited

    std::unique_ptr<QTemporaryDir> m_dir;
    QByteArray m_log;          // stderr so far
    int m_requests = 0;        // answered requests
    rlim_t m_fileSizeLimit = RLIM_INFINITY;
};

void TestServerLog::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_log.clear();
    m_requests = 0;
    m_fileSizeLimit = RLIM_INFINITY;
}

quint16 TestServerLog::start(QProcess &process, const QStringList &extra)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s);
    environment.remove(u"QT_MESSAGE_PATTERN"_s);
    process.setProcessEnvironment(environment);
    connect(&process, &QProcess::readyReadStandardError, this,
            [this, &process] { m_log += process.readAllStandardError(); });
    const rlim_t limit = m_fileSizeLimit;
    process.setChildProcessModifier([limit] {
        if (limit == RLIM_INFINITY)
            return;
        // A write past the limit fails with EFBIG instead of killing the process.
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit fileSize = {limit, limit};
        ::setrlimit(RLIMIT_FSIZE, &fileSize);
    });
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                  QStringList{u"--server"_s, u"--port"_s, u"0"_s, u"--difficulty"_s,
                              QString::number(Difficulty), u"--db"_s,
                              m_dir->filePath(u"chain.db"_s)}
                      + extra);
    const QRegularExpression serving(u"on http://127\\.0\\.0\\.1:(\\d+)/"_s);
    QRegularExpressionMatch match;
    const bool done = QTest::qWaitFor([&] {
        match = serving.match(QString::fromUtf8(m_log));
        return match.hasMatch() || process.state() == QProcess::NotRunning;
    }, WaitMs);
    return done && match.hasMatch() ? static_cast<quint16>(match.captured(1).toUInt()) : 0;
}

std::optional<HttpTestClient::Answer> TestServerLog::exchange(HttpTestClient &client,
                                                              const QByteArray &request)
{
    const std::size_t before = client.answers().size();
    client.send(request);
    if (!QTest::qWaitFor([&] { return client.answers().size() > before; }, WaitMs))
        return std::nullopt;
    ++m_requests;
    return client.answers().back();
}

std::optional<HttpTestClient::Answer> TestServerLog::forge(HttpTestClient &client)
{
    const auto last = exchange(client, HttpTestClient::request("GET"_ba, "/last_block"_ba));
    if (!last)
        return std::nullopt;
    const Result<MinerProtocol::Tip> work = MinerProtocol::parseWork(last->status, last->body);
    if (!work)
        return std::nullopt;
    const std::optional<std::uint64_t> proof =
        Pow::search(work->lastBlock.blockString(), Difficulty, 0, 10'000'000);
    if (!proof)
        return std::nullopt;
    return exchange(client, HttpTestClient::request(
                                "POST"_ba, "/mine"_ba,
                                R"({"proof": )"_ba + QByteArray::number(*proof)
                                    + R"(, "id": "logtest"})"_ba));
}

QStringList TestServerLog::stop(QProcess &process, int signal)
{
    ::kill(static_cast<pid_t>(process.processId()), signal);
    if (!process.waitForFinished(WaitMs))
        return {};
    m_log += process.readAllStandardError();
    return QString::fromUtf8(m_log).split(u'\n', Qt::SkipEmptyParts);
}

void TestServerLog::defaultLevelLogsBlocksNotRequests_data()
{
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGTERM") << SIGTERM;
    QTest::newRow("SIGINT") << SIGINT;
}

void TestServerLog::defaultLevelLogsBlocksNotRequests()
{
    QFETCH(int, signal);
    QProcess process;
    const quint16 port = start(process);
    QVERIFY2(port, m_log.constData());
    HttpTestClient client(port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), WaitMs);

    QByteArray tip;
    for (int i = 0; i < 3; ++i) {
        const auto answer = exchange(client, HttpTestClient::request("GET"_ba, "/last_block"_ba));
        QVERIFY(answer);
        QCOMPARE(answer->status, 200);
        const Result<MinerProtocol::Tip> work =
            MinerProtocol::parseWork(answer->status, answer->body);
        QVERIFY2(work, qPrintable(work.errorMessage()));
        tip = work->lastBlock.blockString();
    }
    // A proof checked to be invalid for the tip (the genesis block differs every run, and
    // a fixed proof would be valid one time in 256); one block has no stale window.
    std::uint64_t wrong = 1;
    while (Pow::validProof(tip, wrong, Difficulty))
        ++wrong;
    const auto invalid = exchange(client, HttpTestClient::request(
                                              "POST"_ba, "/mine"_ba,
                                              R"({"proof": )"_ba + QByteArray::number(wrong)
                                                  + R"(, "id": "logtest"})"_ba));
    QVERIFY(invalid);
    QCOMPARE(invalid->status, 400);
    const auto missing = exchange(client, HttpTestClient::request("GET"_ba, "/nowhere"_ba));
    QVERIFY(missing);
    QCOMPARE(missing->status, 404);
    for (int i = 0; i < 2; ++i) {
        const auto forged = forge(client);
        QVERIFY(forged);
        QCOMPARE(forged->status, 200);
    }

    const QStringList lines = stop(process, signal);
    const QString log = lines.join(u'\n');
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
    QCOMPARE(countLines(lines, RequestLine), 0);
    QVERIFY2(!log.contains(u"/last_block"_s) && !log.contains(u"/nowhere"_s), qPrintable(log));
    QCOMPARE(countLines(lines, QRegularExpression(u" blockforge\\.server info: Forged block "_s)),
             2);
    QCOMPARE(countLines(lines, QRegularExpression(u" (warning|critical): "_s)), 0);

    const QRegularExpression summary(
        u" blockforge\\.server info: Shutting down on a signal: uptime \\d+:\\d\\d:\\d\\d, "
        "blocks forged (\\d+), requests served (\\d+)$"_s);
    QCOMPARE(countLines(lines, summary), 1);
    QCOMPARE(m_requests, 9);
    for (const QString &line : lines) {
        const QRegularExpressionMatch match = summary.match(line);
        if (match.hasMatch()) {
            QCOMPARE(match.captured(1).toInt(), 2);
            QCOMPARE(match.captured(2).toInt(), m_requests);
        }
    }
}

void TestServerLog::verboseLogsEveryRequest()
{
    QProcess process;
    const quint16 port = start(process, {u"--verbose"_s});
    QVERIFY2(port, m_log.constData());
    HttpTestClient client(port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), WaitMs);
    for (int i = 0; i < 3; ++i)
        QVERIFY(exchange(client, HttpTestClient::request("GET"_ba, "/last_block"_ba)));
    QVERIFY(exchange(client, HttpTestClient::request("GET"_ba, "/nowhere"_ba)));
    const auto forged = forge(client);
    QVERIFY(forged);
    QCOMPARE(forged->status, 200);

    const QStringList lines = stop(process, SIGTERM);
    QCOMPARE(process.exitCode(), 0);
    QCOMPARE(countLines(lines, RequestLine), m_requests);
    QCOMPARE(countLines(lines, QRegularExpression(u" GET /last_block 200 [\\d.]+ ms$"_s)), 4);
    QCOMPARE(countLines(lines, QRegularExpression(u" GET /nowhere 404 [\\d.]+ ms$"_s)), 1);
    QCOMPARE(countLines(lines, QRegularExpression(u" POST /mine 200 [\\d.]+ ms$"_s)), 1);
    QCOMPARE(countLines(lines, QRegularExpression(u" info: Forged block "_s)), 1);
}

// A block the store cannot write (here: past the file size limit) is answered 500 and
// logged once, as a warning, at the default level.
void TestServerLog::storeErrorIsOneLine()
{
    m_fileSizeLimit = 96 * 1024;
    QProcess process;
    const quint16 port = start(process);
    QVERIFY2(port, m_log.constData());
    HttpTestClient client(port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), WaitMs);

    int forged = 0;
    std::optional<HttpTestClient::Answer> answer;
    for (int i = 0; i < 500; ++i) {
        answer = forge(client);
        QVERIFY(answer);
        if (answer->status != 200)
            break;
        ++forged;
    }
    QCOMPARE(answer->status, 500);
    QVERIFY2(answer->body.contains("Cannot store the block"), answer->body.constData());
    QTRY_VERIFY_WITH_TIMEOUT(m_log.contains("Cannot store block"), WaitMs);

    const QStringList lines = QString::fromUtf8(m_log).split(u'\n', Qt::SkipEmptyParts);
    const QString log = lines.join(u'\n');
    QCOMPARE(countLines(lines, QRegularExpression(u" (warning|critical): "_s)), 1);
    QCOMPARE(countLines(lines, QRegularExpression(
                                   u" blockforge\\.server warning: Cannot store block "_s)), 1);
    QCOMPARE(countLines(lines, QRegularExpression(u" info: Forged block "_s)), forged);
    QCOMPARE(countLines(lines, RequestLine), 0);
    QVERIFY2(forged > 0, qPrintable(log));
    stop(process, SIGTERM);
}

QTEST_GUILESS_MAIN(TestServerLog)
#include "tst_serverlog.moc"
