#include <csignal>
#include <memory>
#include <utility>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include "core/block.h"
#include "core/pow.h"
#include "core/sqlitechainstore.h"
#include "tests/verifyresult.h"
#include "../core/httptestclient.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

// `blockforge --server` as a user runs it: options, exit codes, logging, signals.
class TestRunServer final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void badCommandLineExits2_data();
    void badCommandLineExits2();
    void signalShutsDownCleanly_data();
    void signalShutsDownCleanly();
    void portInUseExits1();
    void badDatabaseExits1();
    void defaultDatabaseIsInAppData();
    void logEscapesClientText();
    void descriptorLimitSizesTheCap();
    void idleClientsDoNotLockOutUnderLowLimit();
    void readOnlyDatabaseIsSaidSo_data();
    void readOnlyDatabaseIsSaidSo();
    void backupOfARunningServer();

private:
    // Starts the server; returns its port once it serves, 0 on failure. With
    // descriptors, its soft and hard descriptor limits are set to them first.
    quint16 start(QProcess &process, const QStringList &extra = {},
                  std::pair<rlim_t, rlim_t> descriptors = {0, 0});

    std::unique_ptr<QTemporaryDir> m_dir;
    QByteArray m_log;   // stderr of the last start()
};

void TestRunServer::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_log.clear();
}

quint16 TestRunServer::start(QProcess &process, const QStringList &extra,
                             std::pair<rlim_t, rlim_t> descriptors)
{
    if (descriptors.first) {
        process.setChildProcessModifier([descriptors] {
            const rlimit limit = {descriptors.first, descriptors.second};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        });
    }
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"XDG_DATA_HOME"_s, m_dir->filePath(u"data"_s));
    environment.remove(u"QT_LOGGING_RULES"_s);
    process.setProcessEnvironment(environment);
    QStringList arguments = {u"--server"_s, u"--port"_s, u"0"_s, u"--difficulty"_s, u"2"_s};
    if (!extra.contains(u"--no-db"_s))
        arguments << u"--db"_s << m_dir->filePath(u"chain.db"_s);
    for (const QString &argument : extra) {
        if (argument != u"--no-db"_s)
            arguments << argument;
    }
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), arguments);
    if (!process.waitForStarted(10'000))
        return 0;
    const QRegularExpression serving(u"on http://127\\.0\\.0\\.1:(\\d+)/"_s);
    QRegularExpressionMatch match;
    for (int i = 0; i < 100 && process.state() == QProcess::Running; ++i) {
        process.waitForReadyRead(100);
        m_log += process.readAllStandardError();
        match = serving.match(QString::fromUtf8(m_log));
        if (match.hasMatch())
            return static_cast<quint16>(match.captured(1).toUInt());
    }
    return 0;
}

void TestRunServer::badCommandLineExits2_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("port too big") << QStringList{u"--port"_s, u"70000"_s} << u"invalid --port"_s;
    QTest::newRow("port not a number") << QStringList{u"--port"_s, u"web"_s} << u"invalid --port"_s;
    QTest::newRow("difficulty 0") << QStringList{u"--difficulty"_s, u"0"_s}
                                  << u"invalid --difficulty"_s;
    QTest::newRow("difficulty 65") << QStringList{u"--difficulty"_s, u"65"_s}
                                   << u"invalid --difficulty"_s;
    QTest::newRow("negative reward") << QStringList{u"--reward"_s, u"-1"_s} << u"invalid --reward"_s;
    QTest::newRow("host name") << QStringList{u"--host"_s, u"example.org"_s} << u"invalid --host"_s;
    QTest::newRow("empty db") << QStringList{u"--db"_s, QString()} << u"invalid --db"_s;
    QTest::newRow("empty backup") << QStringList{u"--backup"_s, QString()} << u"invalid --backup"_s;
    QTest::newRow("no value") << QStringList{u"--port"_s} << u"Missing value after '--port'"_s;
}

void TestRunServer::badCommandLineExits2()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), QStringList{u"--server"_s} + arguments);
    QVERIFY(process.waitForFinished(10'000));
    const QString error = QString::fromUtf8(process.readAllStandardError());
    QCOMPARE(process.exitCode(), 2);
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY(!QFile::exists(m_dir->filePath(u"data"_s)));
}

void TestRunServer::signalShutsDownCleanly_data()
{
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGTERM") << SIGTERM;
    QTest::newRow("SIGINT") << SIGINT;
}

void TestRunServer::signalShutsDownCleanly()
{
    QFETCH(int, signal);
    QProcess process;
    const quint16 port = start(process, {u"--verbose"_s});
    QVERIFY2(port, m_log.constData());

    HttpTestClient client(port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), 10'000);
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, 10'000);
    QCOMPARE(client.answers().front().status, 200);

    ::kill(static_cast<pid_t>(process.processId()), signal);
    QVERIFY(process.waitForFinished(10'000));
    m_log += process.readAllStandardError();
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
    QVERIFY2(m_log.contains("GET /last_block 200"), m_log.constData());   // the request log
    QVERIFY2(m_log.contains("Closed chain database"), m_log.constData());

    // The database was closed properly: it opens and verifies again.
    SqliteChainStore store(m_dir->filePath(u"chain.db"_s));
    VERIFY_RESULT(store.open());
    VERIFY_RESULT(store.load(2));
}

void TestRunServer::portInUseExits1()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                  {u"--server"_s, u"--port"_s, QString::number(taken.serverPort()), u"--db"_s,
                   m_dir->filePath(u"chain.db"_s)});
    QVERIFY(process.waitForFinished(10'000));
    const QByteArray error = process.readAllStandardError();
    QCOMPARE(process.exitCode(), 1);
    QVERIFY2(error.contains("Cannot listen on 127.0.0.1 port"), error.constData());
}

void TestRunServer::badDatabaseExits1()
{
    QFile file(m_dir->filePath(u"chain.db"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray(2048, 'z'));
    file.close();
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                  {u"--server"_s, u"--port"_s, u"0"_s, u"--db"_s, file.fileName()});
    QVERIFY(process.waitForFinished(10'000));
    const QByteArray error = process.readAllStandardError();
    QCOMPARE(process.exitCode(), 1);
    QVERIFY2(error.contains("Cannot open chain database"), error.constData());
}

void TestRunServer::defaultDatabaseIsInAppData()
{
    QProcess process;
    const quint16 port = start(process, {u"--no-db"_s});
    QVERIFY2(port, m_log.constData());
    ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(10'000));
    QCOMPARE(process.exitCode(), 0);
    QVERIFY(QFile::exists(m_dir->filePath(u"data/blockforge/blockforge/chain.db"_s)));
}

void TestRunServer::logEscapesClientText()
{
    QProcess process;
    const quint16 port = start(process, {u"--verbose"_s});   // paths are logged per request
    QVERIFY2(port, m_log.constData());
    HttpTestClient client(port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), 10'000);
    // A path that would forge a whole log line, and one with terminal escapes.
    client.send(HttpTestClient::request(
                    "GET"_ba, "/x%0A12:00:00.000%20blockforge.server%20info:%20Forged%20block"
                              "%2099%20for%20mallory"_ba)
                + HttpTestClient::request("GET"_ba, "/%1B[2J%C2%9B31m%E2%80%AEtxt"_ba)
                + HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 3u, 10'000);
    // A block forged for a miner id holding the same characters.
    const Result<Json> last = CanonicalJson::parse(client.answers()[2].body);
    QVERIFY(last);
    const Result<Block> tip = Block::fromJson((*last)["last_block"]);
    QVERIFY(tip);
    const std::optional<std::uint64_t> proof = Pow::search(tip->blockString(), 2, 0, 1'000'000);
    QVERIFY(proof);
    const QByteArray body = CanonicalJson::dump(
        Json{{"proof", *proof},
             {"id", "eve\nForged block 98 for mallory \x1b[2J\u009b31m\u202e"}});
    client.send(HttpTestClient::request("POST"_ba, "/mine"_ba, body));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 4u, 10'000);
    QCOMPARE(client.answers()[3].status, 200);

    ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(10'000));
    m_log += process.readAllStandardError();
    QVERIFY2(m_log.contains("Forged block 2 for eve\\nForged block 98"), m_log.constData());
    for (const QByteArray &line : m_log.split('\n')) {
        QVERIFY2(!line.startsWith("12:00:00.000") && !line.startsWith("Forged block"),
                 line.constData());
    }
    QVERIFY2(!m_log.contains('\x1b'), m_log.constData());
    QVERIFY2(!m_log.contains("\xc2\x9b"), m_log.constData());        // U+009B, a C1 CSI
    QVERIFY2(!m_log.contains("\xe2\x80\xae"), m_log.constData());   // U+202E
    QVERIFY2(m_log.contains("GET /x\\n12:00:00.000 blockforge.server info: Forged block 99"),
             m_log.constData());
}

void TestRunServer::descriptorLimitSizesTheCap()
{
    // The soft limit is raised to the hard one, and the cap leaves room for the database.
    QProcess process;
    const quint16 port = start(process, {}, {128, 512});
    QVERIFY2(port, m_log.constData());
    QVERIFY2(m_log.contains("(up to 448 connections)"), m_log.constData());
    ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(10'000));
}

void TestRunServer::idleClientsDoNotLockOutUnderLowLimit()
{
    // ulimit -n 128 (soft and hard): room for 64 connections. 150 clients that connect and
    // send nothing do not lock out a fresh one: the longest idle make room.
    QProcess process;
    const quint16 port = start(process, {}, {128, 128});
    QVERIFY2(port, m_log.constData());
    QVERIFY2(m_log.contains("(up to 64 connections)"), m_log.constData());
    std::vector<std::unique_ptr<HttpTestClient>> idle;
    for (int i = 0; i < 150; ++i)
        idle.push_back(std::make_unique<HttpTestClient>(port));
    const auto settled = [](const auto &c) { return c->isConnected() || c->isClosed(); };
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(idle.begin(), idle.end(), settled), 10'000);
    for (int i = 0; i < 5; ++i) {
        HttpTestClient fresh(port);
        fresh.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
        QTRY_COMPARE_WITH_TIMEOUT(fresh.answers().size(), 1u, 10'000);
        QCOMPARE(fresh.answers().front().status, 200);
    }
    // The oldest idle clients were closed quietly; no one got a 503.
    QTRY_VERIFY_WITH_TIMEOUT(idle.front()->isClosed(), 10'000);
    for (const auto &client : idle)
        QVERIFY(!client->received().contains("503"));
    ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(10'000));
    QCOMPARE(process.exitCode(), 0);
}

void TestRunServer::readOnlyDatabaseIsSaidSo_data()
{
    QTest::addColumn<bool>("folder");
    QTest::newRow("read-only file") << false;
    QTest::newRow("read-only folder") << true;
}

void TestRunServer::readOnlyDatabaseIsSaidSo()
{
    QFETCH(bool, folder);
    const QString dir = m_dir->filePath(u"ro"_s);
    const QString path = dir + u"/chain.db"_s;
    QVERIFY(QDir().mkpath(dir));
    {
        SqliteChainStore store(path);
        VERIFY_RESULT(store.open());
        VERIFY_RESULT(store.load(2));
    }
    // Root ignores permission bits: run the server as nobody then.
    const bool root = ::geteuid() == 0;
    QVERIFY(QFile::setPermissions(m_dir->path(), QFile::ReadOwner | QFile::WriteOwner
                                                     | QFile::ExeOwner | QFile::ReadOther
                                                     | QFile::ExeOther));
    QVERIFY(QFile::setPermissions(path, folder ? QFile::ReadOwner | QFile::WriteOwner
                                                     | QFile::ReadOther | QFile::WriteOther
                                               : QFile::ReadOwner | QFile::ReadOther));
    QVERIFY(QFile::setPermissions(dir, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadOther
                                           | QFile::ExeOther
                                           | (folder ? QFile::Permissions() : QFile::WriteOwner)));
    QProcess process;
    if (root) {
        process.setChildProcessModifier([] {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(99);
        });
    }
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                  {u"--server"_s, u"--port"_s, u"0"_s, u"--db"_s, path});
    QVERIFY(process.waitForFinished(10'000));
    const QByteArray log = process.readAllStandardError();
    QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QCOMPARE(process.exitCode(), 1);
    const QByteArray expected = folder
        ? "its folder \"" + QFile::encodeName(dir) + "\" is read-only (Permission denied)"
        : "the file is read-only (Permission denied)"_ba;
    const QByteArray message = "Cannot open chain database \"" + QFile::encodeName(path) + "\": "
        + expected;
    QVERIFY2(log.contains(message), log.constData());
    QVERIFY2(!log.contains("disk I/O error"), log.constData());
}

void TestRunServer::backupOfARunningServer()
{
    QProcess server;
    const quint16 port = start(server);
    QVERIFY2(port, m_log.constData());
    // A block on it first.
    HttpTestClient client(port);
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, 10'000);
    const Result<Json> last = CanonicalJson::parse(client.answers()[0].body);
    QVERIFY(last);
    const Result<Block> tip = Block::fromJson((*last)["last_block"]);
    QVERIFY(tip);
    const auto proof = Pow::search(tip->blockString(), 2, 0, 1'000'000);
    QVERIFY(proof);
    client.send(HttpTestClient::request("POST"_ba, "/mine"_ba,
                                        CanonicalJson::dump(Json{{"proof", *proof}, {"id", "b"}})));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 2u, 10'000);
    QCOMPARE(client.answers()[1].status, 200);

    // The backup, while the server runs and holds the database.
    const QString target = m_dir->filePath(u"backup.db"_s);
    QProcess backup;
    backup.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                 {u"--server"_s, u"--db"_s, m_dir->filePath(u"chain.db"_s), u"--backup"_s, target});
    QVERIFY(backup.waitForFinished(10'000));
    const QByteArray log = backup.readAllStandardError();
    QCOMPARE(backup.exitCode(), 0);
    QVERIFY2(log.contains("Backed up 2 blocks of"), log.constData());
    QVERIFY(!log.contains("Listening"));
    SqliteChainStore copy(target);
    VERIFY_RESULT(copy.open());
    const Result<Chain> chain = copy.load(2);
    VERIFY_RESULT(chain);
    QCOMPARE(chain->length(), 2);
    QCOMPARE(chain->lastBlock().proof(), *proof);
    copy.close();

    // The server serves on; a backup to a folder that does not exist fails clearly.
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 3u, 10'000);
    QCOMPARE(client.answers()[2].status, 200);
    backup.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                 {u"--server"_s, u"--db"_s, m_dir->filePath(u"chain.db"_s), u"--backup"_s,
                  m_dir->filePath(u"nowhere/backup.db"_s)});
    QVERIFY(backup.waitForFinished(10'000));
    QCOMPARE(backup.exitCode(), 1);
    QVERIFY(backup.readAllStandardError().contains("Cannot back up"));
    ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
    QVERIFY(server.waitForFinished(10'000));
    QCOMPARE(server.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestRunServer)
#include "tst_runserver.moc"
