#include <memory>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "core/canonicaljson.h"
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

QByteArray mineBody(std::uint64_t proof, const QByteArray &id)
{
    return CanonicalJson::dump(Json{{"proof", proof}, {"id", id.toStdString()}});
}
}

// GET /metrics against a real server after real traffic, read back with the Prometheus
// project's own Python parser (prometheus_client), value by value.
class TestServerMetrics final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void metricsCountRealTraffic();
    void metricsRouteIsGetOnly();

private:
    HttpTestClient::Answer exchange(const QByteArray &request);
    std::uint64_t validProof();
    std::uint64_t invalidProof();
    // Every sample, keyed "name{label=value,...}" (labels sorted), from the parser.
    QHash<QString, double> scrape(QHash<QString, QString> *types);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ChainServer> m_server;
};

void TestServerMetrics::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain.db"_s);
    config.difficulty = Difficulty;
    config.requestTimeoutMs = 300;   // so that a stalled request earns its 408 soon
    m_server = std::make_unique<ChainServer>(config);
    const Result<void> opened = m_server->open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0) != 0);
}

void TestServerMetrics::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

HttpTestClient::Answer TestServerMetrics::exchange(const QByteArray &request)
{
    HttpTestClient client(m_server->port());
    [&] { QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait); }();
    client.send(request);
    [&] { QTRY_COMPARE_WITH_TIMEOUT(client.answers().size(), 1u, Wait); }();
    return client.answers().empty() ? HttpTestClient::Answer{} : client.answers().front();
}

std::uint64_t TestServerMetrics::validProof()
{
    const auto proof = Pow::search(m_server->chain().lastBlockString(), Difficulty, 0, 1'000'000);
    return proof ? *proof : 0;
}

std::uint64_t TestServerMetrics::invalidProof()
{
    std::uint64_t proof = 1;
    while (m_server->chain().isValidProof(proof) || m_server->chain().staleBlockFor(proof))
        ++proof;
    return proof;
}

QHash<QString, double> TestServerMetrics::scrape(QHash<QString, QString> *types)
{
    QHash<QString, double> values;
    const HttpTestClient::Answer answer = exchange(HttpTestClient::request("GET", "/metrics"));
    [&] {
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8"_ba);
    }();
    QProcess python;
    python.start(QStringLiteral(BLOCKFORGE_PROMETHEUS_PYTHON),
                 {QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/core/parse_metrics.py")});
    python.write(answer.body);
    python.closeWriteChannel();
    [&] {
        QVERIFY(python.waitForFinished(Wait * 3));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    }();
    const QJsonObject parsed = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    const QJsonObject familyTypes = parsed[u"types"_s].toObject();
    for (auto it = familyTypes.begin(); it != familyTypes.end(); ++it)
        types->insert(it.key(), it.value().toString());
    for (const QJsonValue &sample : parsed[u"samples"_s].toArray()) {
        const QJsonArray fields = sample.toArray();
        const QJsonObject labels = fields[1].toObject();
        QStringList pairs;
        for (const QString &key : labels.keys())   // sorted
            pairs << key + u'=' + labels[key].toString();
        const QString key = fields[0].toString()
            + (pairs.isEmpty() ? QString() : u'{' + pairs.join(u',') + u'}');
        values.insert(key, fields[2].toDouble());
    }
    return values;
}

void TestServerMetrics::metricsCountRealTraffic()
{
    for (int i = 0; i < 3; ++i)
        QCOMPARE(exchange(HttpTestClient::request("GET", "/last_block")).status, 200);
    QCOMPARE(exchange(HttpTestClient::request("GET", "/no/such/path")).status, 404);
    QCOMPARE(exchange(HttpTestClient::request("GET", "/chain")).status, 200);
    QCOMPARE(exchange(HttpTestClient::request("POST", "/mine", mineBody(invalidProof(), "al")))
                 .status, 400);
    const std::uint64_t won = validProof();
    QCOMPARE(exchange(HttpTestClient::request("POST", "/mine", mineBody(won, "al"))).status, 200);
    // A proof for the block before: stale (difficulty 2 keeps one). Not simply the same
    // proof again: one time in 256 that one is also valid for the block it just made.
    std::uint64_t stale = won;
    while (m_server->chain().isValidProof(stale) || !m_server->chain().staleBlockFor(stale))
        ++stale;
    QCOMPARE(exchange(HttpTestClient::request("POST", "/mine", mineBody(stale, "bo"))).status,
             409);
    QCOMPARE(exchange(HttpTestClient::request("POST", "/mine", "{}")).status, 400);
    const QByteArray transaction = R"({"sender": "a", "recipient": "b", "amount": 5})";
    QCOMPARE(exchange(HttpTestClient::request("POST", "/transactions/new", transaction)).status,
             201);
    QCOMPARE(exchange(HttpTestClient::request("POST", "/transactions/new", transaction)).status,
             201);
    // Refused by the HTTP layer: a body announced over 64 KiB, and a request never finished.
    QCOMPARE(exchange("POST /mine HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n").status, 413);
    {
        HttpTestClient stalled(m_server->port());
        QTRY_VERIFY_WITH_TIMEOUT(stalled.isConnected(), Wait);
        stalled.send("GET /last_block HTTP/1.1\r\nHost: x\r\n");   // and no more
        QTRY_COMPARE_WITH_TIMEOUT(stalled.answers().size(), 1u, Wait);
        QCOMPARE(stalled.answers().front().status, 408);
    }
    // Two clients stay connected while the scrape runs on a third connection.
    HttpTestClient idle1(m_server->port());
    HttpTestClient idle2(m_server->port());
    QTRY_VERIFY_WITH_TIMEOUT(idle1.isConnected() && idle2.isConnected(), Wait);
    QTRY_VERIFY_WITH_TIMEOUT(m_server->listener()->connectionCount() >= 2, Wait);

    QHash<QString, QString> types;
    const QHash<QString, double> v = scrape(&types);
    QVERIFY(!v.isEmpty());
    QCOMPARE(types.value(u"blockforge_chain_length"_s), u"gauge"_s);
    QCOMPARE(types.value(u"blockforge_blocks_forged"_s), u"counter"_s);
    QCOMPARE(types.value(u"blockforge_http_request_duration_seconds"_s), u"histogram"_s);

    QCOMPARE(v.value(u"blockforge_chain_length"_s, -1), 2.0);
    QCOMPARE(v.value(u"blockforge_difficulty"_s, -1), double(Difficulty));
    QCOMPARE(v.value(u"blockforge_blocks_forged_total"_s, -1), 1.0);
    QCOMPARE(v.value(u"blockforge_pending_transactions"_s, -1), 2.0);
    QVERIFY(v.value(u"blockforge_pending_transaction_bytes"_s, -1) > 0);
    QVERIFY(v.value(u"blockforge_open_connections"_s, -1) >= 3);   // 2 idle + the scraper
    QVERIFY(v.value(u"blockforge_uptime_seconds"_s, -1) > 0);

    QCOMPARE(v.value(u"blockforge_proofs_total{answer=forged}"_s, -1), 1.0);
    QCOMPARE(v.value(u"blockforge_proofs_total{answer=stale}"_s, -1), 1.0);
    QCOMPARE(v.value(u"blockforge_proofs_total{answer=invalid}"_s, -1), 1.0);
    QCOMPARE(v.value(u"blockforge_proofs_total{answer=malformed}"_s, -1), 1.0);
    QCOMPARE(v.value(u"blockforge_proofs_total{answer=store_failed}"_s, -1), 0.0);

    const auto requests = [&v](const char *route, int status) {
        return v.value(u"blockforge_http_requests_total{route=%1,status=%2}"_s.arg(
                           QLatin1StringView(route)).arg(status), -1);
    };
    QCOMPARE(requests("/last_block", 200), 3.0);
    QCOMPARE(requests("other", 404), 1.0);
    QCOMPARE(requests("/chain", 200), 1.0);
    QCOMPARE(requests("/mine", 200), 1.0);
    QCOMPARE(requests("/mine", 409), 1.0);
    QCOMPARE(requests("/mine", 400), 2.0);
    QCOMPARE(requests("/transactions/new", 201), 2.0);
    QCOMPARE(requests("/metrics", 200), -1.0);   // the scrape is counted once it is answered

    QCOMPARE(v.value(u"blockforge_http_refusals_total{reason=body_too_large,status=413}"_s, -1),
             1.0);
    QCOMPARE(v.value(u"blockforge_http_refusals_total{reason=timeout,status=408}"_s, -1), 1.0);

    // The histogram: 3 requests on /last_block, cumulative buckets, +Inf is the count.
    const QString lastBlock = u"route=/last_block"_s;
    QCOMPARE(v.value(u"blockforge_http_request_duration_seconds_count{%1}"_s.arg(lastBlock), -1),
             3.0);
    QCOMPARE(v.value(u"blockforge_http_request_duration_seconds_bucket{le=+Inf,%1}"_s
                         .arg(lastBlock), -1), 3.0);
    QVERIFY(v.value(u"blockforge_http_request_duration_seconds_sum{%1}"_s.arg(lastBlock), -1) > 0);
    double previous = 0;
    int buckets = 0;
    for (auto it = v.begin(); it != v.end(); ++it) {
        if (!it.key().startsWith(u"blockforge_http_request_duration_seconds_bucket{"_s)
            || !it.key().endsWith(lastBlock + u'}'))
            continue;
        ++buckets;
        QVERIFY(it.value() >= 0 && it.value() <= 3);
    }
    QCOMPARE(buckets, 15);
    for (const char *le : {"5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                           "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "+Inf"}) {
        const double count = v.value(u"blockforge_http_request_duration_seconds_bucket{le=%1,%2}"_s
                                         .arg(QLatin1StringView(le), lastBlock), -1);
        QVERIFY2(count >= previous, le);
        previous = count;
    }
    QCOMPARE(previous, 3.0);

    // A second scrape sees the first one.
    const QHash<QString, double> again = scrape(&types);
    QCOMPARE(again.value(u"blockforge_http_requests_total{route=/metrics,status=200}"_s, -1), 1.0);
}

void TestServerMetrics::metricsRouteIsGetOnly()
{
    const HttpTestClient::Answer answer = exchange(HttpTestClient::request("POST", "/metrics", "{}"));
    QCOMPARE(answer.status, 405);
    QCOMPARE(answer.header("Allow"), "GET, HEAD"_ba);
    QVERIFY(answer.body.startsWith("{\"message\": "));
}

QTEST_GUILESS_MAIN(TestServerMetrics)
#include "tst_servermetrics.moc"
