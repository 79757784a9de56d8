#pragma once

#include <functional>
#include <vector>

#include <QElapsedTimer>
#include <QString>
#include <QTcpServer>

#include "core/httpanswer.h"
#include "core/httphead.h"
#include "core/httprequestreader.h"

class QTimer;
class HttpConnection;

// The chain server's HTTP/1.1 server: it accepts connections (QTcpServer) and serves
// each with an HttpConnection that frames requests with the pure HttpHead parser and
// answers them through one handler, in order, one answer per request.
//
// Limits, each answered with a JSON {"message": ...} where there is an answer:
// - heads over maxHeadBytes (431), announced bodies over maxBodyBytes (413, before the
//   body is read), chunked bodies (411), malformed requests (400), unknown methods (501);
// - a request not complete within requestTimeoutMs (408); an idle connection is closed
//   after idleTimeoutMs; a client that reads none of its answers for requestTimeoutMs is
//   disconnected;
// - answers written but unread: maxQueuedBytesPerConnection per connection (its further
//   requests wait), maxQueuedBytes in all (the connection that has been stuck longest is
//   cut);
// - at maxConnections taking requests, the connection idle the longest (no request under
//   way, nothing unsent) is closed to admit the new one; with none idle, the new one gets
//   a 503. A process out of descriptors does the same before accepting again.
class HttpListener final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpListener)

public:
    struct Limits
    {
        HttpHead::Limits head;
        int requestTimeoutMs = 10'000;
        int idleTimeoutMs = 60'000;
        int maxConnections = 1000;
        qint64 maxQueuedBytesPerConnection = 1 << 20;
        qint64 maxQueuedBytes = 64 << 20;
    };
    using Handler = std::function<HttpAnswer(const HttpRequest &request)>;

    HttpListener(const Limits &limits, Handler handler, QObject *parent = nullptr);
    ~HttpListener() override;

    const Limits &limits() const { return m_limits; }
    int connectionCount() const { return static_cast<int>(m_connections.size()); }
    qint64 queuedBytes() const { return m_queued; }
    void closeConnections();

    // For HttpConnection.
    qint64 now() const { return m_clock.elapsed(); }
    HttpAnswer handle(const HttpRequest &request) { return m_handler(request); }
    void addQueued(HttpConnection *connection, qint64 bytes);
    void reportRejection(const HttpHead::Rejection &rejection);
    void connectionFinishing() { ++m_finishing; }
    void forget(HttpConnection *connection, bool finishing);
    void wakeTimers();   // a connection has deadlines again (its wait ended)

signals:
    // A request answered here rather than by the handler (method and path may be empty;
    // the path is percent-encoded as sent).
    void requestRejected(const QString &method, const QString &path, int status);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    HttpConnection *idlest() const;
    void acceptFailed(QAbstractSocket::SocketError error);
    void checkTimers();

    Limits m_limits;
    Handler m_handler;
    std::vector<HttpConnection *> m_connections;   // children of this
    int m_finishing = 0;   // of them, taking no more requests (closing soon)
    qint64 m_queued = 0;
    QElapsedTimer m_clock;
    QTimer *m_timer = nullptr;                     // child of this
    bool m_acceptPaused = false;
};
