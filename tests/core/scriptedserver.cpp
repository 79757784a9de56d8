#include "scriptedserver.h"

#include <memory>

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include "core/block.h"

CannedAnswer jsonAnswer(int status, const QByteArray &body)
{
    CannedAnswer answer;
    answer.status = status;
    answer.body = body;
    return answer;
}

CannedAnswer lastBlockAnswer(const Block &block, int difficulty)
{
    return jsonAnswer(200, "{\"last_block\": " + block.toWire() + ", \"difficulty\": "
                               + QByteArray::number(difficulty) + "}");
}

quint16 closedPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        qFatal("cannot listen on 127.0.0.1: %s", qPrintable(probe.errorString()));
    return probe.serverPort();
}

ScriptedServer::ScriptedServer()
{
    connect(this, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = nextPendingConnection()) {
            socket->setParent(this);
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            connect(socket, &QObject::destroyed, this,
                    [this, socket] { m_buffers.remove(socket); });
        }
    });
}

ScriptedServer::~ScriptedServer() = default;

bool ScriptedServer::start()
{
    return listen(QHostAddress::LocalHost, 0);
}

QUrl ScriptedServer::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort()));
}

qsizetype ScriptedServer::count(const QByteArray &path) const
{
    return std::count_if(requests.cbegin(), requests.cend(),
                         [&path](const Request &r) { return r.path == path; });
}

void ScriptedServer::read(QTcpSocket *socket)
{
    QByteArray &buffer = m_buffers[socket];
    buffer += socket->readAll();
    const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0)
        return;
    const QByteArray head = buffer.left(headerEnd);
    qsizetype length = 0;
    QByteArray authorization;
    for (const QByteArray &line : head.split('\n')) {
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
        if (line.toLower().startsWith("authorization:"))
            authorization = line.mid(14).trimmed();
    }
    if (buffer.size() < headerEnd + 4 + length)
        return;
    const QList<QByteArray> first = head.left(head.indexOf("\r\n")).split(' ');
    const Request request {first.value(0), first.value(1), buffer.mid(headerEnd + 4, length),
                           authorization};
    m_buffers.remove(socket);
    requests << request;
    QQueue<CannedAnswer> &queue = queued[request.path];
    const CannedAnswer canned = queue.isEmpty()
        ? defaults.value(request.path, jsonAnswer(404, R"({"message": "no such route"})"))
        : queue.dequeue();
    emit requested(request.path);
    if (canned.stall)
        return;   // keep the connection open and say nothing
    if (canned.delayMs > 0) {
        QTimer::singleShot(canned.delayMs, socket, [this, socket, canned] {
            answer(socket, canned);
        });
    } else {
        answer(socket, canned);
    }
}

void ScriptedServer::answer(QTcpSocket *socket, const CannedAnswer &canned)
{
    const QByteArray body = canned.sizeBytes > 0 ? QByteArray(canned.sizeBytes, 'x') : canned.body;
    QByteArray head = "HTTP/1.1 " + QByteArray::number(canned.status) + " Canned\r\n"
        "Content-Type: " + canned.contentType + "\r\n" + canned.extraHeaders;
    if (!canned.raw.isEmpty()) {
        socket->write(canned.raw);
        socket->disconnectFromHost();
        return;
    }
    if (canned.floodBytes > 0) {
        stream(socket, head + "X-Flood: ", canned.floodBytes, "\r\nContent-Length: 2\r\n\r\n{}");
        return;
    }
    if (canned.endless) {
        stream(socket, head + "\r\n", -1, {});
        return;
    }
    if (canned.trickleMs > 0) {
        // A body that never ends: one byte at a time, until the client gives up.
        socket->write(head + "\r\n");
        auto *timer = new QTimer(socket);
        connect(timer, &QTimer::timeout, socket, [socket] { socket->write("x"); });
        timer->start(canned.trickleMs);
        return;
    }
    socket->write(head + "Content-Length: " + QByteArray::number(body.size())
                  + "\r\nConnection: close\r\n\r\n" + body);
    socket->disconnectFromHost();
}

// head, then bytes of filler (forever when negative) written as the client reads them,
// then tail and close.
void ScriptedServer::stream(QTcpSocket *socket, QByteArray head, qint64 bytes, QByteArray tail)
{
    static constexpr qint64 Piece = 256 * 1024;
    auto left = std::make_shared<qint64>(bytes);
    const auto more = [this, socket, left, tail] {
        if (socket->bytesToWrite() > Piece || socket->state() != QAbstractSocket::ConnectedState)
            return;
        if (*left == 0)
            return;
        const qint64 size = *left < 0 ? Piece : std::min(Piece, *left);
        socket->write(QByteArray(size, 'a'));
        streamedBytes += size;
        if (*left > 0) {
            *left -= size;
            if (*left == 0) {
                socket->write(tail);
                socket->disconnectFromHost();
            }
        }
    };
    connect(socket, &QTcpSocket::bytesWritten, socket, more);
    socket->write(head);
    more();
}
