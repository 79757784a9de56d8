// libFuzzer target: request framing (HttpRequestReader over the pure HttpHead::parse).
// Input: two bytes choosing the limits and whether the stream ends or times out, then
// the bytes a client sends on one connection.
// Differential property: the stream gets the same answers whole, one request at a time
// on the same connection, each request on a connection of its own, cut at random points,
// and (when short) byte by byte. Also: a body is exactly its Content-Length, within the
// limit; a rejection has a known status and a message; any prefix of the stream on which
// parse() gives a verdict gets the verdict of the whole.
#include <cstdint>
#include <cstdlib>
#include <random>

#include <QByteArray>
#include <QList>
#include <QStringList>

#include "core/httphead.h"
#include "core/httprequestreader.h"

namespace
{
void check(bool condition)
{
    if (!condition)
        std::abort();
}

struct Framed
{
    QStringList events;          // one per request or rejection, then what the end brings
    QList<qint64> boundaries;    // stream offset after each request
    bool stopped = false;        // a rejection or a closing request ended it
};

QString describe(const HttpRequestReader &reader, HttpRequestReader::Event event,
                 const HttpHead::Limits &limits)
{
    if (event == HttpRequestReader::Event::Rejected) {
        const HttpHead::Rejection &rejection = reader.rejection();
        const int status = rejection.status;
        check(status == 400 || status == 405 || status == 408 || status == 411 || status == 413
              || status == 417 || status == 431 || status == 501);
        check(!rejection.message.isEmpty());
        return QString::number(status) + u' ' + rejection.message;
    }
    const HttpRequest &request = reader.request();
    check(request.body.size() == request.head.contentLength);
    check(request.head.contentLength <= limits.maxBodyBytes);
    check(!request.head.method.isEmpty() && !request.head.target.isEmpty());
    return QString::fromLatin1(request.head.method + ' ' + request.head.target + " 1."
                               + QByteArray::number(request.head.minorVersion)
                               + (request.head.keepAlive ? " keep " : " close ")
                               + QByteArray::number(qHash(request.body)));
}

Framed frame(const HttpHead::Limits &limits, const QList<QByteArrayView> &chunks, bool expire)
{
    HttpRequestReader reader(limits);
    Framed framed;
    const auto drain = [&] {
        for (;;) {
            const HttpRequestReader::Event event = reader.next();
            if (event == HttpRequestReader::Event::None)
                return;
            if (event == HttpRequestReader::Event::Continue)
                continue;   // only while a body is missing: depends on the chunks
            check(!framed.stopped);
            framed.events << describe(reader, event, limits);
            if (event == HttpRequestReader::Event::Request)
                framed.boundaries << reader.consumed();
            framed.stopped = reader.isDone();
        }
    };
    for (const QByteArrayView chunk : chunks) {
        reader.append(chunk);
        drain();
    }
    framed.events << QStringLiteral("end");
    if (expire) {
        if (const std::optional<HttpHead::Rejection> rejection = reader.expire(1000))
            framed.events << QString::number(rejection->status) + u' ' + rejection->message;
    } else {
        reader.finish();
        drain();
    }
    return framed;
}
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    HttpHead::Limits limits;
    limits.maxHeadBytes = 32 + (data[0] >> 1) * 8;   // 32 .. 1048
    limits.maxBodyBytes = data[1];
    const bool expire = data[0] & 1;
    const QByteArrayView stream(reinterpret_cast<const char *>(data) + 2,
                                static_cast<qsizetype>(size - 2));

    const Framed whole = frame(limits, {stream}, expire);

    // One request at a time, as the whole stream framed them, on the same connection.
    QList<QByteArrayView> requests;
    qint64 at = 0;
    for (const qint64 boundary : whole.boundaries) {
        requests << stream.sliced(at, boundary - at);
        at = boundary;
    }
    requests << stream.sliced(at);
    check(frame(limits, requests, expire).events == whole.events);

    // Each request on a connection of its own: the answers follow one another, up to a
    // request that closes its connection.
    QStringList alone;
    for (qsizetype i = 0; i < requests.size(); ++i) {
        const bool last = i + 1 == requests.size();
        Framed one = frame(limits, {requests[i]}, last && expire);
        one.events.removeOne(QStringLiteral("end"));
        if (!last)
            check(one.events.size() == 1);
        alone << one.events;
        if (!last && one.stopped)
            break;
    }
    QStringList expected = whole.events;
    expected.removeOne(QStringLiteral("end"));
    check(alone == expected);

    // Cut at random points, and byte by byte when short.
    std::mt19937 random(static_cast<std::uint32_t>(qHash(stream)));
    for (int round = 0; round < 4; ++round) {
        QList<QByteArrayView> chunks;
        for (qsizetype from = 0; from < stream.size();) {
            const qsizetype length = 1 + static_cast<qsizetype>(random() % 64);
            chunks << stream.sliced(from, std::min(length, stream.size() - from));
            from += chunks.back().size();
        }
        check(frame(limits, chunks, expire).events == whole.events);
    }
    if (stream.size() <= 512) {
        QList<QByteArrayView> bytes;
        for (qsizetype i = 0; i < stream.size(); ++i)
            bytes << stream.sliced(i, 1);
        check(frame(limits, bytes, expire).events == whole.events);
    }

    // parse() on a prefix: no verdict yet, or the verdict of the whole.
    const HttpHead::Result full = HttpHead::parse(stream, limits);
    for (qsizetype cut = 0; cut < stream.size(); cut += 1 + cut / 8) {
        const HttpHead::Result part = HttpHead::parse(stream.first(cut), limits);
        if (part.kind == HttpHead::Result::Kind::Incomplete)
            continue;
        check(part.kind == full.kind && part.size == full.size);
        check(part.rejection.status == full.rejection.status
              && part.rejection.message == full.rejection.message);
        check(part.head.method == full.head.method && part.head.target == full.head.target
              && part.head.contentLength == full.head.contentLength
              && part.head.keepAlive == full.head.keepAlive);
    }
    return 0;
}
