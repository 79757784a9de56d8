#include "core/httplistener.h"

#include <algorithm>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QTimer>

#include "core/httpconnection.h"
#include "core/logging.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int MaxRefusing = 32;     // connections closing beyond maxConnections
constexpr int RetryAcceptMs = 100;  // after an error other than running out of descriptors
}

HttpListener::HttpListener(const Limits &limits, Handler handler, QObject *parent)
    : QTcpServer{parent}
    , m_limits{limits}
    , m_handler{std::move(handler)}
    , m_timer{new QTimer(this)}
{
    m_clock.start();
    setListenBacklogSize(1024);
    // Timers are checked a few times per shortest timeout, not per connection.
    const int shortest = std::min({m_limits.requestTimeoutMs, m_limits.idleTimeoutMs, 2000});
    m_timer->setInterval(std::clamp(shortest / 8, 5, 250));
    connect(m_timer, &QTimer::timeout, this, &HttpListener::checkTimers);
    connect(this, &QTcpServer::acceptError, this, &HttpListener::acceptFailed);
}

HttpListener::~HttpListener()
{
    closeConnections();
}

void HttpListener::closeConnections()
{
    const std::vector<HttpConnection *> connections = m_connections;
    for (HttpConnection *connection : connections)
        connection->close();
}

void HttpListener::addQueued(HttpConnection *connection, qint64 bytes)
{
    m_queued += bytes;
    if (bytes <= 0 || m_queued <= m_limits.maxQueuedBytes)
        return;
    // Over the total budget: cut the connections whose answers have waited longest
    // for their client to read them, until the rest fits.
    std::vector<HttpConnection *> stuck;
    for (HttpConnection *other : m_connections) {
        if (other->queuedBytes() > 0)
            stuck.push_back(other);
    }
    std::sort(stuck.begin(), stuck.end(), [](HttpConnection *a, HttpConnection *b) {
        return a->lastProgress() < b->lastProgress();
    });
    for (HttpConnection *other : stuck) {
        if (m_queued <= m_limits.maxQueuedBytes)
            break;
        if (other == connection)
            continue;   // it is adding an answer right now
        qCWarning(lcServer).noquote() << "Dropping a client with" << other->queuedBytes()
                                      << "bytes of answers unread: over the total of"
                                      << m_limits.maxQueuedBytes;
        other->close();
    }
}

void HttpListener::reportRejection(const HttpHead::Rejection &rejection)
{
    HttpHead::Head head;
    head.target = rejection.target;
    emit requestRejected(QString::fromLatin1(rejection.method), QString::fromLatin1(head.path()),
                         rejection.status);
}

void HttpListener::forget(HttpConnection *connection, bool finishing)
{
    std::erase(m_connections, connection);
    m_finishing -= finishing;
    if (m_connections.empty())
        m_timer->stop();
    if (m_acceptPaused) {   // a descriptor is free again
        m_acceptPaused = false;
        resumeAccepting();
    }
}

// The connection idle the longest; null when all are busy. One whose request is already
// in the kernel (accepted in the same burst, not read yet) is not idle.
HttpConnection *HttpListener::idlest() const
{
    std::vector<HttpConnection *> idle;
    for (HttpConnection *connection : m_connections) {
        if (connection->isIdle())
            idle.push_back(connection);
    }
    std::sort(idle.begin(), idle.end(), [](HttpConnection *a, HttpConnection *b) {
        return a->lastActivity() < b->lastActivity();
    });
    for (HttpConnection *connection : idle) {
        if (!connection->hasUnreadInput())
            return connection;
    }
    return nullptr;
}

void HttpListener::incomingConnection(qintptr descriptor)
{
    const int fd = static_cast<int>(descriptor);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   // each answer is one write
    bool refuse = false;
    if (connectionCount() - m_finishing >= m_limits.maxConnections) {
        if (HttpConnection *victim = idlest()) {
            qCDebug(lcServer) << "Closing the longest idle connection to admit a new one";
            victim->close();
        } else {
            refuse = true;
            if (connectionCount() >= m_limits.maxConnections + MaxRefusing) {
                // Refused ones linger so their client reads the 503: end the oldest.
                const auto lingering = std::find_if(
                    m_connections.begin(), m_connections.end(),
                    [](HttpConnection *other) { return other->isLingering(); });
                if (lingering == m_connections.end()) {
                    ::close(fd);
                    return;
                }
                (*lingering)->close();
            }
        }
    }
    auto *connection = new HttpConnection(fd, this);
    m_connections.push_back(connection);
    if (!m_timer->isActive())
        m_timer->start();
    if (refuse) {
        qCWarning(lcServer) << "Refusing a connection: already" << m_limits.maxConnections
                            << "open, none idle";
        connection->refuse(503, u"Too many open connections"_s);
    }
}

void HttpListener::acceptFailed(QAbstractSocket::SocketError error)
{
    // QTcpServer stops accepting after an error such as running out of descriptors.
    if (error != QAbstractSocket::SocketResourceError) {
        qCWarning(lcServer) << "Cannot accept a connection:" << errorString();
        QTimer::singleShot(RetryAcceptMs, this, [this] { resumeAccepting(); });
        return;
    }
    m_acceptPaused = true;   // until a connection closes (forget())
    if (HttpConnection *victim = idlest()) {
        qCWarning(lcServer) << "Out of descriptors: closing the longest idle connection";
        victim->close();
    } else {
        qCWarning(lcServer) << "Out of descriptors, none idle: waiting for a connection to close";
    }
}

void HttpListener::checkTimers()
{
    const qint64 time = now();
    // A copy: a connection closed here is forgotten, but lives until the event loop.
    const std::vector<HttpConnection *> connections = m_connections;
    bool needed = false;
    for (HttpConnection *connection : connections) {
        connection->checkTimers(time);
        needed = needed || connection->hasDeadlines();
    }
    // Only long polls open, each with nothing else to do: nothing to check until one
    // ends or a connection comes (a sweep costs a wake-up over every descriptor).
    if (!needed)
        m_timer->stop();
}

void HttpListener::wakeTimers()
{
    if (!m_timer->isActive() && !m_connections.empty())
        m_timer->start();
}
