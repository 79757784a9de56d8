#include <optional>

#include <QSignalSpy>
#include <QTest>

#include "core/httpclient.h"
#include "scriptedserver.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 20000;
}

// The miner's HTTP transport against real sockets: answers, deadlines, the size cap,
// aborts, and a base URL that moves.
class TestHttpClient final : public QObject
{
    Q_OBJECT

private slots:
    void getAndPost();
    void endpointsResolveUnderTheBase();
    void connectionRefusedIsAnError();
    void silentServerTimesOut();
    void tricklingServerHitsTheDeadline();
    void oversizedAnswerIsCut();
    void abortedRequestNeverAnswers();
    void baseUrlCanMove();

private:
    // Sends one request and waits for its answer.
    static std::optional<HttpResult> fetch(HttpClient &client, const QString &path,
                                           const QByteArray *post = nullptr);
    // The answer to a GET of a server that answers with canned, under a 300 ms timeout.
    static std::optional<HttpResult> fetchFrom(const CannedAnswer &canned);
};

std::optional<HttpResult> TestHttpClient::fetch(HttpClient &client, const QString &path,
                                                const QByteArray *post)
{
    std::optional<HttpResult> got;
    auto handler = [&got](const HttpResult &answer) { got.emplace(answer); };
    if (post)
        client.post(path, *post, handler);
    else
        client.get(path, handler);
    if (!QTest::qWaitFor([&got] { return got.has_value(); }, WaitMs))
        qWarning("no answer within %d ms", WaitMs);
    return got;
}

std::optional<HttpResult> TestHttpClient::fetchFrom(const CannedAnswer &canned)
{
    ScriptedServer server;
    if (!server.start())
        return std::nullopt;
    server.defaults["/path"] = canned;
    HttpClient client;
    client.setBaseUrl(server.url());
    client.setRequestTimeout(300);
    return fetch(client, u"path"_s);
}

void TestHttpClient::getAndPost()
{
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = jsonAnswer(200, R"({"last_block": 1})");
    server.defaults["/mine"] = jsonAnswer(409, R"({"message": "stale"})");
    HttpClient client;
    client.setBaseUrl(server.url());

    const std::optional<HttpResult> got = fetch(client, u"last_block"_s);
    QVERIFY(got && *got);
    QCOMPARE((*got)->status, 200);
    QCOMPARE((*got)->body, R"({"last_block": 1})"_ba);
    QVERIFY(got->errorMessage().isEmpty());

    const QByteArray body = R"({"id": "a", "proof": 1})";
    const std::optional<HttpResult> posted = fetch(client, u"mine"_s, &body);
    QVERIFY(posted && *posted);
    QCOMPARE((*posted)->status, 409);
    QCOMPARE(server.requests.last().method, "POST"_ba);
    QCOMPARE(server.requests.last().body, body);
}

void TestHttpClient::endpointsResolveUnderTheBase()
{
    HttpClient client;
    client.setBaseUrl(QUrl(u"http://node.example:8080/chain"_s));
    QCOMPARE(client.endpoint(u"mine"_s), QUrl(u"http://node.example:8080/chain/mine"_s));
    client.setBaseUrl(QUrl(u"http://node.example/"_s));
    QCOMPARE(client.endpoint(u"last_block"_s), QUrl(u"http://node.example/last_block"_s));
}

void TestHttpClient::connectionRefusedIsAnError()
{
    const quint16 port = closedPort();
    HttpClient client;
    client.setBaseUrl(QUrl(u"http://127.0.0.1:%1"_s.arg(port)));
    const std::optional<HttpResult> got = fetch(client, u"last_block"_s);
    QVERIFY(got && !*got);
    QVERIFY2(got->errorMessage().contains(u"refused"_s, Qt::CaseInsensitive),
             qPrintable(got->errorMessage()));
}

void TestHttpClient::silentServerTimesOut()
{
    CannedAnswer stall;
    stall.stall = true;
    const std::optional<HttpResult> got = fetchFrom(stall);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"no answer (timed out)"_s);
}

void TestHttpClient::tricklingServerHitsTheDeadline()
{
    CannedAnswer trickle;
    trickle.trickleMs = 50;   // always a byte within the transfer timeout
    const std::optional<HttpResult> got = fetchFrom(trickle);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"no complete answer within 0.9 s"_s);
}

void TestHttpClient::oversizedAnswerIsCut()
{
    CannedAnswer huge;
    huge.sizeBytes = HttpClient::MaxAnswerBytes + (1 << 20);   // sent faster than the timeout
    const std::optional<HttpResult> got = fetchFrom(huge);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"answer larger than 4194304 bytes"_s);
}

void TestHttpClient::abortedRequestNeverAnswers()
{
    ScriptedServer server;
    QVERIFY(server.start());
    CannedAnswer slow = jsonAnswer(200, "{}");
    slow.delayMs = 200;
    server.defaults["/last_block"] = slow;
    HttpClient client;
    client.setBaseUrl(server.url());
    int answers = 0;
    QSignalSpy requested(&server, &ScriptedServer::requested);
    const HttpClient::Ticket ticket =
        client.get(u"last_block"_s, [&answers](const HttpResult &) { ++answers; });
    QVERIFY(ticket != 0);
    QVERIFY(client.isPending(ticket));
    QVERIFY(requested.wait(WaitMs));
    client.abort(ticket);
    QVERIFY(!client.isPending(ticket));
    client.abort(ticket);   // twice: ignored
    // A later request is answered, and the aborted one still is not.
    const std::optional<HttpResult> got = fetch(client, u"last_block"_s);
    QVERIFY(got && *got);
    QCOMPARE((*got)->status, 200);
    QTest::qWait(300);
    QCOMPARE(answers, 0);
}

void TestHttpClient::baseUrlCanMove()
{
    ScriptedServer first;
    ScriptedServer second;
    QVERIFY(first.start());
    QVERIFY(second.start());
    first.defaults["/last_block"] = jsonAnswer(200, "1");
    second.defaults["/last_block"] = jsonAnswer(200, "2");
    HttpClient client;
    client.setBaseUrl(first.url());
    QCOMPARE(fetch(client, u"last_block"_s)->value().body, "1"_ba);
    client.setBaseUrl(second.url());
    QCOMPARE(fetch(client, u"last_block"_s)->value().body, "2"_ba);
    QCOMPARE(first.requests.size(), 1);
    QCOMPARE(second.requests.size(), 1);
}

QTEST_GUILESS_MAIN(TestHttpClient)
#include "tst_httpclient.moc"
