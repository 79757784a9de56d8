#include <csignal>

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include "core/chainserver.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;
}

// `blockforge --mine` as a user runs it: options, exit codes, output, Ctrl-C.
class TestRunMiner final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void badCommandLineExits2_data();
    void badCommandLineExits2();
    void idFileErrorExits1BeforeSending();
    void minesPrintsAndSummarizesOnSigint();

private:
    void start(QProcess &process, const QStringList &arguments);
    QString idFile(const QByteArray &content);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestRunMiner::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestRunMiner::start(QProcess &process, const QStringList &arguments)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s);
    process.setProcessEnvironment(environment);
    process.setWorkingDirectory(m_dir->path());
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), QStringList{u"--mine"_s} + arguments);
    QVERIFY2(process.waitForStarted(WaitMs), qPrintable(process.errorString()));
}

QString TestRunMiner::idFile(const QByteArray &content)
{
    const QString path = m_dir->filePath(u"my_id.txt"_s);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    file.write(content);
    return path;
}

void TestRunMiner::badCommandLineExits2_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("threads 0") << QStringList{u"--threads"_s, u"0"_s} << u"--threads: '0'"_s;
    QTest::newRow("threads word") << QStringList{u"--threads"_s, u"many"_s}
                                  << u"--threads: 'many' is not a number"_s;
    QTest::newRow("priority") << QStringList{u"--priority"_s, u"high"_s}
                              << u"--priority: 'high' is not one of idle, low, normal"_s;
    QTest::newRow("engine") << QStringList{u"--engine"_s, u"quantum"_s}
                            << u"--engine: 'quantum' is not available here"_s;
    QTest::newRow("url scheme") << QStringList{u"--url"_s, u"ftp://example.org"_s}
                                << u"is not an http:// or https:// URL"_s;
    QTest::newRow("server option") << QStringList{u"--difficulty"_s, u"3"_s}
                                   << u"--difficulty is a --server option"_s;
    QTest::newRow("unknown") << QStringList{u"--turbo"_s} << u"Unknown option 'turbo'"_s;
}

void TestRunMiner::badCommandLineExits2()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    idFile("alice\n");
    QProcess process;
    start(process, arguments);
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 2);
    const QString error = QString::fromUtf8(process.readAllStandardError());
    QVERIFY2(error.contains(message), qPrintable(error));
}

void TestRunMiner::idFileErrorExits1BeforeSending()
{
    QTcpServer listener;   // would see any connection attempt
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    const QString url = u"http://127.0.0.1:%1"_s.arg(listener.serverPort());
    for (const QByteArray &content : {QByteArray(), QByteArray(" \n ")}) {
        idFile(content);
        QProcess process;
        start(process, {u"--url"_s, url});
        QVERIFY(process.waitForFinished(WaitMs));
        QCOMPARE(process.exitCode(), 1);
        const QString error = QString::fromUtf8(process.readAllStandardError());
        QVERIFY2(error.contains(u"is empty"_s), qPrintable(error));
    }
    QProcess process;
    start(process, {u"--url"_s, url, u"--id-file"_s, m_dir->filePath(u"nobody.txt"_s)});
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitCode(), 1);
    QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(u"does not exist"_s));
    QTest::qWait(100);
    QVERIFY(!listener.hasPendingConnections());
}

void TestRunMiner::minesPrintsAndSummarizesOnSigint()
{
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain.db"_s);
    config.difficulty = 5;
    ChainServer server(config);
    QString error;
    QVERIFY2(server.open(&error), qPrintable(error));
    const quint16 port = server.listen(QHostAddress::LocalHost, 0);
    QVERIFY(port != 0);

    idFile("  zoe\n");
    QProcess process;
    start(process, {u"--url"_s, u"127.0.0.1:%1"_s.arg(port), u"--threads"_s, u"1"_s,
                    u"--priority"_s, u"normal"_s});
    // The server runs on this thread: wait with the event loop running (QTRY).
    QByteArray out;
    auto has = [&](const char *text) {
        out += process.readAllStandardOutput();
        return out.contains(text);
    };
    QTRY_VERIFY_WITH_TIMEOUT(has("Server 200: New Block Forged (accepted; coins 1)"), WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(has("Hash rate "), WaitMs);   // every 5 s
    QVERIFY(::kill(static_cast<pid_t>(process.processId()), SIGINT) == 0);
    QTRY_VERIFY_WITH_TIMEOUT(process.state() == QProcess::NotRunning, WaitMs);
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
    out += process.readAllStandardOutput();
    const QString text = QString::fromUtf8(out);

    QVERIFY2(text.contains(u"id \"zoe\", engine "_s), qPrintable(text));
    QVERIFY(text.contains(u", 1 thread, priority normal"_s));
    QVERIFY(text.contains(u"Mining block 2 (difficulty 5, last block 1 "_s));
    QVERIFY(QRegularExpression(u"Proof \\d+ found in [0-9.]+ s after \\d+ attempts"_s)
                .match(text).hasMatch());
    QVERIFY(QRegularExpression(u"Hash rate [0-9.]+ [Mk] attempts/s on 1 thread"_s)
                .match(text).hasMatch());
    const QRegularExpressionMatch summary = QRegularExpression(
        u"Stopped\\. Blocks: (\\d+) accepted, 0 stale, 0 rejected\\. Coins: (\\d+)\\. "
        "Average [0-9.]+ [Mk] attempts/s over "_s).match(text);
    QVERIFY2(summary.hasMatch(), qPrintable(text.right(500)));
    const int accepted = summary.captured(1).toInt();
    QVERIFY(accepted >= 1);
    QCOMPARE(summary.captured(2).toInt(), accepted);
    // A submission cut off by the signal may have won one more block on the server.
    const qint64 forged = server.chain().length() - 1;
    QVERIFY(forged == accepted || forged == accepted + 1);
}

QTEST_GUILESS_MAIN(TestRunMiner)
#include "tst_runminer.moc"
