#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "core/chainserver.h"

using namespace Qt::StringLiterals;

// The classic wire format, proved by a miner written in Python the way the exercise's
// miner is (tests/python/classic_miner.py) mining against our server.
class TestClassicMiner final : public QObject
{
    Q_OBJECT

private slots:
    void pythonMinerMinesOnOurServer();
};

void TestClassicMiner::pythonMinerMinesOnOurServer()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile id(dir.filePath(u"my_id.txt"_s));
    QVERIFY(id.open(QIODevice::WriteOnly));
    id.write("classic-miner\n");
    id.close();

    ChainServer::Config config;
    config.databasePath = dir.filePath(u"chain.db"_s);
    config.difficulty = 3;
    ChainServer server(config);
    const Result<void> opened = server.open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    const quint16 port = server.listen(QHostAddress::LocalHost, 0);
    QVERIFY(port);

    QProcess miner;
    miner.setWorkingDirectory(dir.path());
    miner.setProcessChannelMode(QProcess::MergedChannels);
    miner.start(QStringLiteral(BLOCKFORGE_PYTHON), {QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/classic_miner.py"),
                         u"http://127.0.0.1:%1"_s.arg(port)});
    QVERIFY2(miner.waitForStarted(10'000), qPrintable(miner.errorString()));
    // The server runs on this thread's event loop: wait by spinning it.
    QTRY_VERIFY_WITH_TIMEOUT(miner.state() == QProcess::NotRunning, 30'000);
    const QByteArray output = miner.readAll();
    QVERIFY2(miner.exitStatus() == QProcess::NormalExit && miner.exitCode() == 0,
             output.constData());
    QVERIFY2(output.contains("200 New Block Forged"), output.constData());
    // Block 2, unless (one time in 4096) its proof was valid for the next block too and
    // the miner mined one more before checking that a resent proof is stale.
    const qsizetype length = server.chain().length();
    QVERIFY(length >= 2);
    QCOMPARE(output.count("200 New Block Forged"), length - 1);
    QVERIFY2(output.contains("409 Stale proof: block %1 was already forged"_ba.replace(
                 "%1", QByteArray::number(length))), output.constData());
    const QByteArray verified = "Chain of " + QByteArray::number(length) + " blocks verified";
    QVERIFY2(output.contains(verified), output.constData());
    const CanonicalJson::Json &reward = server.chain().lastBlock().transactions().back();
    QCOMPARE(QString::fromStdString(reward.at("recipient").get<std::string>()), u"classic-miner"_s);
}

QTEST_GUILESS_MAIN(TestClassicMiner)
#include "tst_classicminer.moc"
