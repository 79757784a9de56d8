#pragma once

#include <memory>
#include <vector>

#include <QByteArray>
#include <QHostAddress>
#include <QTcpSocket>

// A raw HTTP/1.1 client for tests that need exact bytes on the wire: it keeps every
// byte received, and splits them into answers by Content-Length. Use it with QTRY_*
// waits: the server under test runs on the same event loop.
class HttpTestClient final
{
public:
    struct Answer
    {
        int status = 0;
        QByteArray head;
        QByteArray body;
        QByteArray header(const QByteArray &name) const;
    };

    explicit HttpTestClient(quint16 port);

    QTcpSocket &socket() { return *m_socket; }
    bool isConnected() const { return m_socket->state() == QAbstractSocket::ConnectedState; }
    bool isClosed() const { return m_socket->state() == QAbstractSocket::UnconnectedState; }
    void send(const QByteArray &bytes) { m_socket->write(bytes); }
    const QByteArray &received() const { return m_received; }
    std::vector<Answer> answers() const;   // complete answers so far

    static QByteArray request(const QByteArray &method, const QByteArray &path,
                              const QByteArray &body = QByteArray(),
                              const QByteArray &extraHeaders = QByteArray());

private:
    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_received;
};
