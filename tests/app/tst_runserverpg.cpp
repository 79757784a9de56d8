#include <memory>
#include <vector>

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "core/pow.h"
#include "core/sqlitechainstore.h"
#include "tests/verifyresult.h"
#include "../core/httptestclient.h"
#include "../core/pgcluster.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

// `blockforge --server --db postgresql://...` as an operator runs it, against a real
// PostgreSQL (one cluster for the program).
class TestRunServerPg final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void wrongPasswordOrHostExits1_data();
    void wrongPasswordOrHostExits1();
    void serversShareTheChain();
    void simultaneousStartsShareOneGenesis();
    void importMovesAChainIn();
    void backupRefusesAUrl();

private:
    struct Run
    {
        int code = -1;
        QByteArray log;
    };
    Run run(const QStringList &arguments);
    quint16 start(QProcess &process, const QStringList &extra = {});

    PgCluster m_cluster;
    QTemporaryDir m_dir;
};

void TestRunServerPg::initTestCase()
{
    VERIFY_RESULT(m_cluster.start());
    QVERIFY(m_dir.isValid());
}

void TestRunServerPg::init()
{
    VERIFY_RESULT(m_cluster.reset());
}

TestRunServerPg::Run TestRunServerPg::run(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), arguments);
    Run result;
    if (!process.waitForFinished(60'000))
        return result;
    result.code = process.exitCode();
    result.log = process.readAllStandardError();
    return result;
}

quint16 TestRunServerPg::start(QProcess &process, const QStringList &extra)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s);
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                  QStringList{u"--server"_s, u"--port"_s, u"0"_s, u"--difficulty"_s, u"2"_s,
                              u"--db"_s, m_cluster.url()} + extra);
    process.setReadChannel(QProcess::StandardError);
    QByteArray log;
    static const QRegularExpression listening(u"Listening on \"[^\"]+\" port (\\d+)"_s);
    for (int i = 0; i < 200; ++i) {
        process.waitForReadyRead(100);
        log += process.readAllStandardError();
        const auto match = listening.match(QString::fromUtf8(log));
        if (match.hasMatch())
            return static_cast<quint16>(match.captured(1).toUInt());
        if (process.state() == QProcess::NotRunning)
            break;
    }
    qWarning("no port: %s", log.constData());
    return 0;
}

void TestRunServerPg::wrongPasswordOrHostExits1_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected");
    QString wrongPassword = m_cluster.url();
    wrongPassword.replace(PgCluster::password(), u"Wr0ng-pw"_s);
    QTest::newRow("wrong password") << wrongPassword << u"password authentication failed"_s;
    QTest::newRow("no server on that port")
        << u"postgresql://blockforge:Wr0ng-pw@127.0.0.1:1/blockforge"_s
        << u"Connection refused"_s;
    QTest::newRow("unknown host") << u"postgres://blockforge:Wr0ng-pw@no-such-host.invalid/x"_s
                                  << u"no-such-host.invalid"_s;
}

void TestRunServerPg::wrongPasswordOrHostExits1()
{
    QFETCH(QString, url);
    QFETCH(QString, expected);
    const Run result = run({u"--server"_s, u"--port"_s, u"0"_s, u"--db"_s, url});
    QCOMPARE(result.code, 1);
    const QString log = QString::fromUtf8(result.log).trimmed();
    QVERIFY2(log.contains(expected), qPrintable(log));
    QVERIFY2(log.contains(u"Cannot open chain database"_s), qPrintable(log));
    QVERIFY2(!log.contains(u"Wr0ng-pw"_s), qPrintable(log));        // never the password
    QCOMPARE(log.count(u'\n'), 0);                                   // one line
}

void TestRunServerPg::serversShareTheChain()
{
    QProcess first;
    QProcess second;
    const quint16 a = start(first);
    const quint16 b = start(second);
    QVERIFY(a && b);
    // Mine on the first with its /last_block, then see the block on the second.
    HttpTestClient clientA(a);
    clientA.send(HttpTestClient::request("GET", "/last_block"));
    QTRY_COMPARE_WITH_TIMEOUT(clientA.answers().size(), 1u, 10'000);
    const Result<Json> last = CanonicalJson::parse(clientA.answers()[0].body);
    QVERIFY(last);
    const Result<Block> block = Block::fromJson(last->at("last_block"));
    QVERIFY(block);
    const auto proof = Pow::search(block->blockString(), 2, 0, 1'000'000);
    QVERIFY(proof);
    clientA.send(HttpTestClient::request(
        "POST", "/mine", CanonicalJson::dump(Json{{"proof", *proof}, {"id", "alice"}})));
    QTRY_COMPARE_WITH_TIMEOUT(clientA.answers().size(), 2u, 10'000);
    QCOMPARE(clientA.answers()[1].status, 200);
    HttpTestClient clientB(b);
    QTRY_VERIFY_WITH_TIMEOUT(clientB.isConnected(), 10'000);
    bool followed = false;
    for (int i = 0; i < 100 && !followed; ++i) {
        clientB.send(HttpTestClient::request("GET", "/last_block"));
        QTRY_COMPARE_WITH_TIMEOUT(clientB.answers().size(), static_cast<std::size_t>(i + 1),
                                  10'000);
        followed = clientB.answers().back().body.contains("\"index\": 2");
        if (!followed)
            QTest::qWait(20);
    }
    QVERIFY(followed);
    first.terminate();
    second.terminate();
    QVERIFY(first.waitForFinished(10'000) && second.waitForFinished(10'000));
    QCOMPARE(first.exitCode(), 0);
    QCOMPARE(second.exitCode(), 0);
}

void TestRunServerPg::simultaneousStartsShareOneGenesis()
{
    // Four servers on a new database at once: one creates the chain, the others wait
    // for it and read it (none refuses a chain caught half-made).
    std::vector<std::unique_ptr<QProcess>> processes;
    for (int i = 0; i < 4; ++i) {
        processes.push_back(std::make_unique<QProcess>());
        processes.back()->setProcessChannelMode(QProcess::MergedChannels);
        processes.back()->start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                                {u"--server"_s, u"--port"_s, u"0"_s, u"--difficulty"_s, u"2"_s,
                                 u"--db"_s, m_cluster.url()});
    }
    for (auto &process : processes) {
        QByteArray log;
        for (int i = 0; i < 200 && !log.contains("Serving a chain of 1 blocks"); ++i) {
            process->waitForReadyRead(100);
            log += process->readAll();
            QVERIFY2(process->state() == QProcess::Running, log.constData());
        }
        QVERIFY2(log.contains("Serving a chain of 1 blocks"), log.constData());
        QVERIFY2(!log.contains("warning"), log.constData());
    }
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"1"_s);
    for (auto &process : processes) {
        process->terminate();
        QVERIFY(process->waitForFinished(10'000));
        QCOMPARE(process->exitCode(), 0);
    }
}

void TestRunServerPg::importMovesAChainIn()
{
    const QString path = m_dir.filePath(u"old.db"_s);
    {
        SqliteChainStore store(path);
        VERIFY_RESULT(store.open());
        Result<Chain> chain = store.load(2);
        VERIFY_RESULT(chain);
        for (int i = 0; i < 3; ++i) {
            const auto proof = Pow::search(chain->lastBlockString(), 2, 0, 1'000'000);
            QVERIFY(proof);
            Block block = chain->forge(*proof, u"m"_s, 1);
            VERIFY_RESULT(store.appendBlock(block, 2));
            chain->append(std::move(block));
        }
    }
    const QStringList import{u"--server"_s, u"--db"_s, m_cluster.url(), u"--import"_s, path};
    Run result = run(import);
    QVERIFY2(result.code == 0, result.log.constData());
    QVERIFY2(result.log.contains("Imported and verified 4 blocks and 0 pending"),
             result.log.constData());
    QVERIFY2(!result.log.contains(PgCluster::password().toUtf8()), result.log.constData());
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"4"_s);
    // A second import would mix two chains: refused, nothing changed.
    result = run(import);
    QCOMPARE(result.code, 1);
    QVERIFY2(result.log.contains("already holds 4 blocks"), result.log.constData());
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"4"_s);
}

void TestRunServerPg::backupRefusesAUrl()
{
    const Run result = run({u"--server"_s, u"--db"_s, m_cluster.url(), u"--backup"_s,
                            m_dir.filePath(u"copy.db"_s)});
    QCOMPARE(result.code, 2);
    QVERIFY2(result.log.contains("pg_dump"), result.log.constData());
}

QTEST_GUILESS_MAIN(TestRunServerPg)
#include "tst_runserverpg.moc"
