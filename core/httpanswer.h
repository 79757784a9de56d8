#pragma once

#include <functional>
#include <memory>

#include <QByteArray>
#include <QString>

class HttpDeferred;

// One answer of the chain server: a status and a JSON body, either whole or produced in
// pieces as the client reads (a long GET /chain is never held in memory whole per client),
// or given later (a long poll: see HttpDeferred).
struct HttpAnswer
{
    // The next at most maxBytes bytes of the body, from offset (below sourceSize).
    using Source = std::function<QByteArray(qint64 offset, qint64 maxBytes)>;
    enum class Connection { Default, KeepAlive, Close };   // what the head says about it

    int status = 200;
    QByteArray body;
    QByteArray extraHeaders;   // whole lines, such as "Allow: POST\r\n"
    QByteArray contentType = "application/json";
    Source source;             // when set, the body comes from here instead
    qint64 sourceSize = 0;
    std::shared_ptr<HttpDeferred> deferred;   // when set, the answer comes from there

    static HttpAnswer json(int status, const QByteArray &body, const QByteArray &extraHeaders = {});
    // {"message": text}, the shape of every error (PROTOCOL.md).
    static HttpAnswer message(int status, const QString &text, const QByteArray &extraHeaders = {});
    static HttpAnswer later(std::shared_ptr<HttpDeferred> deferred);

    qint64 bodySize() const { return source ? sourceSize : body.size(); }
    // The status line and headers, through the empty line that ends them.
    QByteArray head(Connection connection) const;
};
