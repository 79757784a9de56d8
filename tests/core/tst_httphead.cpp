#include <QTest>

#include "core/httphead.h"
#include "core/httprequestreader.h"

using namespace Qt::StringLiterals;

namespace
{
const HttpHead::Limits Limits{256, 1000};

// What a reader makes of a stream fed in the given chunks: one line per request or
// rejection ("100" for a Continue when withContinue), then "end" and what the end of the
// stream brings or, with expireMs, what the request's timing out brings.
QStringList frame(const QList<QByteArray> &chunks, int expireMs = 0, bool withContinue = false)
{
    HttpRequestReader reader(Limits);
    QStringList events;
    const auto drain = [&] {
        for (;;) {
            switch (reader.next()) {
            case HttpRequestReader::Event::None:
                return;
            case HttpRequestReader::Event::Continue:
                if (withContinue)
                    events << u"100"_s;
                break;
            case HttpRequestReader::Event::Request: {
                const HttpHead::Head &head = reader.request().head;
                events << u"%1 %2 1.%3 [%4]%5"_s
                              .arg(QString::fromLatin1(head.method),
                                   QString::fromLatin1(head.target))
                              .arg(head.minorVersion)
                              .arg(QString::fromLatin1(reader.request().body),
                                   head.keepAlive ? QString() : u" close"_s);
                break;
            }
            case HttpRequestReader::Event::Rejected:
                events << u"%1 %2"_s.arg(reader.rejection().status).arg(reader.rejection().message);
                break;
            }
        }
    };
    for (const QByteArray &chunk : chunks) {
        reader.append(chunk);
        drain();
    }
    if (expireMs) {
        if (const std::optional<HttpHead::Rejection> rejection = reader.expire(expireMs))
            events << u"%1 %2"_s.arg(rejection->status).arg(rejection->message);
    } else {
        events << u"end"_s;
        reader.finish();
        drain();
    }
    return events;
}
}

class TestHttpHead final : public QObject
{
    Q_OBJECT

private slots:
    void framing_data();
    void framing();
    void continueOnlyWhileTheBodyIsMissing();
    void expireWithoutRequestIsIdle();
    void completeHeadSizeAndTarget();
};

void TestHttpHead::framing_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<int>("expireMs");
    QTest::addColumn<QStringList>("expected");

    const auto get = [](const QByteArray &eol) {
        QByteArray request = "GET /last_block HTTP/1.1"_ba;
        request += eol;
        request += "Host: x";
        request += eol;
        request += eol;
        return request;
    };
    const QString got = u"GET /last_block 1.1 []"_s;
    // Framing: line endings, pipelines, empty lines, bodies, closing.
    QTest::newRow("CRLF") << get("\r\n"_ba) << 0 << QStringList{got};
    QTest::newRow("LF") << get("\n"_ba) << 0 << QStringList{got};
    QTest::newRow("mixed, ends LF CR LF")
        << "GET /last_block HTTP/1.1\nHost: x\n\r\n"_ba << 0 << QStringList{got};
    QTest::newRow("mixed, ends CR LF LF")
        << "GET /last_block HTTP/1.1\r\nHost: x\r\n\n"_ba << 0 << QStringList{got};
    QTest::newRow("pipelined CRLF, LF, CRLF")
        << get("\r\n"_ba) + get("\n"_ba) + get("\r\n"_ba) << 0 << QStringList{got, got, got};
    QTest::newRow("pipelined with bodies")
        << "POST /mine HTTP/1.1\nContent-Length: 4\n\n{\"a\"GET /x HTTP/1.1\r\n\r\n"
           "POST /t HTTP/1.1\r\ncontent-length:0\r\n\r\n"_ba
        << 0 << QStringList{u"POST /mine 1.1 [{\"a\"]"_s, u"GET /x 1.1 []"_s, u"POST /t 1.1 []"_s};
    QTest::newRow("empty lines before and between")
        << "\r\n\n" + get("\r\n"_ba) + "\n\r\n" + get("\n"_ba) << 0 << QStringList{got, got};
    QTest::newRow("body keeps CR LF bytes")
        << "POST /m HTTP/1.1\r\nContent-Length: 4\r\n\r\n\r\n\r\n"_ba << 0
        << QStringList{u"POST /m 1.1 [\r\n\r\n]"_s};
    QTest::newRow("HTTP/1.0 closes; the rest is ignored")
        << "GET / HTTP/1.0\r\n\r\n"_ba + get("\r\n"_ba) << 0
        << QStringList{u"GET / 1.0 [] close"_s};
    QTest::newRow("HTTP/1.0 keep-alive")
        << "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"_ba + get("\n"_ba) << 0
        << QStringList{u"GET / 1.0 []"_s, got};
    QTest::newRow("Connection: close stops the pipeline")
        << get("\n"_ba) + "GET /a HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n"
               + get("\n"_ba)
        << 0
        << QStringList{got, u"GET /a 1.1 [] close"_s};
    QTest::newRow("Upgrade is ignored, the pipeline goes on")
        << "GET /last_block HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
           + get("\r\n"_ba) << 0 << QStringList{got, got};
    QTest::newRow("HEAD and absolute form")
        << "HEAD http://x:5000/chain?start=2 HTTP/1.1\r\n\r\n"_ba << 0
        << QStringList{u"HEAD http://x:5000/chain?start=2 1.1 []"_s};
    QTest::newRow("cut short: nothing")
        << "GET /last_block HTTP/1.1\r\nHo"_ba << 0 << QStringList{};
    QTest::newRow("body cut short: nothing")
        << "POST /m HTTP/1.1\r\nContent-Length: 9\r\n\r\n{}"_ba << 0 << QStringList{};

    // One row per status.
    const QString malformed = u"400 Malformed request line"_s;
    QTest::newRow("400 a word") << "GARBAGE\r\n\r\n"_ba << 0 << QStringList{malformed};
    QTest::newRow("400 no version") << "GET /last_block\r\n\r\n"_ba << 0 << QStringList{malformed};
    QTest::newRow("400 TLS hello, judged before any LF")
        << "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"_ba << 0 << QStringList{malformed};
    QTest::newRow("400 request line, before the head ends")
        << "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\nmore"_ba << 0 << QStringList{malformed};
    QTest::newRow("400 bare CR in the request line")
        << "GET /a\rb HTTP/1.1\r\n\r\n"_ba << 0 << QStringList{malformed};
    QTest::newRow("400 two CRs ending the request line")
        << "GET / HTTP/1.1\r\r\n\r\n"_ba << 0 << QStringList{malformed};
    QTest::newRow("400 two spaces") << "GET  / HTTP/1.1\r\n\r\n"_ba << 0 << QStringList{malformed};
    QTest::newRow("400 bad target") << "GET last_block HTTP/1.1\r\n\r\n"_ba << 0
                                    << QStringList{malformed};
    QTest::newRow("400 after a good request")
        << get("\n"_ba) + "GET /x\x01 HTTP/1.1\r\n\r\n" + get("\n"_ba) << 0
        << QStringList{got, malformed};
    QTest::newRow("400 version") << "GET / HTTP/2.0\r\n\r\n"_ba << 0
                                 << QStringList{u"400 Unsupported HTTP version \"HTTP/2.0\""_s};
    QTest::newRow("400 no colon") << "GET / HTTP/1.1\r\nno colon\r\n\r\n"_ba << 0
                                  << QStringList{u"400 Malformed header line 2"_s};
    QTest::newRow("400 a bad line, before the head ends")
        << "GET / HTTP/1.1\r\nHost: x\r\n\r\xff\xff\n"_ba << 0
        << QStringList{u"400 Malformed header line 3"_s};
    QTest::newRow("400 folded line") << "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"_ba << 0
                                     << QStringList{u"400 Malformed header line 3"_s};
    QTest::newRow("400 space before colon") << "GET / HTTP/1.1\r\nHost : x\r\n\r\n"_ba << 0
                                            << QStringList{u"400 Malformed header line 2"_s};
    QTest::newRow("400 bare CR in a value")
        << "GET / HTTP/1.1\nA: b\rc\n\n"_ba << 0
        << QStringList{u"400 Malformed value in header line 2"_s};
    QTest::newRow("400 two lengths")
        << "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"_ba << 0
        << QStringList{u"400 Invalid Content-Length"_s};
    QTest::newRow("400 signed length") << "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"_ba << 0
                                       << QStringList{u"400 Invalid Content-Length"_s};
    QTest::newRow("400 listed length") << "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"_ba << 0
                                       << QStringList{u"400 Invalid Content-Length"_s};
    QTest::newRow("405 TRACE") << "TRACE / HTTP/1.1\r\n\r\n"_ba << 0
                               << QStringList{u"405 Method TRACE is not allowed"_s};
    QTest::newRow("408 head not complete")
        << "GET / HTTP/1.1\r\nHost"_ba << 300
        << QStringList{u"408 Request not completed within 300 ms"_s};
    QTest::newRow("408 body not complete")
        << "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"pro"_ba << 300
        << QStringList{u"408 Request not completed within 300 ms"_s};
    QTest::newRow("411 chunked")
        << "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"_ba << 0
        << QStringList{u"411 Chunked request bodies are not supported: send a Content-Length"_s};
    QTest::newRow("413 announced length")
        << "POST / HTTP/1.1\r\nContent-Length: 4000000000\r\n\r\n"_ba << 0
        << QStringList{u"413 Request body of 4000000000 bytes is over the 1000-byte limit"_s};
    QTest::newRow("417 expectation")
        << "POST / HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}"_ba << 0
        << QStringList{u"417 Unsupported expectation \"200-ok\""_s};
    QTest::newRow("431 headers") << "GET / HTTP/1.1\r\nX: " + QByteArray(300, 'a') + "\r\n\r\n" << 0
                                 << QStringList{u"431 Request head is over the 256-byte limit"_s};
    QTest::newRow("431 request line, no LF")
        << "GET /" + QByteArray(300, 'a') << 0
        << QStringList{u"431 Request head is over the 256-byte limit"_s};
    QTest::newRow("501 unknown") << "BREW /pot HTTP/1.1\r\n\r\n"_ba << 0
                                 << QStringList{u"501 Method BREW is not implemented"_s};
    QTest::newRow("501 lowercase") << "get / HTTP/1.1\r\n\r\n"_ba << 0
                                   << QStringList{u"501 Method get is not implemented"_s};
}

void TestHttpHead::framing()
{
    QFETCH(QByteArray, stream);
    QFETCH(int, expireMs);
    QFETCH(QStringList, expected);
    if (!expireMs)
        expected << u"end"_s;   // every answer is known before the stream ends
    QCOMPARE(frame({stream}, expireMs), expected);
    // The same answers however the stream is cut: byte by byte, and at every point.
    QList<QByteArray> bytes;
    for (const char c : stream)
        bytes << QByteArray(1, c);
    QCOMPARE(frame(bytes, expireMs), expected);
    for (qsizetype cut = 1; cut < stream.size(); ++cut)
        QCOMPARE(frame({stream.first(cut), stream.sliced(cut)}, expireMs), expected);
}

void TestHttpHead::continueOnlyWhileTheBodyIsMissing()
{
    const QByteArray head =
        "POST /mine HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    const QString request = u"POST /mine 1.1 [{}]"_s;
    QCOMPARE(frame({head, "{}"_ba}, 0, true), (QStringList{u"100"_s, request, u"end"_s}));
    QCOMPARE(frame({head + "{}"}, 0, true), (QStringList{request, u"end"_s}));
    QCOMPARE(frame({head + "{", "}"_ba}, 0, true), (QStringList{u"100"_s, request, u"end"_s}));
}

void TestHttpHead::expireWithoutRequestIsIdle()
{
    HttpRequestReader reader(Limits);
    reader.append("GET / HTTP/1.1\r\n\r\n\r\n");
    QCOMPARE(reader.next(), HttpRequestReader::Event::Request);
    QCOMPARE(reader.next(), HttpRequestReader::Event::None);
    QVERIFY(!reader.isMidRequest());
    QVERIFY(!reader.expire(300));   // idle between requests: closed quietly, no 408
    reader.append("G");
    reader.next();
    QVERIFY(reader.isMidRequest());
    QCOMPARE(reader.expire(300)->status, 408);
    QVERIFY(reader.isDone());
}

void TestHttpHead::completeHeadSizeAndTarget()
{
    const QByteArray bytes = "\r\n\nGET http://h:1/chain?start=2&limit=3 HTTP/1.1\nA: b\n\nrest"_ba;
    const HttpHead::Result result = HttpHead::parse(bytes, Limits);
    QCOMPARE(result.kind, HttpHead::Result::Kind::Complete);
    QCOMPARE(result.size, bytes.size() - 4);
    QCOMPARE(result.head.path(), "/chain"_ba);
    QCOMPARE(result.head.query(), "start=2&limit=3"_ba);
    HttpHead::Head head;
    head.target = "/last_block";
    QCOMPARE(head.path(), "/last_block"_ba);
    QVERIFY(head.query().isEmpty());
    head.target = "http://host";
    QCOMPARE(head.path(), "/"_ba);
    // Exactly at the limit is complete; one byte more is over it.
    const QByteArray line = "GET / HTTP/1.1\r\nX: ";
    const QByteArray atLimit =
        line + QByteArray(Limits.maxHeadBytes - line.size() - 4, 'a') + "\r\n\r\n";
    QCOMPARE(HttpHead::parse(atLimit, Limits).kind, HttpHead::Result::Kind::Complete);
    QCOMPARE(HttpHead::parse(QByteArray("\r\n" + atLimit), Limits).kind,
             HttpHead::Result::Kind::Complete);
    const QByteArray over = line + "a" + atLimit.sliced(line.size());
    QCOMPARE(HttpHead::parse(over, Limits).rejection.status, 431);
}

QTEST_APPLESS_MAIN(TestHttpHead)
#include "tst_httphead.moc"
