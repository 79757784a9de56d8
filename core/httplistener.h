#pragma once

#include <QList>
#include <QPointer>
#include <QTcpServer>

// The TCP side of the chain server, handed to QHttpServer with bind(). QHttpServer 6.4
// lacks what a server on a network needs (see shared/QHTTPSERVER-6.4.md); this fills it
// in front of its parser, per connection, before QHttpServer reads a byte:
// - a request line or header block that is not HTTP/1.x: 400 JSON, closed;
// - an announced body over maxBodyBytes: 413 JSON, closed before the body is buffered;
//   chunked bodies (no announced length): 411 JSON;
// - "Expect: 100-continue": "100 Continue" once the headers are in;
// - "Connection: close" or HTTP/1.0 without keep-alive: closed after the answer;
// - a request not complete within requestTimeoutMs: 408 JSON, closed; a connection idle
//   for idleTimeoutMs: closed;
// - HEAD (QHttpServer would send a body): 405 head only, closed;
// - more than maxConnections open: 503 JSON, closed;
// - a client that keeps sending requests while over 1 MiB of its answers is unread: cut.
class HttpConnectionGuard;

class HttpListener final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpListener)

public:
    struct Limits
    {
        qint64 maxBodyBytes = 64 * 1024;
        int maxHeaderBytes = 16 * 1024;
        int requestTimeoutMs = 10'000;
        int idleTimeoutMs = 60'000;
        int maxConnections = 1000;
    };

    explicit HttpListener(const Limits &limits, QObject *parent = nullptr);
    ~HttpListener() override;

    // The QHttpServer this listener is bound to: it is cut off from a connection this
    // listener answers itself. Call after QHttpServer::bind(this).
    void setHttpServer(QObject *httpServer);
    const Limits &limits() const { return m_limits; }
    int connectionCount() const { return m_connections; }

    // A complete HTTP answer with a {"message": ...} JSON body (only announced when
    // withBody is false, as for HEAD), and "Connection: close".
    static QByteArray errorAnswer(int status, const QString &message, bool withBody = true,
                                  const QByteArray &extraHeaders = QByteArray());

signals:
    // An answer given here rather than by QHttpServer (method and path may be empty).
    void requestRejected(const QString &method, const QString &path, int status);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    friend class HttpConnectionGuard;

    void followNewConnections();

    Limits m_limits;
    QPointer<QObject> m_httpServer;
    QList<QPointer<HttpConnectionGuard>> m_unfollowed;   // taken by QHttpServer next
    int m_connections = 0;
};
