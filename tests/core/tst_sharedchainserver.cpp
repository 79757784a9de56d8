#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

#include "core/chainserver.h"
#include "core/pow.h"
#include "tests/verifyresult.h"
#include "pgcluster.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

// Several chain servers on one PostgreSQL chain, each listening on its own port, over
// real HTTP (one cluster for the program; tables dropped before each test).
class TestSharedChainServer final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void serversFollowBlocksForgedElsewhere();
    void waitersOnEveryServerHearOfABlockForgedOnOne();
    void databaseDecidesTheWinner();
    void pendingTransactionsAreShared();
    void restartedDatabaseAnswers503ThenRecovers();

private:
    struct Reply
    {
        int status = 0;
        QJsonObject json;
    };
    static constexpr int Difficulty = 3;
    static constexpr int Wait = 10'000;

    ChainServer *startServer();
    Reply send(const QByteArray &verb, quint16 port, const QString &path,
               const QByteArray &body = QByteArray());
    qint64 lastIndex(quint16 port);
    static std::uint64_t proofFor(const ChainServer &server);
    static QByteArray mineBody(std::uint64_t proof, const QString &id);

    PgCluster m_cluster;
    std::vector<std::unique_ptr<ChainServer>> m_servers;
    QNetworkAccessManager *m_network = nullptr;   // child of this
};

void TestSharedChainServer::initTestCase()
{
    VERIFY_RESULT(m_cluster.start());
    m_network = new QNetworkAccessManager(this);
}

void TestSharedChainServer::init()
{
    VERIFY_RESULT(m_cluster.reset());
    for (int i = 0; i < 3; ++i)
        QVERIFY(startServer());
}

void TestSharedChainServer::cleanup()
{
    m_network->clearConnectionCache();
    m_servers.clear();
}

ChainServer *TestSharedChainServer::startServer()
{
    ChainServer::Config config;
    config.databasePath = m_cluster.url();
    config.difficulty = Difficulty;
    auto server = std::make_unique<ChainServer>(config);
    if (const Result<void> opened = server->open(); !opened) {
        qWarning("open: %s", qPrintable(opened.errorMessage()));
        return nullptr;
    }
    if (!server->listen(QHostAddress::LocalHost, 0)) {
        qWarning("listen: %s", qPrintable(server->errorString()));
        return nullptr;
    }
    m_servers.push_back(std::move(server));
    return m_servers.back().get();
}

TestSharedChainServer::Reply TestSharedChainServer::send(const QByteArray &verb, quint16 port,
                                                         const QString &path,
                                                         const QByteArray &body)
{
    QNetworkRequest request(QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    QNetworkReply *reply = m_network->sendCustomRequest(request, verb, body);
    Reply result;
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(Wait)) {
        qWarning("no answer to %s %s", verb.constData(), qPrintable(path));
        reply->deleteLater();
        return result;
    }
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.json = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return result;
}

qint64 TestSharedChainServer::lastIndex(quint16 port)
{
    const Reply reply = send("GET"_ba, port, u"/last_block"_s);
    return reply.json.value(u"last_block"_s).toObject().value(u"index"_s).toInteger(-1);
}

std::uint64_t TestSharedChainServer::proofFor(const ChainServer &server)
{
    const auto proof = Pow::search(server.chain().lastBlockString(), Difficulty, 0, 10'000'000);
    return proof ? *proof : 0;
}

QByteArray TestSharedChainServer::mineBody(std::uint64_t proof, const QString &id)
{
    return CanonicalJson::dump(Json{{"proof", proof}, {"id", id.toStdString()}});
}

void TestSharedChainServer::serversFollowBlocksForgedElsewhere()
{
    ChainServer &a = *m_servers[0];
    QSignalSpy tipB(m_servers[1].get(), &ChainServer::tipChanged);
    QSignalSpy tipA(&a, &ChainServer::tipChanged);
    for (int block = 2; block <= 4; ++block) {
        const Reply mined = send("POST"_ba, a.port(), u"/mine"_s, mineBody(proofFor(a), u"a"_s));
        QCOMPARE(mined.status, 200);
        QCOMPARE(mined.json.value(u"index"_s).toInteger(), block);
        for (const auto &server : m_servers)
            QTRY_COMPARE_WITH_TIMEOUT(lastIndex(server->port()), block, Wait);
    }
    QCOMPARE(tipA.count(), 3);   // forged here: one change each
    QVERIFY(!tipB.isEmpty());
    QCOMPARE(tipB.last().at(0).value<Block>().index(), 4);
    // The cached /chain text and the stale window follow too.
    for (const auto &server : m_servers) {
        const Reply chain = send("GET"_ba, server->port(), u"/chain"_s);
        QCOMPARE(chain.json.value(u"length"_s).toInteger(), 4);
        QCOMPARE(server->chain().lastBlockString(), a.chain().lastBlockString());
    }
}

// The push channel across servers: a miner waiting (GET /last_block?wait=HASH) on any
// server is answered when a block is forged on another.
void TestSharedChainServer::waitersOnEveryServerHearOfABlockForgedOnOne()
{
    ChainServer &a = *m_servers[0];
    const QByteArray tip = a.chain().lastBlock().hash();
    std::vector<QNetworkReply *> waiting;
    for (std::size_t i = 1; i < m_servers.size(); ++i) {
        QNetworkRequest request(
            QUrl(u"http://127.0.0.1:%1/last_block?wait=%2"_s.arg(m_servers[i]->port())
                     .arg(QString::fromLatin1(tip))));
        waiting.push_back(m_network->get(request));
    }
    // Both are parked on the unchanged tip (the servers answer a wait only on a change).
    QTest::qWait(200);
    for (QNetworkReply *reply : waiting)
        QVERIFY(!reply->isFinished());
    const Reply mined = send("POST"_ba, a.port(), u"/mine"_s, mineBody(proofFor(a), u"a"_s));
    QCOMPARE(mined.status, 200);
    for (QNetworkReply *reply : waiting) {
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), Wait);
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
        QCOMPARE(answer.value(u"last_block"_s).toObject().value(u"index"_s).toInteger(), 2);
        QCOMPARE(answer.value(u"last_block"_s).toObject().value(u"previous_hash"_s).toString(),
                 QString::fromLatin1(tip));
        reply->deleteLater();
    }
}

void TestSharedChainServer::databaseDecidesTheWinner()
{
    ChainServer &a = *m_servers[0];
    ChainServer &b = *m_servers[1];
    const std::uint64_t proof = proofFor(a);
    // No event loop between the two: b has not heard of a's block, believes the proof
    // valid, and only the database can turn it down.
    const HttpAnswer first = a.submitProof(mineBody(proof, u"a"_s));
    const HttpAnswer second = b.submitProof(mineBody(proof, u"b"_s));
    QCOMPARE(first.status, 200);
    QCOMPARE(second.status, 409);
    QVERIFY2(second.body.contains("\"Stale proof: block 2 was already forged\""),
             second.body.constData());
    QVERIFY2(second.body.contains("\"index\": 2"), second.body.constData());
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"2"_s);
    QCOMPARE(b.chain().length(), 2);   // it followed at once
    // Late proofs on the third server are stale too, once it has followed (unless, one
    // time in 4096, the proof is also valid for block 2: then it rightly wins block 3).
    QTRY_COMPARE_WITH_TIMEOUT(lastIndex(m_servers[2]->port()), 2, Wait);
    const bool alsoValid = Pow::validProof(a.chain().lastBlockString(), proof, Difficulty);
    const Reply late = send("POST"_ba, m_servers[2]->port(), u"/mine"_s, mineBody(proof, u"c"_s));
    QCOMPARE(late.status, alsoValid ? 200 : 409);
    // And b mines the next block.
    QTRY_COMPARE_WITH_TIMEOUT(b.chain().length(), alsoValid ? 3 : 2, Wait);
    const Reply next = send("POST"_ba, b.port(), u"/mine"_s, mineBody(proofFor(b), u"b"_s));
    QCOMPARE(next.status, 200);
    QCOMPARE(next.json.value(u"index"_s).toInteger(), alsoValid ? 4 : 3);
}

void TestSharedChainServer::pendingTransactionsAreShared()
{
    int sent = 0;
    for (const auto &server : m_servers) {
        for (int i = 0; i < 2; ++i) {
            const QByteArray body = CanonicalJson::dump(
                Json{{"sender", u"s%1"_s.arg(sent++).toStdString()}, {"recipient", "r"},
                     {"amount", 1}});
            QCOMPARE(send("POST"_ba, server->port(), u"/transactions/new"_s, body).status, 201);
        }
    }
    ChainServer &c = *m_servers[2];
    const Reply mined = send("POST"_ba, c.port(), u"/mine"_s, mineBody(proofFor(c), u"c"_s));
    QCOMPARE(mined.status, 200);
    const QJsonArray transactions = mined.json.value(u"transactions"_s).toArray();
    QCOMPARE(transactions.size(), 7);   // all six, then the reward
    for (int i = 0; i < 6; ++i)
        QCOMPARE(transactions[i].toObject().value(u"sender"_s).toString(), u"s%1"_s.arg(i));
    ChainServer &a = *m_servers[0];
    QTRY_COMPARE_WITH_TIMEOUT(lastIndex(a.port()), 2, Wait);
    const Reply next = send("POST"_ba, a.port(), u"/mine"_s, mineBody(proofFor(a), u"a"_s));
    QCOMPARE(next.status, 200);
    QCOMPARE(next.json.value(u"transactions"_s).toArray().size(), 1);   // none twice
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM pending"_s).valueOr(QString()), u"0"_s);
}

void TestSharedChainServer::restartedDatabaseAnswers503ThenRecovers()
{
    ChainServer &a = *m_servers[0];
    ChainServer &b = *m_servers[1];
    const Reply mined = send("POST"_ba, a.port(), u"/mine"_s, mineBody(proofFor(a), u"a"_s));
    QCOMPARE(mined.status, 200);   // acknowledged: must survive the restart
    QTRY_COMPARE_WITH_TIMEOUT(lastIndex(b.port()), 2, Wait);

    VERIFY_RESULT(m_cluster.stop());
    const std::uint64_t proof = proofFor(b);
    const Reply gone = send("POST"_ba, b.port(), u"/mine"_s, mineBody(proof, u"b"_s));
    QCOMPARE(gone.status, 503);
    QVERIFY2(gone.json.value(u"message"_s).toString().contains(u"unavailable"_s),
             qPrintable(gone.json.value(u"message"_s).toString()));
    const QByteArray transaction = R"({"sender": "x", "recipient": "y", "amount": 1})"_ba;
    QCOMPARE(send("POST"_ba, a.port(), u"/transactions/new"_s, transaction).status, 503);
    QCOMPARE(lastIndex(a.port()), 2);   // reads go on from what the server holds

    VERIFY_RESULT(m_cluster.start());
    QTRY_VERIFY_WITH_TIMEOUT(b.store().isAvailable() && a.store().isAvailable(), 15'000);
    const Reply back = send("POST"_ba, b.port(), u"/mine"_s, mineBody(proof, u"b"_s));
    QCOMPARE(back.status, 200);
    QCOMPARE(back.json.value(u"index"_s).toInteger(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(lastIndex(a.port()), 3, Wait);
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"3"_s);
}

QTEST_GUILESS_MAIN(TestSharedChainServer)
#include "tst_sharedchainserver.moc"
