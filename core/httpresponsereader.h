#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

// Reads one HTTP/1.x answer from the bytes a server sends, with exact caps, no socket and
// no clock (the miner's side of core/httphead.h): the status line and headers (at most
// MaxHeadBytes and MaxHeaders, interim 1xx answers skipped), then a body framed by
// Content-Length, chunked, or the end of the connection, of at most maxBodyBytes. Every
// byte is looked at once, so a head of megabytes costs no more than its first
// MaxHeadBytes: the answer fails there.
class HttpResponseReader final
{
public:
    static constexpr qsizetype MaxHeadBytes = 64 * 1024;
    static constexpr int MaxHeaders = 100;
    static constexpr qsizetype MaxChunkLineBytes = 1024;

    enum class State { Head, Body, Done, Failed };

    explicit HttpResponseReader(qint64 maxBodyBytes, bool headRequest = false);

    // Takes what arrived; returns the state after it. Bytes past a complete answer are
    // ignored (we send Connection: close).
    State append(QByteArrayView bytes);
    // The server closed the connection: completes a body read to the end, fails others.
    State finish();

    State state() const { return m_state; }
    int status() const { return m_status; }
    const QByteArray &body() const { return m_body; }
    // The final answer's header lines (name as sent, value trimmed), at most MaxHeaders.
    const QList<QPair<QByteArray, QByteArray>> &headers() const { return m_headerLines; }
    const QString &error() const { return m_error; }   // when Failed: what was wrong
    // At most this many more bytes are useful now (never more than the body cap + 1):
    // the caller reads no more than that from its socket.
    qint64 wants() const;

private:
    enum class Framing { Length, Chunked, UntilClose, None };
    enum class ChunkState { Size, Data, DataEnd, Trailer };

    State fail(const QString &error);
    bool takeLine(QByteArray *line, qsizetype cap, const char *what, qsizetype shownCap);
    State readHeadLine(const QByteArray &line);
    State startBody();
    State readBody();
    State addBody(QByteArrayView bytes);

    qint64 m_maxBody;
    bool m_headRequest;
    State m_state = State::Head;
    QByteArray m_buffer;        // unconsumed bytes
    qsizetype m_scanned = 0;    // of m_buffer, already searched for a line end
    qsizetype m_headBytes = 0;
    int m_headers = 0;
    bool m_statusSeen = false;
    int m_status = 0;
    qint64 m_contentLength = -1;
    bool m_chunked = false;
    Framing m_framing = Framing::None;
    ChunkState m_chunk = ChunkState::Size;
    qint64 m_chunkLeft = 0;
    QByteArray m_body;
    QList<QPair<QByteArray, QByteArray>> m_headerLines;
    QString m_error;
};
