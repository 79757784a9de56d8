#pragma once

#include <functional>
#include <memory>
#include <unordered_map>

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>
#include <QUrl>

#include "core/result.h"


// An HTTP answer, whatever its status.
struct HttpReply
{
    int status = 0;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;   // as sent

    QByteArray header(const QByteArray &name) const;   // case-insensitive; empty if none
};

// What came back for one request: the answer, or why there was none ("Connection
// refused", "no answer (timed out)", ...).
using HttpResult = Result<HttpReply>;

// The miner's HTTP transport to one chain server at a time: JSON GETs and POSTs to
// paths under a base URL that can be changed between requests, each with deadlines
// (no byte for requestTimeoutMs, no complete answer within DeadlineFactor times that)
// and exact caps on the answer (HttpResponseReader: a head of at most 64 KiB and 100
// header lines, a body of at most MaxAnswerBytes, never read further; a body cut short
// is an error). Our own HTTP/1.1 over QTcpSocket (QSslSocket for https), one connection
// per request (Connection: close): QNetworkAccessManager has no cap on a header line, a
// multi-megabyte one cost seconds of CPU, and it buffered far past the size cap.
// Redirects are not followed. Credentials in the URL are sent as Basic authorization.
// Asynchronous, on this object's thread: each request calls its handler once with the
// answer, unless it is aborted first.
class HttpClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpClient)

public:
    using Ticket = quint64;   // names one request; 0 is never a request
    using Handler = std::function<void(const HttpResult &answer)>;

    static constexpr qint64 MaxAnswerBytes = 4 << 20;   // a chain server's answer is far smaller
    static constexpr int DeadlineFactor = 3;            // whole request, in request timeouts

    explicit HttpClient(QObject *parent = nullptr);
    ~HttpClient() override;

    void setBaseUrl(const QUrl &url);
    const QUrl &baseUrl() const { return m_baseUrl; }
    void setRequestTimeout(int milliseconds);
    int requestTimeout() const { return m_timeoutMs; }
    QUrl endpoint(const QString &path) const;   // path relative to the base URL

    // extraWaitMs: a long poll, where the server may stay silent that much longer (both
    // the silence timeout and the whole-request deadline are extended by it).
    Ticket get(const QString &path, Handler handler, int extraWaitMs = 0);
    Ticket post(const QString &path, const QByteArray &json, Handler handler);
    // Cancels a request: its handler is never called. Unknown or finished tickets are
    // ignored.
    void abort(Ticket ticket);
    bool isPending(Ticket ticket) const { return m_pending.count(ticket) > 0; }

private:
    struct Exchange;

    Ticket send(const QString &path, const QByteArray *postBody, Handler handler,
                int extraWaitMs);
    void readAvailable(Ticket ticket);
    void endOfStream(Ticket ticket);
    void complete(Ticket ticket, const HttpResult &result);
    Exchange *find(Ticket ticket) const;

    QUrl m_baseUrl;
    int m_timeoutMs = 10'000;
    Ticket m_lastTicket = 0;
    std::unordered_map<Ticket, std::unique_ptr<Exchange>> m_pending;
};
