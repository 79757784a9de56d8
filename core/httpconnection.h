#pragma once

#include <deque>
#include <memory>

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

#include "core/httpanswer.h"
#include "core/httprequestreader.h"

class QSocketNotifier;
class HttpDeferred;
class HttpListener;

// One client connection of the chain server, on its socket descriptor with non-blocking
// reads and writes: requests are framed by an HttpRequestReader, answered in order by the
// listener's handler, and their answers queued and written as the socket drains.
//
// - A request is answered even when the client has already closed its sending side.
// - Answers written but not yet read are bounded: past the per-connection budget no
//   further request is handled until the client reads; a client that reads nothing for
//   the request timeout is disconnected; an answer with a source (GET /chain) is produced
//   a piece at a time as the socket drains.
// - An answer given later (HttpDeferred, a long poll) keeps its place: nothing after it is
//   written or handled until it comes. Meanwhile the connection only watches its client:
//   the end of the client's stream gets the answer at once, a request pipelined after it
//   waits in the kernel, and closing drops it. It is neither idle nor timed out meanwhile.
// - After an answer that closes (Connection: close, HTTP/1.0, a rejection) it shuts its
//   sending side and drains what the client still sends for a while, so the client reads
//   the answer rather than a reset.
//
// A child of the listener, which counts it and drives its timers (checkTimers()).
class HttpConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnection)

public:
    HttpConnection(int descriptor, HttpListener *listener);
    ~HttpConnection() override;

    // Neither a request under way nor an answer unsent: closing it loses nothing.
    bool isIdle() const;
    bool isLingering() const { return m_state == State::Lingering; }   // all answers written
    qint64 lastActivity() const { return m_lastActivity; }   // listener clock, ms
    qint64 lastProgress() const { return m_lastProgress; }   // an answer byte went out
    qint64 queuedBytes() const { return m_queued; }
    bool hasUnreadInput() const;   // bytes from the client wait in the kernel
    bool isWaiting() const;        // for an answer given later (a long poll)
    // Something here may time out: anything but a long poll with nothing before it.
    bool hasDeadlines() const;
    QHostAddress peerAddress() const;

    void refuse(int status, const QString &message);   // answer at once and close
    void checkTimers(qint64 now);
    void close();   // at once, quietly (idle, evicted, or the server closes)

private:
    enum class State {
        Open,        // reading requests
        Finishing,   // no more requests: closes once every answer is written
        Lingering,   // answers written, sending side shut: draining the client's bytes
    };

    // What is left to write of one answer (or interim answer).
    struct Output
    {
        QByteArray bytes;          // being written
        qsizetype written = 0;
        HttpAnswer::Source source; // the rest of the body, produced as the socket drains
        qint64 sourceAt = 0;
        qint64 sourceSize = 0;
        std::shared_ptr<HttpDeferred> deferred;   // set until a later answer comes
        bool headOnly = false;                    // of a later answer: a HEAD request
        HttpAnswer::Connection connection = HttpAnswer::Connection::Default;   // likewise
    };

    void readable();
    void watchWhileWaiting();
    void deliver(const HttpDeferred *deferred, const HttpAnswer &answer);
    void process();
    void answer(const HttpRequest &request);
    void reject(const HttpHead::Rejection &rejection);
    void finish();
    void countFinishing();
    void queue(QByteArray bytes, HttpAnswer::Source source = {}, qint64 sourceSize = 0);
    void flush();
    bool fillFront();
    void finishWriting();
    void addQueued(qint64 bytes);
    bool isPaused() const;
    void updateReadNotifier();

    HttpListener *m_listener = nullptr;            // parent
    int m_descriptor = -1;
    QSocketNotifier *m_readNotifier = nullptr;     // child of this
    QSocketNotifier *m_writeNotifier = nullptr;    // child of this
    HttpRequestReader m_reader;
    std::deque<Output> m_output;
    qint64 m_queued = 0;            // answer bytes produced and not yet written
    State m_state = State::Open;
    bool m_peerEnded = false;       // the client sent its last byte
    bool m_processing = false;
    bool m_countedFinishing = false;    // the listener counts it as finishing
    bool m_inputWhileWaiting = false;   // bytes or the end of stream came during a wait
    qint64 m_lastActivity = 0;
    qint64 m_lastProgress = 0;
    qint64 m_requestSince = -1;     // when the request under way began
    qint64 m_lingerSince = -1;
};
