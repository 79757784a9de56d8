// The push channel of the chain server: GET /last_block?wait=HASH (a long poll), on real
// sockets against a real server.
#include <memory>
#include <vector>

#include <sys/socket.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "core/chainserver.h"
#include "core/httplistener.h"
#include "core/pow.h"
#include "httptestclient.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr int Difficulty = 2;
constexpr int Wait = 10'000;   // ms, for every network wait
}

class TestLongPoll final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void lastBlockAnnouncesTheLongPoll();
    void otherHashIsAnsweredAtOnce();
    void waitEndsOnANewBlock();
    void waitEndsOnItsTimeout();
    void badWaitIs400_data();
    void badWaitIs400();
    void waitersAreCappedAndLeaveRoom();
    void waitersAreNeverTakenForIdle();
    void goneWaiterIsForgotten();
    void halfClosedWaiterIsAnsweredAtOnce();
    void requestPipelinedAfterAWaitWaitsItsTurn();
    void headWaitsToo();
    void pushOffAnswersAsClassic();
    void closeEndsWaits();
    void failedCommitMovesTheTipBack();
    void timeoutsResumeAfterAWait();
    void closingWaitersStillCount();
    void pipelinedMineAfterAWaitIsNotNested();

private:
    ChainServer *startServer(ChainServer::Config config = {});
    QByteArray tipHash() const { return m_server->chain().lastBlock().hash(); }
    QByteArray classicAnswer(const ChainServer *server = nullptr) const;
    QByteArray waitRequest(const QByteArray &hash) const;
    bool forge();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::vector<std::unique_ptr<ChainServer>> m_servers;
    ChainServer *m_server = nullptr;
    quint16 m_port = 0;
};

void TestLongPoll::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_server = startServer();
    QVERIFY(m_server);
    m_port = m_server->port();
}

void TestLongPoll::cleanup()
{
    m_servers.clear();
    m_server = nullptr;
    m_dir.reset();
}

ChainServer *TestLongPoll::startServer(ChainServer::Config config)
{
    config.databasePath = m_dir->filePath(u"chain%1.db"_s.arg(m_servers.size()));
    config.difficulty = Difficulty;
    auto server = std::make_unique<ChainServer>(config);
    const Result<void> opened = server->open();
    if (!opened || !server->listen(QHostAddress::LocalHost, 0)) {
        qWarning("server: %s %s", qPrintable(opened.errorMessage()),
                 qPrintable(server->errorString()));
        return nullptr;
    }
    m_servers.push_back(std::move(server));
    return m_servers.back().get();
}

// What the classic server answers to GET /last_block, byte for byte.
QByteArray TestLongPoll::classicAnswer(const ChainServer *server) const
{
    const Chain &chain = (server ? server : m_server)->chain();
    return "{\"last_block\": " + chain.lastBlockString() + ", \"difficulty\": "
        + QByteArray::number(chain.difficulty()) + "}";
}

QByteArray TestLongPoll::waitRequest(const QByteArray &hash) const
{
    return HttpTestClient::request("GET"_ba, "/last_block?wait=" + hash);
}

// Forges the next block through POST /mine on its own connection.
bool TestLongPoll::forge()
{
    const auto proof = Pow::search(m_server->chain().lastBlockString(), Difficulty, 0, 1'000'000);
    if (!proof)
        return false;
    const qint64 length = m_server->chain().length();
    HttpTestClient miner(m_port);
    miner.send(HttpTestClient::request(
        "POST"_ba, "/mine"_ba, CanonicalJson::dump(Json{{"proof", *proof}, {"id", "alice"}})));
    if (!QTest::qWaitFor([&] { return miner.answers().size() == 1; }, Wait))
        return false;
    return miner.answers().front().status == 200 && m_server->chain().length() == length + 1;
}

void TestLongPoll::lastBlockAnnouncesTheLongPoll()
{
    HttpTestClient client(m_port);
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    const HttpTestClient::Answer answer = client.answers().front();
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.header(ChainServer::WaitHeader), "30"_ba);
    QCOMPARE(answer.body, classicAnswer());   // the classic body, untouched
}

void TestLongPoll::otherHashIsAnsweredAtOnce()
{
    HttpTestClient client(m_port);
    client.send(waitRequest(QByteArray(64, '0')));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QCOMPARE(client.answers().front().status, 200);
    QCOMPARE(client.answers().front().body, classicAnswer());
    QCOMPARE(m_server->waiterCount(), 0);
    // Upper-case hex names the same hash.
    QVERIFY(forge());
    client.send(waitRequest(tipHash().toUpper()));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, Wait);
    QCOMPARE(client.answers().size(), 1u);
}

void TestLongPoll::waitEndsOnANewBlock()
{
    const QByteArray genesis = tipHash();
    std::vector<std::unique_ptr<HttpTestClient>> clients;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<HttpTestClient>(m_port));
        clients.back()->send(waitRequest(genesis));
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 5, Wait);
    QTest::qWait(200);
    for (const auto &client : clients)
        QVERIFY(client->received().isEmpty());   // they wait

    QSignalSpy tip(m_server, &ChainServer::tipChanged);
    QVERIFY(forge());
    QCOMPARE(tip.size(), 1);
    QCOMPARE(tip.front().at(0).value<Block>().hash(), tipHash());
    QCOMPARE(tip.front().at(0).value<Block>().index(), 2);
    for (const auto &client : clients) {
        QTRY_COMPARE_WITH_TIMEOUT(client->answers().size(), 1u, Wait);
        QCOMPARE(client->answers().front().status, 200);
        QCOMPARE(client->answers().front().body, classicAnswer());   // block 2
        QCOMPARE(client->answers().front().header(ChainServer::WaitHeader), "30"_ba);
        QVERIFY(client->isConnected());   // kept alive: the next wait goes on it
    }
    QCOMPARE(m_server->waiterCount(), 0);

    // A second round on the same connections.
    for (const auto &client : clients)
        client->send(waitRequest(tipHash()));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 5, Wait);
    QVERIFY(forge());
    for (const auto &client : clients) {
        QTRY_COMPARE_WITH_TIMEOUT(client->answers().size(), 2u, Wait);
        QCOMPARE(client->answers().back().body, classicAnswer());   // block 3
    }
}

void TestLongPoll::waitEndsOnItsTimeout()
{
    ChainServer::Config config;
    config.longPollTimeoutMs = 400;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    HttpTestClient client(server->port());
    QElapsedTimer clock;
    clock.start();
    client.send(waitRequest(server->chain().lastBlock().hash()));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QVERIFY2(clock.elapsed() >= 350, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(client.answers().front().status, 200);
    QCOMPARE(client.answers().front().body, classicAnswer(server));   // unchanged
    QCOMPARE(client.answers().front().header(ChainServer::WaitHeader), "0.4"_ba);
    QCOMPARE(server->waiterCount(), 0);
    // Waits beyond the request timeout are not taken for a client that does not read.
    ChainServer::Config longer;
    longer.longPollTimeoutMs = 1500;
    longer.requestTimeoutMs = 500;
    ChainServer *patient = startServer(longer);
    QVERIFY(patient);
    HttpTestClient slow(patient->port());
    slow.send(waitRequest(patient->chain().lastBlock().hash()));
    QTRY_COMPARE_WITH_TIMEOUT(slow.answers().size(), 1u, Wait);
    QCOMPARE(slow.answers().front().status, 200);
    QVERIFY(slow.isConnected());
}

void TestLongPoll::badWaitIs400_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::newRow("empty") << "wait="_ba;
    QTest::newRow("bare") << "wait"_ba;
    QTest::newRow("short") << "wait=abc"_ba;
    QTest::newRow("not hex") << ("wait=" + QByteArray(64, 'g'));
    QTest::newRow("too long") << ("wait=" + QByteArray(65, '0'));
    QTest::newRow("escaped newline") << ("wait=%0A" + QByteArray(62, '0'));
}

void TestLongPoll::badWaitIs400()
{
    QFETCH(QByteArray, query);
    HttpTestClient client(m_port);
    client.send(HttpTestClient::request("GET"_ba, "/last_block?" + query));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QCOMPARE(client.answers().front().status, 400);
    QCOMPARE(client.answers().front().body,
             "{\"message\": \"\\\"wait\\\" must be the hash of the last block you have: 64 hex"
             " digits\"}"_ba);
    QCOMPARE(m_server->waiterCount(), 0);
}

void TestLongPoll::waitersAreCappedAndLeaveRoom()
{
    ChainServer::Config config;
    config.maxConnections = 6;   // at most 3 waiters
    config.maxWaiters = 100;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    QCOMPARE(server->maxWaiters(), 3);
    const QByteArray hash = server->chain().lastBlock().hash();
    std::vector<std::unique_ptr<HttpTestClient>> waiters;
    for (int i = 0; i < 3; ++i) {
        waiters.push_back(std::make_unique<HttpTestClient>(server->port()));
        waiters.back()->send(waitRequest(hash));
        QTRY_COMPARE_WITH_TIMEOUT(server->waiterCount(), i + 1, Wait);
    }
    HttpTestClient refused(server->port());
    refused.send(waitRequest(hash));
    QTRY_COMPARE_WITH_TIMEOUT(refused.answers().size(), 1u, Wait);
    QCOMPARE(refused.answers().front().status, 503);
    QCOMPARE(refused.answers().front().body,
             "{\"message\": \"Too many clients are waiting for a new block (3): poll GET"
             " /last_block without \\\"wait\\\"\"}"_ba);
    // Ordinary requests still get connections and answers, many times over.
    for (int i = 0; i < 10; ++i) {
        HttpTestClient ordinary(server->port());
        ordinary.send(HttpTestClient::request("GET"_ba, "/last_block"_ba, {},
                                              "Connection: close\r\n"_ba));
        QTRY_COMPARE_WITH_TIMEOUT(ordinary.answers().size(), 1u, Wait);
        QCOMPARE(ordinary.answers().front().status, 200);
    }
    for (const auto &waiter : waiters) {
        QVERIFY(waiter->isConnected());
        QVERIFY(waiter->received().isEmpty());
    }
    QCOMPARE(server->waiterCount(), 3);
}

void TestLongPoll::waitersAreNeverTakenForIdle()
{
    ChainServer::Config config;
    config.maxConnections = 4;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    const QByteArray hash = server->chain().lastBlock().hash();
    std::vector<std::unique_ptr<HttpTestClient>> waiters;
    for (int i = 0; i < 2; ++i) {
        waiters.push_back(std::make_unique<HttpTestClient>(server->port()));
        waiters.back()->send(waitRequest(hash));
        QTRY_COMPARE_WITH_TIMEOUT(server->waiterCount(), i + 1, Wait);
    }
    HttpTestClient idle(server->port());   // the only idle connection, newer than the waiters
    QTRY_COMPARE_WITH_TIMEOUT(server->listener()->connectionCount(), 3, Wait);
    HttpTestClient busy(server->port());
    busy.send("POST /transactions/new HTTP/1.1\r\nContent-Length: 2\r\n\r\n"_ba);   // mid-request
    QTRY_COMPARE_WITH_TIMEOUT(server->listener()->connectionCount(), 4, Wait);
    QTest::qWait(100);
    HttpTestClient newcomer(server->port());
    newcomer.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(newcomer.answers().size(), 1u, Wait);
    QCOMPARE(newcomer.answers().front().status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(idle.isClosed(), Wait);   // the idle one made room
    for (const auto &waiter : waiters)
        QVERIFY(waiter->isConnected());
    QCOMPARE(server->waiterCount(), 2);
}

void TestLongPoll::goneWaiterIsForgotten()
{
    {
        HttpTestClient client(m_port);
        client.send(waitRequest(tipHash()));
        QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, Wait);
        client.socket().abort();
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 0, Wait);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->listener()->connectionCount(), 0, Wait);
    QVERIFY(forge());   // nobody left to answer: no trouble
}

void TestLongPoll::halfClosedWaiterIsAnsweredAtOnce()
{
    HttpTestClient client(m_port);
    client.send(waitRequest(tipHash()));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, Wait);
    QVERIFY(client.socket().flush() || client.socket().bytesToWrite() == 0);
    QCOMPARE(::shutdown(static_cast<int>(client.socket().socketDescriptor()), SHUT_WR), 0);
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QCOMPARE(client.answers().front().status, 200);
    QCOMPARE(client.answers().front().body, classicAnswer());
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 0, Wait);

    // Sent and half-closed in one go: answered at once too.
    HttpTestClient quick(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(quick.isConnected(), Wait);
    quick.send(waitRequest(tipHash()));
    QVERIFY(quick.socket().waitForBytesWritten(Wait) || quick.socket().bytesToWrite() == 0);
    QCOMPARE(::shutdown(static_cast<int>(quick.socket().socketDescriptor()), SHUT_WR), 0);
    QTRY_COMPARE_WITH_TIMEOUT(quick.answers().size(), 1u, Wait);
    QCOMPARE(quick.answers().front().body, classicAnswer());
}

void TestLongPoll::requestPipelinedAfterAWaitWaitsItsTurn()
{
    HttpTestClient client(m_port);
    client.send(waitRequest(tipHash()) + HttpTestClient::request("GET"_ba, "/chain?limit=1"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, Wait);
    QTest::qWait(200);
    QVERIFY(client.received().isEmpty());
    QVERIFY(forge());
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 2u, Wait);
    QCOMPARE(client.answers()[0].body, classicAnswer());
    QVERIFY(client.answers()[1].body.startsWith("{\"chain\": ["));
    QVERIFY(client.isConnected());
}

void TestLongPoll::headWaitsToo()
{
    HttpTestClient client(m_port);
    client.send("HEAD /last_block?wait=" + tipHash() + " HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, Wait);
    QVERIFY(forge());
    QTRY_VERIFY_WITH_TIMEOUT(client.received().endsWith("\r\n\r\n"), Wait);
    QVERIFY(client.received().startsWith("HTTP/1.1 200 OK\r\n"));
    const QByteArray length =
        "Content-Length: " + QByteArray::number(classicAnswer().size()) + "\r\n";
    QVERIFY(client.received().contains(length));
}

void TestLongPoll::pushOffAnswersAsClassic()
{
    ChainServer::Config config;
    config.longPollTimeoutMs = 0;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    HttpTestClient client(server->port());
    client.send(waitRequest(server->chain().lastBlock().hash()));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QCOMPARE(client.answers().front().status, 200);
    QCOMPARE(client.answers().front().header(ChainServer::WaitHeader), QByteArray());
    QCOMPARE(client.answers().front().body, classicAnswer(server));
    QCOMPARE(server->waiterCount(), 0);
}

void TestLongPoll::closeEndsWaits()
{
    std::vector<std::unique_ptr<HttpTestClient>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<HttpTestClient>(m_port));
        clients.back()->send(waitRequest(tipHash()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 3, Wait);
    m_server->close();
    QCOMPARE(m_server->waiterCount(), 0);
    for (const auto &client : clients)
        QTRY_VERIFY_WITH_TIMEOUT(client->isClosed(), Wait);
}

void TestLongPoll::failedCommitMovesTheTipBack()
{
    // Waiters learn of a block while it is committed; a commit that fails (here a
    // trigger refuses the row) moves the tip back, and whoever waits on the lost block
    // is answered at once with the real one.
    const QByteArray genesis = tipHash();
    const QByteArray genesisAnswer = classicAnswer();
    HttpTestClient waiter(m_port);
    waiter.send(waitRequest(genesis));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, Wait);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"saboteur"_s);
        db.setDatabaseName(m_dir->filePath(u"chain0.db"_s));
        QVERIFY(db.open());
        QSqlQuery query(db);
        QVERIFY2(query.exec(u"CREATE TRIGGER refuse BEFORE INSERT ON blocks"
                             " BEGIN SELECT RAISE(FAIL, 'disk on fire'); END"_s),
                 qPrintable(query.lastError().text()));
    }
    QSqlDatabase::removeDatabase(u"saboteur"_s);
    QSignalSpy tip(m_server, &ChainServer::tipChanged);
    QVERIFY(!forge());
    QCOMPARE(m_server->chain().length(), 1);
    QCOMPARE(tip.size(), 2);   // forward, then back
    QCOMPARE(tip.back().at(0).value<Block>().hash(), genesis);
    QTRY_COMPARE_WITH_TIMEOUT(waiter.answers().size(), 1u, Wait);
    const Result<Json> told = CanonicalJson::parse(waiter.answers().front().body);
    QVERIFY(told && told->contains("last_block"));
    const Result<Block> lost = Block::fromJson(told->at("last_block"));
    QVERIFY(lost);
    QCOMPARE(lost->index(), 2);
    waiter.send(waitRequest(lost->hash()));
    QTRY_COMPARE_WITH_TIMEOUT(waiter.answers().size(), 2u, Wait);
    QCOMPARE(waiter.answers().back().body, genesisAnswer);
    QCOMPARE(m_server->waiterCount(), 0);
}

void TestLongPoll::timeoutsResumeAfterAWait()
{
    // While only a long poll is open nothing is swept for timeouts; once it is answered,
    // its connection is idle and is closed after the idle timeout as any other.
    ChainServer::Config config;
    config.longPollTimeoutMs = 300;
    config.idleTimeoutMs = 400;
    config.requestTimeoutMs = 400;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    HttpTestClient waiter(server->port());
    waiter.send(waitRequest(server->chain().lastBlock().hash()));
    QTRY_COMPARE_WITH_TIMEOUT(server->waiterCount(), 1, Wait);
    QTest::qWait(150);   // longer than a sweep interval: the sweep has stopped
    QVERIFY(waiter.isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(waiter.answers().size(), 1u, Wait);
    QTRY_VERIFY_WITH_TIMEOUT(waiter.isClosed(), Wait);   // idle, then closed
    QCOMPARE(waiter.answers().size(), 1u);
}

void TestLongPoll::closingWaitersStillCount()
{
    // A wait sent with "Connection: close" holds its connection as long as any other:
    // it counts against the cap until it is answered.
    ChainServer::Config config;
    config.maxConnections = 4;   // 2 waiters at most
    ChainServer *server = startServer(config);
    QVERIFY(server);
    const QByteArray hash = server->chain().lastBlock().hash();
    std::vector<std::unique_ptr<HttpTestClient>> waiters;
    for (int i = 0; i < 2; ++i) {
        waiters.push_back(std::make_unique<HttpTestClient>(server->port()));
        waiters.back()->send(HttpTestClient::request("GET"_ba, "/last_block?wait=" + hash, {},
                                                     "Connection: close\r\n"_ba));
        QTRY_COMPARE_WITH_TIMEOUT(server->waiterCount(), i + 1, Wait);
    }
    std::vector<std::unique_ptr<HttpTestClient>> idle;
    for (int i = 0; i < 2; ++i) {
        idle.push_back(std::make_unique<HttpTestClient>(server->port()));
        QTRY_COMPARE_WITH_TIMEOUT(server->listener()->connectionCount(), 3 + i, Wait);
    }
    HttpTestClient newcomer(server->port());
    newcomer.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(newcomer.answers().size(), 1u, Wait);
    QCOMPARE(newcomer.answers().front().status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(idle.front()->isClosed(), Wait);   // made room: still 4
    QCOMPARE(server->listener()->connectionCount(), 4);
    for (const auto &waiter : waiters)
        QVERIFY(waiter->isConnected());
}

void TestLongPoll::pipelinedMineAfterAWaitIsNotNested()
{
    // A waiter pipelines a valid proof after its wait; another client forges the block
    // first. The waiter's proof is handled after that block is committed: stale, unless
    // (one time in 256) it is also valid for the block just forged, and then it rightly
    // wins the next one.
    const QByteArray genesis = tipHash();
    const auto proof = Pow::search(m_server->chain().lastBlockString(), Difficulty, 0, 1'000'000);
    QVERIFY(proof);
    const QByteArray body = CanonicalJson::dump(Json{{"proof", *proof}, {"id", "bob"}});
    HttpTestClient waiter(m_port);
    waiter.send(waitRequest(genesis) + HttpTestClient::request("POST"_ba, "/mine"_ba, body));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, Wait);
    QVERIFY(forge());
    QTRY_COMPARE_WITH_TIMEOUT(waiter.answers().size(), 2u, Wait);
    const QByteArray second = m_server->chain().blocks().at(1).blockString();
    QCOMPARE(waiter.answers()[0].body, "{\"last_block\": " + second + ", \"difficulty\": "
                                           + QByteArray::number(Difficulty) + "}");
    const bool alsoValid = Pow::validProof(second, *proof, Difficulty);
    QCOMPARE(waiter.answers()[1].status, alsoValid ? 200 : 409);
    QCOMPARE(m_server->chain().length(), alsoValid ? 3 : 2);
}

QTEST_GUILESS_MAIN(TestLongPoll)
#include "tst_longpoll.moc"
