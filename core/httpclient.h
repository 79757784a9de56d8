#pragma once

#include <functional>

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QObject>
#include <QString>
#include <QUrl>

#include "core/result.h"

class QNetworkAccessManager;
class QNetworkReply;

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
// and a cap on the answer's size. Asynchronous, on this object's thread: each request
// calls its handler once with the answer, unless it is aborted first.
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

    // extraWaitMs: a long poll, where the server may stay silent that much longer.
    Ticket get(const QString &path, Handler handler, int extraWaitMs = 0);
    Ticket post(const QString &path, const QByteArray &json, Handler handler);
    // Cancels a request: its handler is never called. Unknown or finished tickets are
    // ignored.
    void abort(Ticket ticket);
    bool isPending(Ticket ticket) const { return m_pending.contains(ticket); }

private:
    Ticket send(const QString &path, const QByteArray *postBody, Handler handler,
                int extraWaitMs);
    static HttpResult answerOf(QNetworkReply *reply);

    QUrl m_baseUrl;
    int m_timeoutMs = 10'000;
    Ticket m_lastTicket = 0;
    QHash<Ticket, QNetworkReply *> m_pending;
    QNetworkAccessManager *m_network = nullptr;   // child of this
};
