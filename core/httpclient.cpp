#include "core/httpclient.h"

#include <algorithm>

#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

#include "core/httpresponsereader.h"
#include "core/version.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr qint64 ReadChunkBytes = 64 * 1024;   // also the socket's own read buffer

QByteArray requestBytes(const QUrl &url, const QByteArray *postBody)
{
    QByteArray target = url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty())
        target = "/";
    if (url.hasQuery())
        target += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    QByteArray out = (postBody ? "POST "_ba : "GET "_ba) + target + " HTTP/1.1\r\nHost: "
        + url.adjusted(QUrl::RemoveUserInfo).authority(QUrl::FullyEncoded).toLatin1()
        + "\r\nUser-Agent: blockforge/" + QByteArray(Version::Text.data(), Version::Text.size())
        + "\r\nAccept: application/json\r\nConnection: close\r\n";
    if (!url.userName().isEmpty()) {
        const QByteArray credentials = url.userName(QUrl::FullyDecoded).toUtf8() + ':'
            + url.password(QUrl::FullyDecoded).toUtf8();
        out += "Authorization: Basic " + credentials.toBase64() + "\r\n";
    }
    if (postBody)
        out += "Content-Type: application/json\r\nContent-Length: "
            + QByteArray::number(postBody->size()) + "\r\n";
    out += "\r\n";
    if (postBody)
        out += *postBody;
    return out;
}
}

struct HttpClient::Exchange
{
    explicit Exchange(Handler h) : handler{std::move(h)}, reader{MaxAnswerBytes} {}

    Handler handler;
    HttpResponseReader reader;
    QTcpSocket *socket = nullptr;   // child of the client; deleted later on completion
    QTimer *silence = nullptr;      // child of socket: no byte for the request timeout
};

QByteArray HttpReply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return QByteArray();
}

HttpClient::HttpClient(QObject *parent)
    : QObject{parent}
{
}

HttpClient::~HttpClient()
{
    // Quietly: nobody wants the handlers of an object being destroyed.
    for (auto &[ticket, exchange] : m_pending) {
        exchange->socket->disconnect(this);
        exchange->socket->abort();
    }
}

void HttpClient::setBaseUrl(const QUrl &url)
{
    m_baseUrl = url;
}

void HttpClient::setRequestTimeout(int milliseconds)
{
    m_timeoutMs = std::max(1, milliseconds);
}

QUrl HttpClient::endpoint(const QString &path) const
{
    QUrl base = m_baseUrl;
    if (!base.path().endsWith(u'/'))
        base.setPath(base.path() + u'/');
    return base.resolved(QUrl(path));
}

HttpClient::Ticket HttpClient::get(const QString &path, Handler handler, int extraWaitMs)
{
    return send(path, nullptr, std::move(handler), std::max(0, extraWaitMs));
}

HttpClient::Ticket HttpClient::post(const QString &path, const QByteArray &json, Handler handler)
{
    return send(path, &json, std::move(handler), 0);
}

HttpClient::Exchange *HttpClient::find(Ticket ticket) const
{
    const auto it = m_pending.find(ticket);
    return it == m_pending.end() ? nullptr : it->second.get();
}

void HttpClient::abort(Ticket ticket)
{
    const auto it = m_pending.find(ticket);
    if (it == m_pending.end())
        return;
    QTcpSocket *socket = it->second->socket;
    m_pending.erase(it);
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

HttpClient::Ticket HttpClient::send(const QString &path, const QByteArray *postBody,
                                    Handler handler, int extraWaitMs)
{
    const Ticket ticket = ++m_lastTicket;
    const QUrl url = endpoint(path);
    const bool tls = url.scheme() == u"https"_s;
    auto exchange = std::make_unique<Exchange>(std::move(handler));
    QTcpSocket *socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
    exchange->socket = socket;
    socket->setReadBufferSize(ReadChunkBytes);   // Qt buffers no more than this for us
    exchange->silence = new QTimer(socket);
    exchange->silence->setSingleShot(true);
    exchange->silence->setInterval(m_timeoutMs + extraWaitMs);
    m_pending.emplace(ticket, std::move(exchange));

    QTimer *silence = find(ticket)->silence;
    const auto progress = [silence] { silence->start(); };
    connect(silence, &QTimer::timeout, this,
            [this, ticket] { complete(ticket, Error{u"no answer (timed out)"_s}); });
    // The silence timer catches a silent server; this one a server that trickles bytes
    // forever; the reader's caps one that never stops talking.
    const int deadline = DeadlineFactor * m_timeoutMs + extraWaitMs;
    QTimer::singleShot(deadline, socket, [this, ticket, deadline] {
        complete(ticket, Error{u"no complete answer within %1 s"_s.arg(
                                   QString::number(deadline / 1000.0, 'g', 3))});
    });
    const QByteArray request = requestBytes(url, postBody);
    const auto sendRequest = [socket, request, progress] {
        progress();
        socket->write(request);
    };
    connect(socket, &QTcpSocket::bytesWritten, this, progress);
    connect(socket, &QTcpSocket::readyRead, this, [this, ticket, progress] {
        progress();
        readAvailable(ticket);
    });
    connect(socket, &QTcpSocket::disconnected, this, [this, ticket] { endOfStream(ticket); });
    connect(socket, &QAbstractSocket::errorOccurred, this,
            [this, ticket, socket](QAbstractSocket::SocketError error) {
                if (error == QAbstractSocket::RemoteHostClosedError)
                    endOfStream(ticket);
                else
                    complete(ticket, Error{socket->errorString()});
            });
    const quint16 port = static_cast<quint16>(url.port(tls ? 443 : 80));
    if (tls) {
        auto *ssl = static_cast<QSslSocket *>(socket);
        if (!QSslSocket::supportsSsl()) {
            QTimer::singleShot(0, this, [this, ticket] {
                complete(ticket, Error{u"https is not available here (no TLS library)"_s});
            });
            return ticket;
        }
        connect(ssl, &QSslSocket::encrypted, this, sendRequest);
        ssl->connectToHostEncrypted(url.host(), port);
    } else {
        connect(socket, &QTcpSocket::connected, this, sendRequest);
        socket->connectToHost(url.host(), port);
    }
    progress();
    return ticket;
}

// Reads no more than the answer can still take: past a cap the answer fails at once,
// and the socket's own buffer is small, so an endless answer costs little memory.
void HttpClient::readAvailable(Ticket ticket)
{
    Exchange *exchange = find(ticket);
    if (!exchange)
        return;
    HttpResponseReader &reader = exchange->reader;
    while (reader.state() == HttpResponseReader::State::Head
           || reader.state() == HttpResponseReader::State::Body) {
        const qint64 want = std::min(reader.wants(), ReadChunkBytes);
        const QByteArray bytes = exchange->socket->read(want);
        if (bytes.isEmpty())
            break;
        reader.append(bytes);
    }
    if (reader.state() == HttpResponseReader::State::Done)
        complete(ticket, HttpReply{reader.status(), reader.body(), reader.headers()});
    else if (reader.state() == HttpResponseReader::State::Failed)
        complete(ticket, Error{reader.error()});
}

void HttpClient::endOfStream(Ticket ticket)
{
    readAvailable(ticket);
    Exchange *exchange = find(ticket);
    if (!exchange)
        return;
    exchange->reader.finish();
    readAvailable(ticket);   // completes it either way
}

void HttpClient::complete(Ticket ticket, const HttpResult &result)
{
    const auto it = m_pending.find(ticket);
    if (it == m_pending.end())
        return;
    std::unique_ptr<Exchange> exchange = std::move(it->second);
    m_pending.erase(it);
    exchange->socket->disconnect(this);
    exchange->socket->abort();
    exchange->socket->deleteLater();
    exchange->handler(result);
}
