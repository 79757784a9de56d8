#include <optional>

#include <sys/resource.h>

#include <QFile>
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
    void endlessBodyStopsAtTheCap();   // first: it measures the process's peak memory
    void getAndPost();
    void endpointsResolveUnderTheBase();
    void connectionRefusedIsAnError();
    void silentServerTimesOut();
    void tricklingServerHitsTheDeadline();
    void oversizedAnswerIsCut();
    void abortedRequestNeverAnswers();
    void baseUrlCanMove();
    void headerFloodIsCutAtTheHeadCap();
    void tooManyHeaderLinesIsAnError();
    void bodyCutShortIsAnError_data();
    void bodyCutShortIsAnError();
    void chunkedAnswerIsRead();
    void credentialsAreSentNotShown();

private:
    // Sends one request and waits for its answer.
    static std::optional<HttpResult> fetch(HttpClient &client, const QString &path,
                                           const QByteArray *post = nullptr);
    // The answer to a GET of a server that answers with canned.
    // With the client's own timeouts unless timeoutMs is given: only the tests of the
    // timeouts shorten them (a loaded machine may delay any answer by a second or more).
    static std::optional<HttpResult> fetchFrom(const CannedAnswer &canned, int timeoutMs = 0);
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

std::optional<HttpResult> TestHttpClient::fetchFrom(const CannedAnswer &canned, int timeoutMs)
{
    ScriptedServer server;
    if (!server.start())
        return std::nullopt;
    server.defaults["/path"] = canned;
    HttpClient client;
    client.setBaseUrl(server.url());
    if (timeoutMs > 0)
        client.setRequestTimeout(timeoutMs);
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
    const std::optional<HttpResult> got = fetchFrom(stall, 300);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"no answer (timed out)"_s);
}

void TestHttpClient::tricklingServerHitsTheDeadline()
{
    CannedAnswer trickle;
    trickle.trickleMs = 50;   // always a byte within the silence timeout, even when loaded
    const std::optional<HttpResult> got = fetchFrom(trickle, 1000);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"no complete answer within 3 s"_s);
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

namespace
{
// The process's peak resident memory so far (VmHWM), in KiB; -1 when unknown.
qint64 peakRssKiB()
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

double cpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}
}

void TestHttpClient::endlessBodyStopsAtTheCap()
{
    const qint64 before = peakRssKiB();
    QVERIFY(before > 0);
    ScriptedServer server;
    QVERIFY(server.start());
    CannedAnswer endless;
    endless.endless = true;   // no length, as fast as we read, forever
    server.defaults["/path"] = endless;
    HttpClient client;
    client.setBaseUrl(server.url());
    const std::optional<HttpResult> got = fetch(client, u"path"_s);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"answer larger than 4194304 bytes"_s);
    const qint64 grown = (peakRssKiB() - before) / 1024;
    qInfo("peak RSS grew by %lld MiB; the server streamed %lld MiB", grown,
          server.streamedBytes >> 20);
    // The 4 MiB body, the socket's 64 KiB buffer and the server's pieces: far from the
    // 160 MiB QNetworkAccessManager buffered.
    QVERIFY2(grown < 24, qPrintable(QString::number(grown)));
}

void TestHttpClient::headerFloodIsCutAtTheHeadCap()
{
    ScriptedServer server;
    QVERIFY(server.start());
    CannedAnswer flood;
    flood.floodBytes = 32 << 20;   // a 32 MB header line
    server.defaults["/path"] = flood;
    HttpClient client;
    client.setBaseUrl(server.url());
    const double cpuBefore = cpuSeconds();
    const std::optional<HttpResult> got = fetch(client, u"path"_s);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"the answer's head is longer than 65536 bytes"_s);
    qInfo("32 MB header line: refused after the server streamed %lld KiB, %.3f s of CPU"
          " (client and server)", server.streamedBytes >> 10, cpuSeconds() - cpuBefore);
    QVERIFY(server.streamedBytes < (32 << 20));   // never read to the end
}

void TestHttpClient::tooManyHeaderLinesIsAnError()
{
    CannedAnswer many;
    many.raw = "HTTP/1.1 200 OK\r\n" + QByteArray("X-A: 1\r\n").repeated(101)
        + "Content-Length: 2\r\n\r\n{}";
    const std::optional<HttpResult> got = fetchFrom(many);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), u"the answer has more than 100 header lines"_s);
    // 100 are fine.
    many.raw = "HTTP/1.1 200 OK\r\n" + QByteArray("X-A: 1\r\n").repeated(99)
        + "Content-Length: 2\r\n\r\n{}";
    const std::optional<HttpResult> fine = fetchFrom(many);
    QVERIFY(fine && *fine);
    QCOMPARE((*fine)->body, "{}"_ba);
}

void TestHttpClient::bodyCutShortIsAnError_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("error");
    QTest::newRow("length") << "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\""_ba
                            << u"answer cut short: 4 of 100 bytes"_s;
    QTest::newRow("chunks") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\""_ba
                            << u"answer cut short: the connection closed before its last chunk"_s;
    QTest::newRow("head") << "HTTP/1.1 200 OK\r\nContent-Le"_ba
                          << u"the connection closed in the middle of the answer's head"_s;
    QTest::newRow("nothing") << " "_ba << u"the connection closed in the middle of the answer's head"_s;
    QTest::newRow("not http") << "SSH-2.0-OpenSSH_9.2\r\n"_ba
                              << u"the answer is not HTTP (it starts \"SSH-2.0-OpenSSH_9.2\")"_s;
}

void TestHttpClient::bodyCutShortIsAnError()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, error);
    CannedAnswer cut;
    cut.raw = raw;
    const std::optional<HttpResult> got = fetchFrom(cut);
    QVERIFY(got && !*got);
    QCOMPARE(got->errorMessage(), error);
}

void TestHttpClient::chunkedAnswerIsRead()
{
    CannedAnswer chunked;
    chunked.raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n"
                  "6;ext=1\r\n{\"a\": \r\n2\r\n1}\r\n0\r\nX-Trailer: x\r\n\r\n";
    const std::optional<HttpResult> got = fetchFrom(chunked);
    QVERIFY2(got && *got, got ? qPrintable(got->errorMessage()) : "none");
    QCOMPARE((*got)->status, 201);
    QCOMPARE((*got)->body, R"({"a": 1})"_ba);
}

void TestHttpClient::credentialsAreSentNotShown()
{
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = jsonAnswer(200, "{}");
    HttpClient client;
    QUrl url = server.url();
    url.setUserName(u"alice"_s);
    url.setPassword(u"s3cret"_s);
    client.setBaseUrl(url);
    const std::optional<HttpResult> got = fetch(client, u"last_block"_s);
    QVERIFY(got && *got);
    QCOMPARE(server.requests.last().authorization, "Basic " + "alice:s3cret"_ba.toBase64());
}

QTEST_GUILESS_MAIN(TestHttpClient)
#include "tst_httpclient.moc"
