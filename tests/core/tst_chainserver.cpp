#include <memory>

#include <sys/socket.h>

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QSqlDatabase>
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

struct Reply
{
    int status = 0;
    QByteArray contentType;
    QByteArray body;
    QJsonObject json;
};
}

class TestChainServer final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void lastBlockAnswersGenesis();
    void chainAnswersAllBlocks();
    void chainPages();
    void unknownPathIs404();
    void wrongMethodIs405_data();
    void wrongMethodIs405();
    void mineRejectsBadInput_data();
    void mineRejectsBadInput();
    void mineRejectsInvalidProof();
    void idIsCountedInCodePoints();
    void newTransaction();
    void newTransactionRejectsBadInput_data();
    void newTransactionRejectsBadInput();
    void transactionsHaveByteBudgets();
    void storedPendingOverBudgetDrains();
    void fullMiningRound();
    void restartKeepsChainAndPending();
    void tamperedDatabaseIsRefused();
    void firstValidProofWins_data();
    void firstValidProofWins();
    void bodyOverLimitIs413();
    void hugeAnnouncedLengthIs413WithoutBody();
    void expectContinueGetsInterimAnswer();
    void garbageRequestIsAnswered_data();
    void garbageRequestIsAnswered();
    void connectionCloseIsHonoured_data();
    void connectionCloseIsHonoured();
    void keepAliveAndPipelining();
    void pipelinedCloseAnswersEarlierRequests();
    void pipelinedExpectContinueComesInOrder();
    void slowRequestTimesOut();
    void idleConnectionIsClosed();
    void connectionCapAnswers503();
    void idleConnectionsMakeRoom();
    void headAnswersWithoutBody();
    void clientNotReadingIsDropped();
    void chainIsWrittenAsTheClientReads();
    void halfClosedRequestsAreAnswered_data();
    void halfClosedRequestsAreAnswered();
    void upgradeGetsOneAnswer();
    void mixedLineEndingsInOnePipeline();
    void serverKeepsServingAfterBadInput();
    void twoServersInOneProcess();
    void requestServedReportsEachRequest();
    void requestServedEscapesClientText();
    void listenFailureIsReported();
    void closeStopsAndOpenResumes();

private:
    ChainServer *startServer(ChainServer::Config config = {});
    Reply get(const QString &path, quint16 port = 0);
    Reply post(const QString &path, const QByteArray &body, quint16 port = 0);
    Reply send(const QByteArray &verb, const QString &path, const QByteArray &body, quint16 port);
    QByteArray lastBlockString(quint16 port = 0);
    std::uint64_t validProof(std::uint64_t from = 0);
    std::uint64_t invalidProof();
    static QByteArray mineBody(std::uint64_t proof, const QString &id);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::vector<std::unique_ptr<ChainServer>> m_servers;
    QNetworkAccessManager *m_network = nullptr;   // child of this
    ChainServer *m_server = nullptr;              // the first of m_servers
    quint16 m_port = 0;
};

void TestChainServer::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    m_network->clearConnectionCache();
    m_server = startServer();
    QVERIFY(m_server);
    m_port = m_server->port();
}

void TestChainServer::cleanup()
{
    m_network->clearConnectionCache();
    m_servers.clear();
    m_server = nullptr;
    m_dir.reset();
}

ChainServer *TestChainServer::startServer(ChainServer::Config config)
{
    if (config.databasePath.isEmpty())
        config.databasePath = m_dir->filePath(u"chain%1.db"_s.arg(m_servers.size()));
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

Reply TestChainServer::send(const QByteArray &verb, const QString &path, const QByteArray &body,
                            quint16 port)
{
    QNetworkRequest request(QUrl(u"http://127.0.0.1:%1%2"_s.arg(port ? port : m_port).arg(path)));
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
    result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    result.body = reply->readAll();
    result.json = QJsonDocument::fromJson(result.body).object();
    reply->deleteLater();
    return result;
}

Reply TestChainServer::get(const QString &path, quint16 port)
{
    return send("GET"_ba, path, QByteArray(), port);
}

Reply TestChainServer::post(const QString &path, const QByteArray &body, quint16 port)
{
    return send("POST"_ba, path, body, port);
}

QByteArray TestChainServer::lastBlockString(quint16 port)
{
    const Reply reply = get(u"/last_block"_s, port);
    const Result<Json> json = CanonicalJson::parse(reply.body);
    if (!json || !json->contains("last_block"))
        return QByteArray();
    const Result<Block> block = Block::fromJson(json->at("last_block"));
    return block ? block->blockString() : QByteArray();
}

std::uint64_t TestChainServer::validProof(std::uint64_t from)
{
    const auto proof = Pow::search(m_server->chain().lastBlockString(), Difficulty, from, 1'000'000);
    return proof ? *proof : 0;
}

std::uint64_t TestChainServer::invalidProof()
{
    // Neither valid for the last block nor a late proof for one before it.
    std::uint64_t proof = 1;
    while (m_server->chain().isValidProof(proof) || m_server->chain().staleBlockFor(proof))
        ++proof;
    return proof;
}

QByteArray TestChainServer::mineBody(std::uint64_t proof, const QString &id)
{
    return CanonicalJson::dump(Json{{"proof", proof}, {"id", id.toStdString()}});
}

void TestChainServer::lastBlockAnswersGenesis()
{
    const Reply reply = get(u"/last_block"_s);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.contentType, "application/json"_ba);
    QCOMPARE(reply.json.value(u"difficulty"_s).toInt(), Difficulty);
    const QJsonObject block = reply.json.value(u"last_block"_s).toObject();
    QCOMPARE(block.value(u"index"_s).toInt(), 1);
    QCOMPARE(block.value(u"proof"_s).toInt(), 100);
    QCOMPARE(block.value(u"previous_hash"_s).toInt(), 1);
    QVERIFY(block.value(u"transactions"_s).toArray().isEmpty());
    // Served in canonical form: the client hashes what the server hashes.
    QCOMPARE(lastBlockString(), m_server->chain().lastBlockString());
}

void TestChainServer::chainAnswersAllBlocks()
{
    const Reply reply = get(u"/chain"_s);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, m_server->chain().toWire());
    QCOMPARE(reply.json.value(u"length"_s).toInt(), 1);
    QCOMPARE(reply.json.value(u"chain"_s).toArray().size(), 1);
}

void TestChainServer::chainPages()
{
    for (int i = 0; i < 5; ++i)
        QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"pager"_s)).status, 200);
    // The classic shape, kept up to date block by block.
    Reply reply = get(u"/chain"_s);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, m_server->chain().toWire());

    reply = get(u"/chain?start=2&limit=2"_s);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json.value(u"length"_s).toInt(), 6);
    QCOMPARE(reply.json.value(u"start"_s).toInt(), 2);
    QCOMPARE(reply.json.value(u"limit"_s).toInt(), 2);
    const QJsonArray page = reply.json.value(u"chain"_s).toArray();
    QCOMPARE(page.size(), 2);
    QCOMPARE(page.at(0).toObject().value(u"index"_s).toInt(), 2);
    QCOMPARE(page.at(1).toObject().value(u"index"_s).toInt(), 3);
    // Pages are cut from the canonical text: each block parses back to the same string.
    const auto json = CanonicalJson::parse(reply.body);
    QVERIFY(json);
    QCOMPARE(CanonicalJson::dump((*json)["chain"][1]), m_server->chain().blocks()[2].blockString());

    reply = get(u"/chain?start=5"_s);   // the last two blocks
    QCOMPARE(reply.json.value(u"chain"_s).toArray().size(), 2);
    QCOMPARE(reply.json.value(u"chain"_s).toArray().at(1).toObject().value(u"index"_s).toInt(), 6);
    reply = get(u"/chain?start=99"_s);
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.json.value(u"chain"_s).toArray().isEmpty());

    for (const QString &bad : {u"/chain?start=0"_s, u"/chain?start=x"_s, u"/chain?limit=0"_s,
                               u"/chain?limit=1001"_s, u"/chain?start=1&limit=-3"_s}) {
        reply = get(bad);
        QCOMPARE(reply.status, 400);
        QVERIFY2(reply.json.value(u"message"_s).toString().contains(u"must be"_s), qPrintable(bad));
    }

    // After a restart the text is rebuilt from the stored chain, identically.
    const QByteArray before = m_server->chain().toWire();
    m_network->clearConnectionCache();
    m_servers.clear();
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain0.db"_s);
    m_server = startServer(config);
    QVERIFY(m_server);
    m_port = m_server->port();
    QCOMPARE(get(u"/chain"_s).body, before);
}

void TestChainServer::unknownPathIs404()
{
    for (const QString &path : {u"/"_s, u"/nope"_s, u"/last_block/x"_s, u"/mine2"_s}) {
        const Reply reply = get(path);
        QCOMPARE(reply.status, 404);
        QCOMPARE(reply.contentType, "application/json"_ba);
        QCOMPARE(reply.json.value(u"message"_s).toString(), u"Not found: "_s + path);
    }
}

void TestChainServer::wrongMethodIs405_data()
{
    QTest::addColumn<QByteArray>("verb");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("allow");
    QTest::newRow("POST /last_block") << "POST"_ba << u"/last_block"_s << "GET, HEAD"_ba;
    QTest::newRow("DELETE /chain") << "DELETE"_ba << u"/chain"_s << "GET, HEAD"_ba;
    QTest::newRow("GET /mine") << "GET"_ba << u"/mine"_s << "POST"_ba;
    QTest::newRow("PUT /transactions/new") << "PUT"_ba << u"/transactions/new"_s << "POST"_ba;
}

void TestChainServer::wrongMethodIs405()
{
    QFETCH(QByteArray, verb);
    QFETCH(QString, path);
    QFETCH(QByteArray, allow);
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send(HttpTestClient::request(verb, path.toLatin1(), verb == "GET" ? ""_ba : "{}"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    const HttpTestClient::Answer answer = client.answers().front();
    QCOMPARE(answer.status, 405);
    QCOMPARE(answer.header("Allow"), allow);
    QCOMPARE(answer.header("Content-Type"), "application/json"_ba);
    QVERIFY2(answer.body.contains("is not allowed on"), answer.body.constData());
}

void TestChainServer::mineRejectsBadInput_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << QByteArray() << u"Malformed JSON body"_s;
    QTest::newRow("malformed") << "{\"proof\": 1,"_ba << u"Malformed JSON body"_s;
    QTest::newRow("trailing bytes") << "{\"proof\": 1, \"id\": \"a\"} x"_ba
                                    << u"Malformed JSON body"_s;
    QTest::newRow("array") << "[1, 2]"_ba << u"The body must be a JSON object"_s;
    QTest::newRow("string") << "\"mine\""_ba << u"The body must be a JSON object"_s;
    QTest::newRow("no proof") << "{\"id\": \"a\"}"_ba << u"Missing field \"proof\""_s;
    QTest::newRow("no id") << "{\"proof\": 1}"_ba << u"Missing field \"id\""_s;
    QTest::newRow("float proof") << "{\"proof\": 5.0, \"id\": \"a\"}"_ba
                                 << u"\"proof\" must be a non-negative integer, not a float"_s;
    QTest::newRow("negative proof") << "{\"proof\": -1, \"id\": \"a\"}"_ba
                                    << u"not negative"_s;
    QTest::newRow("proof 2^63") << "{\"proof\": 9223372036854775808, \"id\": \"a\"}"_ba
                                << u"\"proof\" is too large"_s;
    QTest::newRow("huge proof") << "{\"proof\": 123456789012345678901234567890, \"id\": \"a\"}"_ba
                                << u"does not fit in 64 bits"_s;
    QTest::newRow("string proof") << "{\"proof\": \"5\", \"id\": \"a\"}"_ba
                                  << u"\"proof\" must be a non-negative integer, not a string"_s;
    QTest::newRow("bool proof") << "{\"proof\": true, \"id\": \"a\"}"_ba
                                << u"not a boolean"_s;
    QTest::newRow("numeric id") << "{\"proof\": 1, \"id\": 7}"_ba
                                << u"\"id\" must be a string, not a number"_s;
    QTest::newRow("blank id") << "{\"proof\": 1, \"id\": \" \\n\\t\"}"_ba << u"\"id\" is blank"_s;
    QTest::newRow("long id") << ("{\"proof\": 1, \"id\": \"" + QByteArray(65, 'x') + "\"}")
                             << u"\"id\" is longer than 64 characters"_s;
    QTest::newRow("not UTF-8") << "{\"proof\": 1, \"id\": \"\xff\xfe\"}"_ba
                               << u"Malformed JSON body"_s;
}

void TestChainServer::mineRejectsBadInput()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const Reply reply = post(u"/mine"_s, body);
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.contentType, "application/json"_ba);
    const QString text = reply.json.value(u"message"_s).toString();
    QVERIFY2(text.contains(message), qPrintable(text));
    QCOMPARE(m_server->chain().length(), 1);
}

void TestChainServer::mineRejectsInvalidProof()
{
    const Reply reply = post(u"/mine"_s, mineBody(invalidProof(), u"alice"_s));
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body, "{\"message\": \"Invalid proof\"}"_ba);
    QCOMPARE(m_server->chain().length(), 1);
    // An id of exactly 64 characters is fine.
    QCOMPARE(post(u"/mine"_s, mineBody(invalidProof(), QString(64, u'x'))).status, 400);
}

void TestChainServer::idIsCountedInCodePoints()
{
    // 64 emoji are 64 characters (128 UTF-16 units); 65 are too many.
    const QString rocket = u"\U0001f680"_s;
    const Reply tooLong = post(u"/mine"_s, mineBody(validProof(), rocket.repeated(65)));
    QCOMPARE(tooLong.status, 400);
    QCOMPARE(tooLong.json.value(u"message"_s).toString(),
             u"\"id\" is longer than 64 characters"_s);
    const Reply reply = post(u"/mine"_s, mineBody(validProof(), rocket.repeated(64)));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json.value(u"transactions"_s).toArray().last().toObject()
                 .value(u"recipient"_s).toString(), rocket.repeated(64));
}

void TestChainServer::newTransaction()
{
    const Reply reply = post(u"/transactions/new"_s,
                             "{\"sender\": \"alice\", \"recipient\": \"bob\", \"amount\": 5}"_ba);
    QCOMPARE(reply.status, 201);
    QCOMPARE(reply.json.value(u"message"_s).toString(),
             u"Transaction will be added to Block 2"_s);
    QCOMPARE(CanonicalJson::dump(m_server->chain().pendingTransactions()),
             "[{\"amount\": 5, \"recipient\": \"bob\", \"sender\": \"alice\"}]"_ba);
}

void TestChainServer::newTransactionRejectsBadInput_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");
    QTest::newRow("malformed") << "{\"sender\""_ba << u"Malformed JSON body"_s;
    QTest::newRow("array") << "[]"_ba << u"The body must be a JSON object"_s;
    QTest::newRow("no sender") << "{\"recipient\": \"b\", \"amount\": 1}"_ba
                               << u"Missing field \"sender\""_s;
    QTest::newRow("no recipient") << "{\"sender\": \"a\", \"amount\": 1}"_ba
                                  << u"Missing field \"recipient\""_s;
    QTest::newRow("no amount") << "{\"sender\": \"a\", \"recipient\": \"b\"}"_ba
                               << u"Missing field \"amount\""_s;
    QTest::newRow("numeric sender") << "{\"sender\": 1, \"recipient\": \"b\", \"amount\": 1}"_ba
                                    << u"\"sender\" must be a non-empty string"_s;
    QTest::newRow("string amount") << "{\"sender\": \"a\", \"recipient\": \"b\", \"amount\": \"1\"}"_ba
                                   << u"\"amount\" must be a number, not a string"_s;
}

void TestChainServer::newTransactionRejectsBadInput()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const Reply reply = post(u"/transactions/new"_s, body);
    QCOMPARE(reply.status, 400);
    const QString text = reply.json.value(u"message"_s).toString();
    QVERIFY2(text.contains(message), qPrintable(text));
    QVERIFY(m_server->chain().pendingTransactions().empty());
}

void TestChainServer::transactionsHaveByteBudgets()
{
    ChainServer::Config config;
    config.maxBlockBytes = 6 * 1024;   // 4 KiB of transactions
    ChainServer *server = startServer(config);
    QVERIFY(server);
    const qsizetype budget = config.maxBlockBytes - ChainServer::BlockReserve;
    QCOMPARE(server->chain().pendingBudget(), budget);
    const auto transaction = [](const QString &recipient) {
        return CanonicalJson::dump(
            Json{{"sender", "mallory"}, {"recipient", recipient.toStdString()}, {"amount", 1}});
    };
    // Non-ASCII text grows 3x when escaped: 1,400 characters take 8.4 KB in a block, over
    // the budget on their own although the body is 2.8 KB.
    Reply reply = post(u"/transactions/new"_s, transaction(QString(1400, u'\u00e9')),
                       server->port());
    QCOMPARE(reply.status, 413);
    QCOMPARE(reply.json.value(u"message"_s).toString(),
             u"The transaction takes 8453 bytes in a block, over the 4096 bytes a block holds for"
             " transactions"_s);
    // 200 characters escaped take 1,253 bytes: three fit, the fourth waits for a block.
    const QByteArray fits = transaction(QString(200, u'\u00e9'));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(post(u"/transactions/new"_s, fits, server->port()).status, 201);
    reply = post(u"/transactions/new"_s, fits, server->port());
    QCOMPARE(reply.status, 503);
    QCOMPARE(reply.json.value(u"message"_s).toString(),
             u"The next block is full (3759 of 4096 bytes of transactions pending): try again"
             " once it is forged"_s);
    QCOMPARE(server->chain().pendingTransactions().size(), 3u);

    // The largest block: a full pool, an id of 64 astral characters (12 bytes each once
    // escaped), the largest reward: the block string stays within the block budget.
    const std::uint64_t proof =
        *Pow::search(server->chain().lastBlockString(), Difficulty, 0, 1 << 20);
    reply = post(u"/mine"_s, mineBody(proof, u"\U0001f680"_s.repeated(64)), server->port());
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json.value(u"transactions"_s).toArray().size(), 4);
    QVERIFY(server->chain().lastBlockString().size() <= config.maxBlockBytes);
    QVERIFY(server->chain().lastBlockString().size() > budget);
    QVERIFY(server->chain().pendingTransactions().empty());
    QCOMPARE(post(u"/transactions/new"_s, fits, server->port()).status, 201);
}

void TestChainServer::storedPendingOverBudgetDrains()
{
    // A database from before byte budgets holding more pending transactions than a block
    // takes: nothing is lost, each new block takes what fits, the oldest first.
    QString path;
    {
        ChainServer::Config config;
        config.maxBlockBytes = 1 << 20;
        ChainServer *server = startServer(config);
        QVERIFY(server);
        path = server->config().databasePath;
        for (int i = 0; i < 12; ++i) {
            const QByteArray body = CanonicalJson::dump(
                Json{{"sender", "s"}, {"recipient", std::string(1000, 'r')}, {"amount", i}});
            QCOMPARE(post(u"/transactions/new"_s, body, server->port()).status, 201);
        }
        m_network->clearConnectionCache();
        m_servers.pop_back();
    }
    ChainServer::Config config;
    config.databasePath = path;
    config.maxBlockBytes = 6 * 1024 + 256;   // four of them per block
    ChainServer *server = startServer(config);
    QVERIFY(server);
    QCOMPARE(server->chain().pendingTransactions().size(), 12u);
    const QByteArray small = "{\"sender\": \"a\", \"recipient\": \"b\", \"amount\": 1}"_ba;
    QCOMPARE(post(u"/transactions/new"_s, small, server->port()).status, 503);
    int next = 0;
    for (int block = 0; block < 3; ++block) {
        const auto proof = Pow::search(server->chain().lastBlockString(), Difficulty, 0, 1 << 20);
        const Reply reply = post(u"/mine"_s, mineBody(*proof, u"m"_s), server->port());
        QCOMPARE(reply.status, 200);
        const QJsonArray transactions = reply.json.value(u"transactions"_s).toArray();
        QCOMPARE(transactions.size(), 5);
        for (int i = 0; i < 4; ++i)
            QCOMPARE(transactions[i].toObject().value(u"amount"_s).toInt(), next++);
        QVERIFY(server->chain().lastBlockString().size() <= config.maxBlockBytes);
        if (block == 0) {
            // What is left survives a restart.
            m_network->clearConnectionCache();
            m_servers.pop_back();
            server = startServer(config);
            QVERIFY(server);
            QCOMPARE(server->chain().pendingTransactions().size(), 8u);
        }
    }
    QVERIFY(server->chain().pendingTransactions().empty());
    QCOMPARE(next, 12);
}

void TestChainServer::fullMiningRound()
{
    QSignalSpy forged(m_server, &ChainServer::blockForged);
    QCOMPARE(post(u"/transactions/new"_s,
                  "{\"sender\": \"alice\", \"recipient\": \"bob\", \"amount\": 2.5}"_ba).status, 201);
    int staleChecked = 0;
    for (int round = 0; round < 3; ++round) {
        const QByteArray blockString = lastBlockString();
        QVERIFY(!blockString.isEmpty());
        const auto proof = Pow::search(blockString, Difficulty, 0, 1'000'000);
        QVERIFY(proof);
        const QByteArray previousHash = Block::fromWire(blockString)->hash();
        const Reply reply = post(u"/mine"_s, mineBody(*proof, u"miner-1\n"_s));
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.json.value(u"message"_s).toString(), u"New Block Forged"_s);
        QCOMPARE(reply.json.value(u"index"_s).toInt(), round + 2);
        QCOMPARE(reply.json.value(u"proof"_s).toInteger(), static_cast<qint64>(*proof));
        QCOMPARE(reply.json.value(u"previous_hash"_s).toString().toLatin1(), previousHash);
        QCOMPARE(reply.json.value(u"reward"_s).toInt(), 1);
        const QJsonArray transactions = reply.json.value(u"transactions"_s).toArray();
        QCOMPARE(transactions.size(), round == 0 ? 2 : 1);
        const QJsonObject reward = transactions.last().toObject();
        QCOMPARE(reward.value(u"sender"_s).toString(), u"0"_s);
        QCOMPARE(reward.value(u"recipient"_s).toString(), u"miner-1"_s);   // trimmed
        QCOMPARE(reward.value(u"amount"_s).toInt(), 1);
        QCOMPARE(forged.size(), round + 1);
        QCOMPARE(forged.last().at(0).value<Block>().index(), round + 2);

        // The same proof again: someone (here, us) was first. One time in 256 (difficulty
        // 2) the proof is also valid for the block it just made, and would rightly win the
        // next one; that round skips the check.
        if (Pow::validProof(m_server->chain().lastBlockString(), *proof, Difficulty))
            continue;
        const Reply again = post(u"/mine"_s, mineBody(*proof, u"miner-2"_s));
        QCOMPARE(again.status, 409);
        QCOMPARE(again.json.value(u"message"_s).toString(),
                 u"Stale proof: block %1 was already forged"_s.arg(round + 2));
        QCOMPARE(again.json.value(u"stale"_s).toBool(), true);
        QCOMPARE(again.json.value(u"index"_s).toInt(), round + 2);   // the block it was for
        ++staleChecked;
    }
    QVERIFY(staleChecked > 0);
    const Reply chain = get(u"/chain"_s);
    QCOMPARE(chain.json.value(u"length"_s).toInt(), 4);
    std::vector<Block> blocks;
    for (const QJsonValue &value : chain.json.value(u"chain"_s).toArray())
        blocks.push_back(*Block::fromWire(QJsonDocument(value.toObject()).toJson()));
    const Result<void> verified = Chain::verify(blocks, {0, Difficulty, Difficulty, Difficulty});
    QVERIFY2(verified, qPrintable(verified.errorMessage()));
    QVERIFY(m_server->chain().pendingTransactions().empty());
    QCOMPARE(get(u"/last_block"_s).json.value(u"last_block"_s).toObject().value(u"index"_s).toInt(), 4);
}

void TestChainServer::restartKeepsChainAndPending()
{
    QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"alice"_s)).status, 200);
    QCOMPARE(post(u"/transactions/new"_s,
                  "{\"sender\": \"a\", \"recipient\": \"b\", \"amount\": 1e-05}"_ba).status, 201);
    const QByteArray chainBefore = get(u"/chain"_s).body;
    const QByteArray lastBefore = get(u"/last_block"_s).body;
    const QByteArray pendingBefore = CanonicalJson::dump(m_server->chain().pendingTransactions());
    m_network->clearConnectionCache();
    m_servers.clear();

    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain0.db"_s);
    ChainServer *server = startServer(config);
    QVERIFY(server);
    QCOMPARE(get(u"/chain"_s, server->port()).body, chainBefore);
    QCOMPARE(get(u"/last_block"_s, server->port()).body, lastBefore);
    QCOMPARE(CanonicalJson::dump(server->chain().pendingTransactions()), pendingBefore);
    QCOMPARE(pendingBefore, "[{\"amount\": 1e-05, \"recipient\": \"b\", \"sender\": \"a\"}]"_ba);
}

void TestChainServer::tamperedDatabaseIsRefused()
{
    QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"alice"_s)).status, 200);
    QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"bob"_s)).status, 200);
    m_network->clearConnectionCache();
    m_servers.clear();
    const QString path = m_dir->filePath(u"chain0.db"_s);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"tamper"_s);
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery query(db);
        QVERIFY(query.exec(u"UPDATE blocks SET json = replace(json, '\"alice\"', '\"mallory\"')"
                           " WHERE height = 2"_s));
        QCOMPARE(query.numRowsAffected(), 1);
    }
    QSqlDatabase::removeDatabase(u"tamper"_s);

    ChainServer::Config config;
    config.databasePath = path;
    config.difficulty = Difficulty;
    ChainServer server(config);
    const Result<void> opened = server.open();
    QVERIFY(!opened);
    QVERIFY2(opened.errorMessage().contains(u"fails verification: block 3 has previous_hash"_s),
             qPrintable(opened.errorMessage()));
    QCOMPARE(server.errorString(), opened.errorMessage());
    QCOMPARE(server.listen(QHostAddress::LocalHost, 0), quint16(0));
}

void TestChainServer::firstValidProofWins_data()
{
    QTest::addColumn<bool>("differentProofs");
    QTest::newRow("same proof") << false;
    QTest::newRow("different proofs") << true;
}

void TestChainServer::firstValidProofWins()
{
    QFETCH(bool, differentProofs);
    constexpr int Clients = 32;
    const std::uint64_t first = validProof();
    const std::uint64_t second = validProof(first + 1);
    QVERIFY(second > first);
    QSignalSpy forged(m_server, &ChainServer::blockForged);

    std::vector<std::unique_ptr<HttpTestClient>> clients;
    for (int i = 0; i < Clients; ++i)
        clients.push_back(std::make_unique<HttpTestClient>(m_port));
    for (const auto &client : clients)
        QTRY_VERIFY_WITH_TIMEOUT(client->isConnected(), Wait);
    // Every request is on the wire before the server reads any of them.
    for (int i = 0; i < Clients; ++i) {
        const std::uint64_t proof = differentProofs && i % 2 ? second : first;
        clients[i]->send(HttpTestClient::request(
            "POST"_ba, "/mine"_ba, mineBody(proof, u"miner-%1\n"_s.arg(i))));
        clients[i]->socket().flush();
    }
    int ok = 0;
    int stale = 0;
    int late = 0;
    for (const auto &client : clients) {
        QTRY_COMPARE_WITH_TIMEOUT(client->answers().size(), 1u, Wait);
        const int status = client->answers().front().status;
        ok += status == 200;
        stale += status == 409;
        late += status == 400;
    }
    // One winner per block: the first valid proof wins block 2 and the others are stale.
    // One time in 256 (difficulty 2) a proof is also valid for the block just forged and
    // rightly wins the next one too: then each of those blocks still has one winner, and a
    // proof for the block two back is past the stale window at this difficulty (400).
    QVERIFY(ok >= 1);
    QCOMPARE(ok + stale + late, Clients);
    if (ok == 1)
        QCOMPARE(late, 0);
    QCOMPARE(forged.size(), ok);
    QCOMPARE(m_server->chain().length(), 1 + ok);
    const auto &blocks = m_server->chain().blocks();
    for (std::size_t i = 1; i < blocks.size(); ++i)
        QVERIFY(blocks[i].proof() == first || blocks[i].proof() == second);
    QVERIFY(Chain::verify(blocks, m_server->chain().difficulties()));
}

void TestChainServer::bodyOverLimitIs413()
{
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    const QByteArray proof = QByteArray::number(invalidProof());
    const QByteArray body =
        "{\"id\": \"" + QByteArray(70'000, 'x') + "\", \"proof\": " + proof + "}";
    client.send(HttpTestClient::request("POST"_ba, "/mine"_ba, body));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    const HttpTestClient::Answer answer = client.answers().front();
    QCOMPARE(answer.status, 413);
    QCOMPARE(answer.header("Connection"), "close"_ba);
    QCOMPARE(answer.body, "{\"message\": \"Request body of " + QByteArray::number(body.size())
                              + " bytes is over the 65536-byte limit\"}");
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
    QCOMPARE(get(u"/last_block"_s).status, 200);   // still serving

    // Exactly at the limit is read and judged on its content.
    const QByteArray start = "{\"id\": \"a\", \"proof\": " + proof;
    const QByteArray atLimit = start + QByteArray(65'536 - start.size() - 1, ' ') + "}";
    QCOMPARE(atLimit.size(), 65'536);
    const Reply reply = post(u"/mine"_s, atLimit);
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body, "{\"message\": \"Invalid proof\"}"_ba);
}

void TestChainServer::hugeAnnouncedLengthIs413WithoutBody()
{
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send("POST /mine HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000000\r\n\r\n"_ba);
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QCOMPARE(client.answers().front().status, 413);
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
}

void TestChainServer::expectContinueGetsInterimAnswer()
{
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    const QByteArray body = mineBody(invalidProof(), u"alice"_s);
    client.send("POST /mine HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + QByteArray::number(body.size()) + "\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(client.received(), "HTTP/1.1 100 Continue\r\n\r\n"_ba, Wait);
    client.send(body);
    QTRY_VERIFY_WITH_TIMEOUT(client.received().contains("Invalid proof"), Wait);
    QVERIFY(client.received().startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request"));

    // Over the limit with Expect: 413 at once, no 100.
    HttpTestClient big(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(big.isConnected(), Wait);
    big.send("POST /mine HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n"_ba);
    QTRY_COMPARE_WITH_TIMEOUT(big.answers().size(), 1u, Wait);
    QCOMPARE(big.answers().front().status, 413);
    QVERIFY(!big.received().contains("100 Continue"));
}

void TestChainServer::garbageRequestIsAnswered_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("answeredBefore");   // good requests before the bad one
    QTest::newRow("word") << "GARBAGE\r\n\r\n"_ba << 400 << 0;
    QTest::newRow("no version") << "GET /last_block\r\n\r\n"_ba << 400 << 0;
    QTest::newRow("HTTP/2") << "GET /last_block HTTP/2.0\r\n\r\n"_ba << 400 << 0;
    QTest::newRow("TLS hello") << "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n"_ba << 400 << 0;
    QTest::newRow("binary no newline") << QByteArray("\x00\x01\x02\x03 \x04", 6) << 400 << 0;
    QTest::newRow("control in target") << "GET /last\x01block HTTP/1.1\r\n\r\n"_ba << 400 << 0;
    QTest::newRow("bad header")
        << "GET /last_block HTTP/1.1\r\nno colon here\r\n\r\n"_ba << 400 << 0;
    QTest::newRow("control in header") << "GET /last_block HTTP/1.1\r\nX-A: b\x01c\r\n\r\n"_ba
                                       << 400 << 0;
    QTest::newRow("bad length")
        << "POST /mine HTTP/1.1\r\nContent-Length: -5\r\n\r\n"_ba << 400 << 0;
    QTest::newRow("two lengths")
        << "POST /mine HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"_ba << 400 << 0;
    QTest::newRow("chunked")
        << "POST /mine HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"_ba
        << 411 << 0;
    QTest::newRow("odd expectation")
        << "POST /mine HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}"_ba << 417 << 0;
    QTest::newRow("lowercase method") << "get /last_block HTTP/1.1\r\n\r\n"_ba << 501 << 0;
    QTest::newRow("unknown method") << "BREW /last_block HTTP/1.1\r\n\r\n"_ba << 501 << 0;
    QTest::newRow("TRACE") << "TRACE /last_block HTTP/1.1\r\n\r\n"_ba << 405 << 0;
    QTest::newRow("LF-only garbage after a CRLF request")
        << HttpTestClient::request("GET"_ba, "/last_block"_ba) + "GET /x\x7f HTTP/1.1\n\n"
        << 400 << 1;
    QTest::newRow("head too large")
        << "GET /last_block HTTP/1.1\r\nX-Big: " + QByteArray(20'000, 'a') + "\r\n\r\n" << 431 << 0;
}

void TestChainServer::garbageRequestIsAnswered()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    QFETCH(int, answeredBefore);
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send(bytes);
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
    // Requests before the bad one are answered; the bad one gets one answer, and closes.
    QCOMPARE(client.answers().size(), static_cast<std::size_t>(answeredBefore) + 1);
    const HttpTestClient::Answer answer = client.answers().back();
    QCOMPARE(answer.status, status);
    QCOMPARE(answer.header("Content-Type"), "application/json"_ba);
    QCOMPARE(answer.header("Connection"), "close"_ba);
    QVERIFY(QJsonDocument::fromJson(answer.body).object().contains(u"message"_s));
    QCOMPARE(get(u"/last_block"_s).status, 200);
}

void TestChainServer::connectionCloseIsHonoured_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("Connection: close")
        << "GET /last_block HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"_ba;
    QTest::newRow("HTTP/1.0") << "GET /last_block HTTP/1.0\r\n\r\n"_ba;
    QTest::newRow("HTTP/1.0 POST") << "POST /mine HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}"_ba;
}

void TestChainServer::connectionCloseIsHonoured()
{
    QFETCH(QByteArray, request);
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send(request);
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
    QCOMPARE(client.answers().size(), 1u);
    QVERIFY(client.answers().front().status == 200 || client.answers().front().status == 400);
}

void TestChainServer::keepAliveAndPipelining()
{
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    // HTTP/1.0 asking for keep-alive stays open too.
    client.send("GET /last_block HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"_ba);
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QCOMPARE(client.answers().front().header("Connection"), "keep-alive"_ba);
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba)
                + HttpTestClient::request("GET"_ba, "/nope"_ba)
                + HttpTestClient::request("POST"_ba, "/mine"_ba, "[]"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 4u, Wait);
    const std::vector<HttpTestClient::Answer> answers = client.answers();
    QCOMPARE(answers[1].status, 200);
    QCOMPARE(answers[2].status, 404);
    QCOMPARE(answers[3].status, 400);
    QVERIFY(client.isConnected());
}

void TestChainServer::pipelinedCloseAnswersEarlierRequests()
{
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    const QByteArray body = "{\"sender\": \"a\", \"recipient\": \"b\", \"amount\": 1}"_ba;
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba)
                + HttpTestClient::request("POST"_ba, "/transactions/new"_ba, body)
                + HttpTestClient::request("GET"_ba, "/chain"_ba, QByteArray(), "Connection: close\r\n"_ba)
                + HttpTestClient::request("GET"_ba, "/last_block"_ba));   // after the close
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
    const std::vector<HttpTestClient::Answer> answers = client.answers();
    QCOMPARE(answers.size(), 3u);
    QCOMPARE(answers[0].status, 200);
    QCOMPARE(answers[1].status, 201);
    QCOMPARE(answers[2].status, 200);
    QCOMPARE(answers[2].header("Connection"), "close"_ba);
    QVERIFY(answers[2].body.startsWith("{\"chain\": "));
    QCOMPARE(m_server->chain().pendingTransactions().size(), 1u);
}

void TestChainServer::pipelinedExpectContinueComesInOrder()
{
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    const QByteArray body = mineBody(invalidProof(), u"alice"_s);
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba)
                + "POST /mine HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + QByteArray::number(body.size()) + "\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(client.received().endsWith("HTTP/1.1 100 Continue\r\n\r\n"), Wait);
    QCOMPARE(client.answers().size(), 2u);   // the GET's answer came first
    QCOMPARE(client.answers()[0].status, 200);
    QCOMPARE(client.answers()[1].status, 100);
    client.send(body);
    QTRY_VERIFY_WITH_TIMEOUT(client.received().endsWith("{\"message\": \"Invalid proof\"}"), Wait);
    QVERIFY(client.isConnected());
}

void TestChainServer::slowRequestTimesOut()
{
    ChainServer::Config config;
    config.requestTimeoutMs = 300;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    HttpTestClient client(server->port());
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send("POST /mine HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"pro"_ba);   // and no more
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
    QCOMPARE(client.answers().size(), 1u);
    QCOMPARE(client.answers().front().status, 408);
    QCOMPARE(get(u"/last_block"_s, server->port()).status, 200);
}

void TestChainServer::idleConnectionIsClosed()
{
    ChainServer::Config config;
    config.idleTimeoutMs = 300;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    HttpTestClient client(server->port());
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
    QCOMPARE(client.answers().size(), 1u);   // closed quietly

    HttpTestClient silent(server->port());   // never sends a byte
    QTRY_VERIFY_WITH_TIMEOUT(silent.isConnected(), Wait);
    QTRY_VERIFY_WITH_TIMEOUT(silent.isClosed(), Wait);
}

void TestChainServer::connectionCapAnswers503()
{
    ChainServer::Config config;
    config.maxConnections = 3;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    // Three connections, each in the middle of a request (waiting for its body after
    // "100 Continue"): none can be closed.
    std::vector<std::unique_ptr<HttpTestClient>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<HttpTestClient>(server->port()));
        clients.back()->send("POST /transactions/new HTTP/1.1\r\nExpect: 100-continue\r\n"
                             "Content-Length: 2\r\n\r\n"_ba);
        QTRY_COMPARE_WITH_TIMEOUT(clients.back()->received(),
                                  "HTTP/1.1 100 Continue\r\n\r\n"_ba, Wait);
    }
    QCOMPARE(server->listener()->connectionCount(), 3);
    HttpTestClient extra(server->port());
    QTRY_COMPARE_WITH_TIMEOUT(extra.answers().size(), 1u, Wait);
    QCOMPARE(extra.answers().front().status, 503);
    QCOMPARE(extra.answers().front().body, "{\"message\": \"Too many open connections\"}"_ba);
    QTRY_VERIFY_WITH_TIMEOUT(extra.isClosed(), Wait);

    // One completes its request and is idle: the next newcomer takes its place.
    clients.front()->send("{}"_ba);
    QTRY_COMPARE_WITH_TIMEOUT(clients.front()->answers().size(), 2u, Wait);   // 100, then 400
    HttpTestClient next(server->port());
    next.send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(next.answers().size(), 1u, Wait);
    QCOMPARE(next.answers().front().status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(clients.front()->isClosed(), Wait);
    QCOMPARE(clients.front()->answers().size(), 2u);   // closed quietly, nothing lost
    for (std::size_t i = 1; i < clients.size(); ++i)
        QVERIFY(clients[i]->isConnected());
}

void TestChainServer::idleConnectionsMakeRoom()
{
    // Connections that send nothing do not lock newcomers out: at the cap, the one idle
    // the longest is closed to admit the next.
    ChainServer::Config config;
    config.maxConnections = 4;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    std::vector<std::unique_ptr<HttpTestClient>> idle;
    for (int i = 0; i < 4; ++i) {
        idle.push_back(std::make_unique<HttpTestClient>(server->port()));
        QTRY_VERIFY_WITH_TIMEOUT(idle.back()->isConnected(), Wait);
        QTRY_COMPARE_WITH_TIMEOUT(server->listener()->connectionCount(), i + 1, Wait);
    }
    std::vector<std::unique_ptr<HttpTestClient>> fresh;
    for (std::size_t i = 0; i < 3; ++i) {
        fresh.push_back(std::make_unique<HttpTestClient>(server->port()));
        fresh.back()->send(HttpTestClient::request("GET"_ba, "/last_block"_ba));
        QTRY_COMPARE_WITH_TIMEOUT(fresh.back()->answers().size(), 1u, Wait);
        QCOMPARE(fresh.back()->answers().front().status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(idle[i]->isClosed(), Wait);   // the oldest first
        QVERIFY(idle[3]->isConnected());
        QCOMPARE(server->listener()->connectionCount(), 4);
    }
    for (const auto &client : fresh)
        QVERIFY(client->isConnected());
}

void TestChainServer::headAnswersWithoutBody()
{
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send("HEAD /last_block HTTP/1.1\r\nHost: x\r\n\r\n"_ba
                + HttpTestClient::request("GET"_ba, "/last_block"_ba));
    QTRY_VERIFY_WITH_TIMEOUT(client.received().count("HTTP/1.1 200 OK") == 2
                                 && client.received().endsWith("}"), Wait);
    // The head announces the body GET sends, and no body follows it.
    const QByteArray body = get(u"/last_block"_s).body;
    const QByteArray head = client.received().first(client.received().indexOf("\r\n\r\n") + 4);
    const QByteArray length = "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    QVERIFY2(head.contains(length), head.constData());
    QCOMPARE(client.received().sliced(head.size()).first(15), "HTTP/1.1 200 OK"_ba);
    QVERIFY(client.received().endsWith(body));
    QVERIFY(client.isConnected());
}

void TestChainServer::clientNotReadingIsDropped()
{
    ChainServer::Config config;
    config.requestTimeoutMs = 1000;   // answers unread for this long: disconnected
    ChainServer *server = startServer(config);
    QVERIFY(server);
    for (int i = 0; i < 20; ++i) {   // a /chain answer of some 5 KB
        const auto proof = Pow::search(server->chain().lastBlockString(), Difficulty, 0, 1 << 20);
        QCOMPARE(post(u"/mine"_s, mineBody(*proof, u"miner-with-a-long-name-%1"_s.arg(i)),
                      server->port()).status, 200);
    }
    const int connections = server->listener()->connectionCount();
    QTcpSocket client;
    client.setReadBufferSize(1024);   // reads nothing more: the kernel buffers fill up
    client.connectToHost(QHostAddress::LocalHost, server->port());
    QTRY_VERIFY_WITH_TIMEOUT(client.state() == QAbstractSocket::ConnectedState, Wait);
    QTRY_COMPARE_WITH_TIMEOUT(server->listener()->connectionCount(), connections + 1, Wait);
    QByteArray burst;
    for (int i = 0; i < 200; ++i)
        burst += HttpTestClient::request("GET"_ba, "/chain"_ba);
    // Some 30 MB of answers are asked for, a burst at a time, and none is read.
    for (int i = 0; i < 30 && client.state() == QAbstractSocket::ConnectedState; ++i) {
        client.write(burst);
        QTest::qWait(20);
    }
    // The server stops taking its requests once 1 MiB of answers waits (not 30 MB),
    // and drops it when none has been read for the request timeout.
    QVERIFY(server->listener()->queuedBytes() <= config.maxQueuedBytesPerConnection + 64 * 1024);
    QTRY_COMPARE_WITH_TIMEOUT(server->listener()->connectionCount(), connections, Wait);
    QCOMPARE(server->listener()->queuedBytes(), 0);
    client.write(burst);   // a client that reads nothing learns it from its next write
    QTRY_VERIFY_WITH_TIMEOUT(client.state() == QAbstractSocket::UnconnectedState, Wait);
    QCOMPARE(get(u"/last_block"_s, server->port()).status, 200);
}

void TestChainServer::chainIsWrittenAsTheClientReads()
{
    // A chain of some 6 MB: more than the kernel's socket buffers take.
    ChainServer::Config config;
    config.maxBlockBytes = 1 << 20;
    config.maxQueuedBytes = 64 * 1024;   // answers unread, over all connections
    ChainServer *server = startServer(config);
    QVERIFY(server);
    const QByteArray transaction = CanonicalJson::dump(
        Json{{"sender", "s"}, {"recipient", std::string(60'000, 'r')}, {"amount", 1}});
    for (int block = 0; block < 7; ++block) {
        for (int i = 0; i < 15; ++i)
            QCOMPARE(server->newTransaction(transaction).status, 201);
        const auto proof = Pow::search(server->chain().lastBlockString(), Difficulty, 0, 1 << 20);
        QCOMPARE(server->submitProof(mineBody(*proof, u"m"_s)).status, 200);
    }
    const QByteArray whole = server->chain().toWire();
    QVERIFY(whole.size() > 6'000'000);
    const int connections = server->listener()->connectionCount();

    // A client that asks for it and reads nothing holds one piece of it, never all of it.
    QTcpSocket first;
    first.setReadBufferSize(1);
    first.connectToHost(QHostAddress::LocalHost, server->port());
    QTRY_VERIFY_WITH_TIMEOUT(first.state() == QAbstractSocket::ConnectedState, Wait);
    first.write(HttpTestClient::request("GET"_ba, "/chain"_ba));
    QTRY_VERIFY_WITH_TIMEOUT(server->listener()->queuedBytes() > 0, Wait);   // the kernel is full
    QTest::qWait(100);
    QVERIFY(server->listener()->queuedBytes() <= 64 * 1024);

    // A second one puts the unread total over the budget: the first, stuck longer, is cut.
    QTcpSocket second;
    second.setReadBufferSize(1);
    second.connectToHost(QHostAddress::LocalHost, server->port());
    QTRY_VERIFY_WITH_TIMEOUT(second.state() == QAbstractSocket::ConnectedState, Wait);
    second.write(HttpTestClient::request("GET"_ba, "/chain"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(server->listener()->connectionCount(), connections + 1, Wait);
    QVERIFY(server->listener()->queuedBytes() <= 64 * 1024);

    // A client that reads gets the whole chain, byte for byte, and HEAD only its size.
    HttpTestClient reader(server->port());
    reader.send(HttpTestClient::request("GET"_ba, "/chain"_ba)
                + "HEAD /chain HTTP/1.1\r\n\r\n"_ba);
    QTRY_VERIFY_WITH_TIMEOUT(reader.received().endsWith("\r\n\r\n")
                                 && reader.received().size() > whole.size(), Wait);
    QCOMPARE(reader.answers().front().body, whole);
    const QByteArray headAnswer = reader.received().sliced(reader.received().indexOf(whole)
                                                           + whole.size());
    QVERIFY2(headAnswer.startsWith("HTTP/1.1 200 OK\r\n"), headAnswer.constData());
    const QByteArray length = "\r\nContent-Length: " + QByteArray::number(whole.size()) + "\r\n";
    QVERIFY2(headAnswer.contains(length), headAnswer.constData());
    QCOMPARE(headAnswer.indexOf("\r\n\r\n"), headAnswer.size() - 4);   // and no body
    // A page of it too.
    const Reply page = get(u"/chain?start=3&limit=2"_s, server->port());
    QCOMPARE(page.json.value(u"chain"_s).toArray().size(), 2);
    QCOMPARE(page.json.value(u"length"_s).toInt(), 8);
}

void TestChainServer::halfClosedRequestsAreAnswered_data()
{
    QTest::addColumn<bool>("forge");
    QTest::newRow("GET /last_block") << false;
    QTest::newRow("valid POST /mine") << true;
}

void TestChainServer::halfClosedRequestsAreAnswered()
{
    // Requests followed at once by shutdown(SHUT_WR): each is answered, then the server
    // closes. A valid proof sent that way forges its block and its client hears of it.
    QFETCH(bool, forge);
    for (int round = 0; round < 20; ++round) {
        HttpTestClient client(m_port);
        QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
        const QByteArray request = forge
            ? HttpTestClient::request("POST"_ba, "/mine"_ba,
                                      mineBody(validProof(), u"half-%1"_s.arg(round)))
            : HttpTestClient::request("GET"_ba, "/chain?start=1&limit=1"_ba)
                + HttpTestClient::request("GET"_ba, "/last_block"_ba);
        client.send(request);
        QVERIFY(client.socket().waitForBytesWritten(Wait));
        QCOMPARE(::shutdown(static_cast<int>(client.socket().socketDescriptor()), SHUT_WR), 0);
        QTRY_VERIFY_WITH_TIMEOUT(client.isClosed(), Wait);
        const std::vector<HttpTestClient::Answer> answers = client.answers();
        QCOMPARE(answers.size(), forge ? 1u : 2u);
        for (const HttpTestClient::Answer &answer : answers)
            QCOMPARE(answer.status, 200);
        if (forge) {
            QCOMPARE(QJsonDocument::fromJson(answers[0].body).object().value(u"index"_s).toInt(),
                     round + 2);
        }
    }
    QCOMPARE(m_server->chain().length(), forge ? 21 : 1);
}

void TestChainServer::upgradeGetsOneAnswer()
{
    // Upgrade is ignored: no protocol is switched, one answer per request, and the
    // requests pipelined after it are answered.
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    client.send(HttpTestClient::request("GET"_ba, "/last_block"_ba,
                                        QByteArray(),
                                        "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                        "Sec-WebSocket-Version: 13\r\n"_ba)
                + HttpTestClient::request("GET"_ba, "/chain?start=1&limit=1"_ba)
                + HttpTestClient::request(
                    "POST"_ba, "/mine"_ba, "[]"_ba,
                    "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 3u, Wait);
    QCOMPARE(client.answers()[0].status, 200);
    QCOMPARE(client.answers()[1].status, 200);
    QCOMPARE(client.answers()[2].status, 400);
    QTest::qWait(200);
    QCOMPARE(client.answers().size(), 3u);
    QCOMPARE(client.received().count("HTTP/1.1 "), 3);
    QVERIFY(client.isConnected());
}

void TestChainServer::mixedLineEndingsInOnePipeline()
{
    ChainServer::Config config;
    config.requestTimeoutMs = 300;
    ChainServer *server = startServer(config);
    QVERIFY(server);
    // An LF-only request between CRLF ones, in one write: three answers.
    HttpTestClient client(server->port());
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    const QByteArray crlf = HttpTestClient::request("GET"_ba, "/last_block"_ba);
    client.send(crlf + "GET /chain?start=1&limit=1 HTTP/1.1\nHost: x\n\n" + crlf);
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 3u, Wait);
    for (const HttpTestClient::Answer &answer : client.answers())
        QCOMPARE(answer.status, 200);
    // A head ending in LF CR LF is complete: answered once, and no 408 follows it.
    client.send("GET /last_block HTTP/1.1\nHost: x\n\r\n"_ba);
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 4u, Wait);
    QTest::qWait(3 * config.requestTimeoutMs);
    QCOMPARE(client.answers().size(), 4u);
    QCOMPARE(client.answers().back().status, 200);
    QVERIFY(client.isConnected());
}

void TestChainServer::serverKeepsServingAfterBadInput()
{
    const QList<QByteArray> bodies = {"{"_ba, "[]"_ba, "\xff\xff"_ba, "{\"proof\": -1, \"id\": \"a\"}"_ba};
    for (int i = 0; i < 5; ++i) {
        for (const QByteArray &body : bodies)
            QCOMPARE(post(u"/mine"_s, body).status, 400);
    }
    QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"alice"_s)).status, 200);
}

void TestChainServer::twoServersInOneProcess()
{
    ChainServer *other = startServer();
    QVERIFY(other);
    QVERIFY(other->port() != m_port);
    QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"alice"_s)).status, 200);
    QCOMPARE(get(u"/chain"_s).json.value(u"length"_s).toInt(), 2);
    QCOMPARE(get(u"/chain"_s, other->port()).json.value(u"length"_s).toInt(), 1);
}

void TestChainServer::requestServedReportsEachRequest()
{
    QSignalSpy served(m_server, &ChainServer::requestServed);
    QElapsedTimer exchange;
    exchange.start();
    QCOMPARE(get(u"/last_block"_s).status, 200);
    const double exchangeMs = static_cast<double>(exchange.nsecsElapsed()) / 1e6;
    QCOMPARE(post(u"/mine"_s, "[]"_ba).status, 400);
    QCOMPARE(get(u"/nope"_s).status, 404);
    QCOMPARE(served.size(), 3);
    QCOMPARE(served[0].at(0).toString(), u"GET"_s);
    QCOMPARE(served[0].at(1).toString(), u"/last_block"_s);
    QCOMPARE(served[0].at(2).toInt(), 200);
    // The handler's own time, in milliseconds: part of the whole exchange the client saw.
    const double handlerMs = served[0].at(3).toDouble();
    QVERIFY2(handlerMs > 0.0 && handlerMs < exchangeMs,
             qPrintable(u"%1 ms of %2 ms"_s.arg(handlerMs).arg(exchangeMs)));
    QCOMPARE(served[1].at(0).toString(), u"POST"_s);
    QCOMPARE(served[1].at(2).toInt(), 400);
    QCOMPARE(served[2].at(1).toString(), u"/nope"_s);
    QCOMPARE(served[2].at(2).toInt(), 404);
}

void TestChainServer::requestServedEscapesClientText()
{
    QSignalSpy served(m_server, &ChainServer::requestServed);
    HttpTestClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    // A newline, ESC, a C1 CSI and a bidi override, percent-encoded in the path.
    client.send(HttpTestClient::request("GET"_ba, "/x%0Ay%1B%C2%9B%E2%80%AEz%5C"_ba));
    QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait);
    QCOMPARE(client.answers().front().status, 404);
    QTRY_COMPARE_WITH_TIMEOUT(served.size(), 1, Wait);
    QCOMPARE(served[0].at(1).toString(), u"/x\\ny\\x1b\\x9b\\u202ez\\\\"_s);
}

void TestChainServer::listenFailureIsReported()
{
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"other.db"_s);
    config.difficulty = Difficulty;
    ChainServer server(config);
    QVERIFY(server.open());
    QCOMPARE(server.listen(QHostAddress::LocalHost, m_port), quint16(0));   // taken
    QVERIFY2(server.errorString().contains(u"Cannot listen on 127.0.0.1 port %1"_s.arg(m_port)),
             qPrintable(server.errorString()));
    QCOMPARE(server.port(), quint16(0));
}

void TestChainServer::closeStopsAndOpenResumes()
{
    QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"alice"_s)).status, 200);
    HttpTestClient open(m_port);   // a connection open while the server closes
    QTRY_VERIFY_WITH_TIMEOUT(open.isConnected(), Wait);
    m_network->clearConnectionCache();
    m_server->close();
    QCOMPARE(m_server->port(), quint16(0));
    QTRY_VERIFY_WITH_TIMEOUT(open.isClosed(), Wait);
    HttpTestClient refused(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(refused.isClosed(), Wait);
    QCOMPARE(m_server->listen(QHostAddress::LocalHost, 0), quint16(0));   // not open

    const Result<void> opened = m_server->open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    m_port = m_server->listen(QHostAddress::LocalHost, 0);
    QVERIFY(m_port);
    QCOMPARE(get(u"/chain"_s).json.value(u"length"_s).toInt(), 2);
    QCOMPARE(post(u"/mine"_s, mineBody(validProof(), u"bob"_s)).status, 200);
}

QTEST_GUILESS_MAIN(TestChainServer)
#include "tst_chainserver.moc"
